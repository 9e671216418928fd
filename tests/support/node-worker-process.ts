// `prisma-celery worker` as a real process (through tsx, from the sources),
// and Python's own `celery inspect` / `celery control` (and ours) pointed at it.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PYTHON } from './services.js';
import { waitFor } from './wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// By URL: resolved from the worker's own working directory, a bare `tsx` would not be found.
const TSX = new URL('../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
const run = promisify(execFile);

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  readonly exited: Promise<number | null>;
}

/** Starts `prisma-celery worker <args>` in `cwd` (default the repository). */
export function spawnWorker(args: readonly string[], cwd = ROOT): WorkerProcess {
  const child = spawn(process.execPath, ['--import', TSX, `${ROOT}src/cli/main.ts`, 'worker', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  process.once('exit', () => child.kill('SIGKILL'));
  return { child, output: () => output, exited };
}

/** Runs another `prisma-celery` command to its end; resolves to its stdout. */
export async function cli(args: readonly string[]): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', TSX, `${ROOT}src/cli/main.ts`, ...args], { cwd: ROOT, timeout: 30_000 });
  return stdout;
}

/** Resolves once the worker logged that it consumes. */
export async function untilReady(worker: WorkerProcess): Promise<void> {
  await waitFor('the worker to be ready', () => {
    if (worker.child.exitCode !== null) throw new Error(`the worker exited:\n${worker.output()}`);
    return / ready: /.test(worker.output());
  }, { timeoutMs: 60_000 });
}

/**
 * `celery -b <url> <inspect|control> <args> --json -t <timeout> -d <destination>`,
 * parsed: replies by node name. It waits `timeoutSeconds` (default 5) only
 * when the destination does not answer, as after `control shutdown`.
 */
export async function celeryCommand(
  brokerUrl: string,
  command: 'inspect' | 'control',
  args: readonly string[],
  destination: string,
  timeoutSeconds = 5,
): Promise<Record<string, unknown>> {
  const { stdout } = await run(PYTHON, ['-m', 'celery', '-b', brokerUrl, command, ...args, '--json', '-t', String(timeoutSeconds), '-d', destination], { timeout: 30_000 });
  // inspect prints one object of every reply; control a list of them.
  const parsed = JSON.parse(stdout) as Record<string, unknown> | Record<string, unknown>[];
  return Array.isArray(parsed) ? Object.assign({}, ...parsed) : parsed;
}
