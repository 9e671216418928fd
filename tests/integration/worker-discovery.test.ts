// `prisma-celery worker --tasks …` as a process: each way a task module can
// be wrong ends the command before it touches the database or the broker,
// with one line that names the file and exit code 2.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnWorker } from '../support/node-worker-process.js';

describe('prisma-celery worker task discovery', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prisma-celery-discovery-'));

  beforeAll(() => {
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'a', 'tasks.mjs'), 'export const add = (a, b) => a + b;\n');
    writeFileSync(join(dir, 'b', 'tasks.mjs'), 'export function add(a, b) { return a + b; }\n');
    writeFileSync(join(dir, 'throws.mjs'), "throw new Error('no config for the tasks');\n");
    writeFileSync(join(dir, 'broken.mjs'), 'export const = 1;\n');
    writeFileSync(join(dir, 'constants.mjs'), 'export const LIMIT = 10;\n');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const cases: [string, string[], RegExp][] = [
    ['a module that throws on import', ['--tasks', 'throws.mjs'], /^prisma-celery: task module throws\.mjs failed to load: Error: no config for the tasks$/],
    ['a module that does not parse', ['--tasks', 'broken.mjs'], /^prisma-celery: task module broken\.mjs failed to load: SyntaxError: /],
    ['a module exporting no functions', ['--tasks', 'constants.mjs'], /^prisma-celery: task module constants\.mjs exports no functions: /],
    ['a task name given by two modules', ['--tasks', '*/tasks.mjs'], /^prisma-celery: task tasks\.add is registered twice: by a\/tasks\.mjs and by b\/tasks\.mjs; rename one$/],
    ['a file that is not there', ['--tasks', 'a/tasks.mjs,missing.mjs'], /^prisma-celery: task module missing\.mjs does not exist \(relative to /],
    ['a glob that matches nothing', ['--tasks', 'nowhere/*.mjs'], /^prisma-celery: --tasks nowhere\/\*\.mjs matches no file \(relative to /],
    ['no task modules at all', [], /^prisma-celery: no task modules: give --tasks <file or glob>/],
  ];

  it('reads the modules from the config file\'s tasks key', { timeout: 60_000 }, async () => {
    const configDir = join(dir, 'configured');
    mkdirSync(configDir);
    writeFileSync(join(configDir, 'jobs.mjs'), "throw new Error('read from the config');\n");
    writeFileSync(join(configDir, 'prisma-celery.config.json'), JSON.stringify({ tasks: ['jobs.mjs'] }));
    const worker = spawnWorker(['--broker', 'amqp://guest:guest@127.0.0.1:1//', '--database-url', `file:${join(dir, 'none.db')}`], configDir);
    expect(await worker.exited, worker.output()).toBe(2);
    expect(worker.output()).toBe('prisma-celery: task module jobs.mjs failed to load: Error: read from the config\n');
  });

  it('checks the database and then the broker only once the tasks load, each in one line', { timeout: 60_000 }, async () => {
    const noDatabase = spawnWorker(['--tasks', 'a/tasks.mjs', '--broker', 'amqp://guest:guest@127.0.0.1:1//', '--database-url', `file:${join(dir, 'none.db')}`], dir);
    expect(await noDatabase.exited, noDatabase.output()).not.toBe(0);
    expect(noDatabase.output()).toMatch(/^prisma-celery: database file:\S*none\.db \(--database-url\): [^\n]+\n$/);
  });

  for (const [what, args, line] of cases) {
    it(`says what is wrong with ${what} in one line and exits 2`, { timeout: 60_000 }, async () => {
      const worker = spawnWorker([...args, '--broker', 'amqp://guest:guest@127.0.0.1:1//', '--database-url', `file:${join(dir, 'none.db')}`], dir);
      expect(await worker.exited, worker.output()).toBe(2);
      const lines = worker.output().trimEnd().split('\n');
      expect(lines, worker.output()).toHaveLength(1);
      expect(lines[0]).toMatch(line);
    });
  }
});
