// Runs the README. Every fenced block is executed, in README order, once per
// database (each on a fresh, migrated test database and a RabbitMQ vhost of
// its own, so that the databases' runs go side by side), as a user would run it:
//
// - ```ts blocks are written to .test-output/readme-*/ with their
//   `from 'prisma-celery/<part>'` and `from 'prisma-celery'` imports pointed
//   at this checkout's src/<part>/index.js and src/index.js, typechecked with the project's tsconfig, and run
//   with tsx in a process of their own (a block that leaves a handle open
//   hangs there and fails). A block that imports vitest is run by vitest.
// - ```js blocks that start with `// prisma-celery.config.mjs` are written as
//   that config file into the directory the shell commands run in.
// - ```sh blocks run line by line in bash, with `npx prisma-celery` mapped to
//   this checkout's CLI; beat, cam and serve are stopped with SIGTERM once
//   they say they are running, and must exit 0.
// - Expected output is written in the README itself: `// → text` after a
//   statement, `# → text` after a command. Those lines must appear, in
//   order, in what the block printed (other lines may come between).
//
// The database and broker URLs are injected as DATABASE_URL and BROKER_URL,
// a Redis database of the suite's own as REDIS_URL;
// URLs the README shows as examples (`--database-url postgresql://…`,
// `DATABASE_URL=…`) are replaced by the test database's, and
// `node_modules/prisma-celery/` by this checkout. ```text blocks are
// printed output, not code. Commands that are not run are in EXCLUDED with
// the reason.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateVhost, type PrivateVhost } from '../e2e/support/vhost.js';
import { describeWithBroker } from '../support/broker.js';
import { describeEachDatabase } from '../support/databases.js';
import { redisDbPerSuite } from '../support/redis.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// Two levels below the root, as the rewritten imports and the tsconfig's `extends` expect; one per run.
const WORK = join(ROOT, '.test-output', `readme-${randomBytes(3).toString('hex')}`);

/** Shell commands of the README that are not run here, and why. */
const EXCLUDED: Readonly<Record<string, string>> = {
  'npm ci && npm pack': 'packing and installing the tarball is tests/integration/package.test.ts; these tests run this checkout',
  'npm install ../prisma-celery/prisma-celery-0.1.0.tgz': 'installed into an app of its own by tests/integration/package.test.ts',
  'npm install-scripts approve better-sqlite3': "tests/integration/package.test.ts gives its app this allowScripts entry",
  'npm install celery-node': 'celery-node is installed in this checkout already (a dev dependency)',
  'npm install && npm run demo': 'the demo is run, for a bounded time, by tests/integration/demo.test.ts',
  'npm install && npm test': 'this is the test run itself',
  ...Object.fromEntries(
    [
      'npx prisma-celery migrate adopt --dry-run --database-url postgresql://localhost/app',
      'npx prisma-celery migrate adopt --database-url postgresql://localhost/app',
    ].map((command) => [command, "adopt takes over a django-celery database, and the README's is migrated already: tests/integration/migrate-adopt.test.ts adopts one on each provider"]),
  ),
  ...Object.fromEntries(
    [
      'npx prisma-celery inspect ping',
      'npx prisma-celery inspect active --destination celery@host1',
      'npx prisma-celery inspect registered --json',
      'npx prisma-celery control revoke 6c42a285-… --terminate --signal SIGKILL',
      'npx prisma-celery control rate-limit tasks.add 10/m',
      'npx prisma-celery control enable-events',
    ].map((command) => [command, 'they talk to running workers: tests/integration/control-python.test.ts runs each against a real Python worker']),
  ),
};

/** Long-running commands: the line each prints once it is up. */
const SERVICES: Readonly<Record<string, RegExp>> = {
  beat: /beat started/,
  cam: /camera started/,
  serve: /Monitor on http/,
};

/**
 * `npx prisma migrate deploy` needs Prisma's native schema engine, which the
 * Prisma CLI downloads on first use. On a machine that cannot reach
 * binaries.prisma.sh, what can be checked is that the command finds and
 * loads our prisma.config.ts; the same migrations are applied by
 * `prisma-celery migrate deploy` above it.
 */
const ENGINE_DOWNLOAD_FAILED = /binaries\.prisma\.sh.*(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH)/;

interface Block {
  readonly lang: string;
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly section: string;
}

function readmeBlocks(): Block[] {
  const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').split('\n');
  const blocks: Block[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] ?? '';
    const heading = /^#{2,3} (.*)/.exec(text);
    if (heading) section = heading[1] ?? '';
    const fence = /^```(\w*)/.exec(text);
    if (!fence) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] ?? '').startsWith('```'); i++) body.push(lines[i] ?? '');
    blocks.push({ lang: fence[1] ?? '', code: `${body.join('\n')}\n`, line: start + 1, section });
  }
  return blocks;
}

