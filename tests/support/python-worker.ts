// Starts and stops a real Python Celery 5.2.6 worker (with -E) through
// ../shared/interop/run-python-worker.sh, and publishes tasks to it with
// publish-python-task.py, for interop tests; describeWithPythonCelery
// gates the suites that need one.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe } from 'vitest';
import { describeWithBroker } from './broker.js';

const run = promisify(execFile);
const INTEROP = fileURLToPath(new URL('../../../shared/interop/', import.meta.url));

let pythonCelery: boolean | undefined;
const hasPythonCelery = (): boolean =>
  (pythonCelery ??= spawnSync('/usr/bin/python3', ['-c', 'import celery'], { stdio: 'ignore' }).status === 0);

/**
 * `describeWithBroker` for suites that run real Python Celery: when
 * /usr/bin/python3 cannot import celery, CI=true fails the run with the
 * install hint, and elsewhere the suite is skipped with the reason printed.
 */
export function describeWithPythonCelery(name: string, body: () => void): void {
  if (hasPythonCelery()) {
    describeWithBroker(name, body);
    return;
  }
  if (process.env.CI === 'true') throw new Error('CI needs python3-celery (apt-get install -y python3-celery)');
  console.warn(`[prisma-celery tests] skipping "${name}": /usr/bin/python3 cannot import celery; install it with: apt-get install -y python3-celery`);
  describe.skip(name, body);
}

export interface PythonWorkerOptions {
  brokerUrl: string;
  /** Nodename (-n); default a unique `py-<random>@test`. */
  name?: string;
  /** Queues (-Q), comma separated; default a unique queue, so no other test's tasks reach it. */
  queues?: string;
  concurrency?: number;
  /** Default `disabled`: tests read outcomes from events or tables. */
  resultBackend?: string;
  extraArgs?: string;
}

export class PythonWorker implements AsyncDisposable {
  readonly name: string;
  readonly queue: string;
  private readonly stateDir = mkdtempSync(join(tmpdir(), 'prisma-celery-pyworker-'));
  private running = false;

  constructor(private readonly options: PythonWorkerOptions) {
    const tag = randomBytes(4).toString('hex');
    this.name = options.name ?? `py-${tag}@test`;
    this.queue = options.queues ?? `py-${tag}`;
  }

  private get env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      BROKER_URL: this.options.brokerUrl,
      RESULT_BACKEND: this.options.resultBackend ?? 'disabled',
      WORKER_NAME: this.name,
      WORKER_QUEUES: this.queue,
      WORKER_CONCURRENCY: String(this.options.concurrency ?? 1),
      WORKER_STATE_DIR: this.stateDir,
      WORKER_EXTRA_ARGS: this.options.extraArgs ?? '',
    };
  }

  /** Resolves once the worker logged "ready". */
  async start(): Promise<void> {
    await run(join(INTEROP, 'run-python-worker.sh'), ['start'], { env: this.env, timeout: 60_000 });
    this.running = true;
  }

  /** Warm shutdown (the worker sends worker-offline); SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await run(join(INTEROP, 'run-python-worker.sh'), ['stop'], { env: this.env, timeout: 60_000 });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.stop();
    } finally {
      rmSync(this.stateDir, { recursive: true, force: true });
    }
  }

  log(): string {
    try {
      return readFileSync(join(this.stateDir, 'worker.log'), 'utf8');
    } catch {
      return '';
    }
  }

  /**
   * Publishes `task` with JSON `args` to this worker's queue from real
   * Python Celery; resolves to the task id. `options` are extra flags of
   * publish-python-task.py (e.g. ['--countdown', '30']).
   */
  async publish(task: string, args: unknown[] = [], options: string[] = []): Promise<string> {
    const { stdout } = await run(
      '/usr/bin/python3',
      [join(INTEROP, 'publish-python-task.py'), task, ...args.map((a) => JSON.stringify(a)), '--queue', this.queue, ...options],
      { env: { ...this.env, RESULT_BACKEND: 'disabled' }, timeout: 30_000 },
    );
    return (JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { task_id: string }).task_id;
  }

  /** Broadcasts a revoke, as `app.control.revoke(id, terminate=…)` does. */
  async revoke(taskId: string, terminate = false): Promise<void> {
    const script = `from app import app; app.control.revoke(${JSON.stringify(taskId)}, terminate=${terminate ? 'True' : 'False'})`;
    await run('/usr/bin/python3', ['-c', script], {
      env: { ...this.env, RESULT_BACKEND: 'disabled', PYTHONPATH: join(INTEROP, 'python') },
      timeout: 30_000,
    });
  }
}