const BLOCKS = readmeBlocks();
const tsFile = (block: Block): string => join(WORK, `line-${block.line}${/from 'vitest'/.test(block.code) ? '.test' : ''}.ts`);

/** The expected lines written after `// → ` (ts) or `# → ` (sh). */
function expectedLines(code: string, marker: '//' | '#'): string[] {
  const arrow = `${marker} → `;
  return code
    .split('\n')
    .filter((line) => line.includes(arrow))
    .map((line) => line.slice(line.indexOf(arrow) + arrow.length).trim());
}

/** Each expected line must be contained in an output line, in order. */
function expectInOrder(output: string, expected: readonly string[], what: string): void {
  const lines = output.split('\n');
  let at = 0;
  for (const wanted of expected) {
    const found = lines.findIndex((line, i) => i >= at && line.includes(wanted));
    expect(found, `${what}: "${wanted}" not printed (in order); it printed:\n${output}`).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command in a process group of its own; `ready` makes it a service, stopped with SIGTERM once the pattern is printed. */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; ready?: RegExp; timeoutMs?: number }): Promise<Ran> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-(child.pid ?? 0), name);
    } catch {
      // already gone
    }
  };
  const seen = (): void => {
    if (options.ready && options.ready.test(stdout + stderr)) {
      options.ready = undefined;
      // Each service handles signals before it says it is running.
      signal('SIGTERM');
    }
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), seen()));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), seen()));
  const timer = setTimeout(() => signal('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

/** The environment a README block runs in: the test's URLs, and nothing of this vitest run. */
function blockEnv(databaseUrl: string, brokerUrl: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('VITEST') && name !== 'NODE_OPTIONS') env[name] = value;
  return {
    ...env,
    DATABASE_URL: databaseUrl,
    BROKER_URL: brokerUrl,
    PATH: `${join(WORK, 'bin')}:${process.env.PATH ?? ''}`,
    PRISMA_CELERY_ROOT: ROOT,
    PRISMA_CELERY_PORT: '0',
    ...extra,
  };
}

/** The logical commands of a sh block (continuations joined), each with the output lines expected after it. */
function shellCommands(code: string): { command: string; expected: string[] }[] {
  const commands: { command: string; expected: string[] }[] = [];
  let pending = '';
  for (const line of code.split('\n')) {
    if (line.startsWith('# → ')) {
      commands.at(-1)?.expected.push(...expectedLines(line, '#'));
      continue;
    }
    if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    commands.push({ command: (pending + line).replace(/\s+/g, ' ').trim(), expected: [] });
    pending = '';
  }
  return commands;
}

/** The command as run: example URLs replaced by the test's, the package path by this checkout's. */
function localized(command: string): string {
  return command
    .replace(/--database-url \S+/g, '--database-url "$DATABASE_URL"')
    .replace(/^DATABASE_URL=\S+/, 'DATABASE_URL="$DATABASE_URL"')
    .replace(/node_modules\/prisma-celery\//g, '"$PRISMA_CELERY_ROOT"/');
}

const withoutComment = (command: string): string => command.replace(/\s+#.*$/, '');

afterAll(() => rmSync(WORK, { recursive: true, force: true }));

beforeAll(() => {
  mkdirSync(join(WORK, 'bin'), { recursive: true });
  // npx, as the README's reader has it once the package is installed: prisma-celery is this checkout's CLI.
  const npx = join(WORK, 'bin', 'npx');
  writeFileSync(
    npx,
    [
      '#!/bin/sh',
      `if [ "$1" = prisma-celery ]; then shift; exec "${process.execPath}" --import tsx "$PRISMA_CELERY_ROOT/src/cli/main.ts" "$@"; fi`,
      'if [ "$1" = prisma ]; then shift; exec "$PRISMA_CELERY_ROOT/node_modules/.bin/prisma" "$@"; fi',
      'echo "npx $1: the README runner does not know this command" >&2; exit 127',
      '',
    ].join('\n'),
  );
  chmodSync(npx, 0o755);
  for (const block of BLOCKS.filter((b) => b.lang === 'ts')) {
    const code = block.code.replace(/from 'prisma-celery\/(\w+)'/g, "from '../../src/$1/index.js'").replace(/from 'prisma-celery'/g, "from '../../src/index.js'");
    writeFileSync(tsFile(block), code);
  }
  writeFileSync(join(WORK, 'tsconfig.json'), JSON.stringify({ extends: '../../tsconfig.json', include: ['*.ts'] }));
  writeFileSync(join(WORK, 'vitest.config.mjs'), 'export default { test: { include: ["*.test.ts"], testTimeout: 30000 } };\n');
});

describe('the README', () => {
  it('has code blocks in every part, all in languages the runner knows', () => {
    expect(BLOCKS.length).toBeGreaterThan(10);
    for (const block of BLOCKS) expect(['ts', 'js', 'sh', 'text'], `README line ${block.line}`).toContain(block.lang);
    for (const block of BLOCKS.filter((b) => b.lang === 'js')) {
      expect(block.code.startsWith('// prisma-celery.config.mjs'), `README line ${block.line}: a js block must be a config file`).toBe(true);
    }
    const sections = new Set(BLOCKS.filter((b) => b.lang === 'ts').map((b) => b.section));
    for (const part of ['Result backend', 'Schedules', 'Snapshot camera', 'HTTP views', 'Cleanup', 'Eager mode']) {
      expect([...sections].some((s) => s.startsWith(part)), `no TypeScript example in "${part}"`).toBe(true);
    }
  });

  it('runs or excludes (with a reason) every shell command', () => {
    for (const block of BLOCKS.filter((b) => b.lang === 'sh')) {
      for (const { command } of shellCommands(block.code)) {
        const known = /^(\w+=\S+ )*npx prisma(-celery)? /.test(command) || withoutComment(command) in EXCLUDED;
        expect(known, `README line ${block.line}: "${command}" is neither run nor in EXCLUDED`).toBe(true);
      }
    }
  });

  it('typechecks its TypeScript with the project\'s settings', async () => {
    const result = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(WORK, 'tsconfig.json')], {
      cwd: ROOT,
      env: process.env,
    });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.code).toBe(0);
  }, 60_000);
});

// The databases' runs go side by side (each a chain of processes, mostly one
// at a time); within one, the blocks run in README order.
describeWithBroker('the README', () => {
  describe.concurrent('on each database', () => {
    describeEachDatabase('runs', (testDb) => {
      const redis = redisDbPerSuite();
      let cwd = '';
      // The blocks' workers consume fixed queue names (`tasks`): a vhost each keeps the runs apart.
      let vhost: PrivateVhost;
      const env = (): NodeJS.ProcessEnv => blockEnv(testDb.url, vhost.url, { REDIS_URL: redis.url });
      beforeAll(() => {
        cwd = join(WORK, `${testDb.provider}-${randomBytes(3).toString('hex')}`);
        mkdirSync(cwd, { recursive: true });
        vhost = privateVhost('readme');
      });
      afterAll(() => {
        rmSync(cwd, { recursive: true, force: true });
        vhost?.drop();
      });

      for (const block of BLOCKS) {
        const title = `${block.section}: \`\`\`${block.lang} at README line ${block.line}`;
        if (block.lang === 'ts') {
          it.sequential(title, async () => {
            const file = tsFile(block);
            const vitest = file.endsWith('.test.ts');
            const result = vitest
              ? await run(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', WORK, '--config', join(WORK, 'vitest.config.mjs'), file], {
                  cwd: WORK,
                  env: env(),
                })
              : await run(process.execPath, ['--import', 'tsx', file], { cwd, env: env() });
            const printed = `${result.stdout}\n${result.stderr}`;
            expect(result.code, printed).toBe(0);
            // vitest colours its summary.
            if (vitest) expect(result.stdout.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests +\d+ passed/);
            else expect(result.stderr, printed).toBe('');
            expectInOrder(result.stdout, expectedLines(block.code, '//'), title);
          }, 90_000);
        } else if (block.lang === 'js') {
          it.sequential(title, () => {
            writeFileSync(join(cwd, 'prisma-celery.config.mjs'), block.code);
          });
        } else if (block.lang === 'sh') {
          it.sequential(title, async () => {
            for (const { command, expected } of shellCommands(block.code)) {
              if (withoutComment(command) in EXCLUDED) continue;
              const service = /npx prisma-celery (\w+)/.exec(command)?.[1] ?? '';
              const ready = SERVICES[service];
              const result = await run('bash', ['-c', localized(command)], { cwd, env: env(), ready });
              const printed = `$ ${command}\n${result.stdout}\n${result.stderr}`;
              if (result.code !== 0 && /npx prisma migrate deploy/.test(command) && ENGINE_DOWNLOAD_FAILED.test(printed)) {
                // Offline: the CLI loaded our config before it failed to fetch its engine.
                expect(printed).toMatch(/Loaded Prisma config from .*prisma\.config\.ts/);
                continue;
              }
              expect(result.code, printed).toBe(0);
              if (ready) expect(printed, `${command} never said it was running`).toMatch(ready);
              expectInOrder(`${result.stdout}\n${result.stderr}`, expected, command);
            }
          }, 120_000);
        }
      }
    });
  });
});
