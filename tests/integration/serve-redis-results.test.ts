// prisma-celery serve with --result-backend redis://…: djcelery's task-status
// views answer from Celery's Redis result backend (what a Python worker or
// this package stored there), while the rest still reads the database.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisResultBackend } from '../../src/backend/index.js';
import { migrateDeploy } from '../../src/migrate/index.js';
import { runCliCaptured } from '../support/cli-in-process.js';
import { TestDatabase } from '../support/databases.js';
import { describeWithRedis, redisDbPerSuite } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describeWithRedis('prisma-celery serve --result-backend redis://', () => {
  const redis = redisDbPerSuite();
  const testDb = new TestDatabase('sqlite');

  beforeAll(async () => {
    await migrateDeploy(await testDb.create());
  });

  afterAll(async () => {
    await testDb.drop();
  });

  it("answers /tasks/<id>/status and /done from Celery's Redis keys", { timeout: 60_000 }, async () => {
    await using backend = new RedisResultBackend(redis.url);
    const [done, failed] = [randomUUID(), randomUUID()];
    await backend.markSucceeded(done, { total: 3 });
    await backend.markFailed(failed, new TypeError('bad input'));

    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--port', '0', '--database-url', testDb.url, '--result-backend', redis.url],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      await waitFor('the monitor to listen', () => stderr.includes('Monitor on '));
      const url = / INFO  serve +Monitor on (http:\S+) /.exec(stderr)?.[1] ?? '';
      const get = async (path: string): Promise<unknown> => (await fetch(new URL(path, url))).json();
      expect(await get(`tasks/${done}/status`)).toEqual({ task: { id: done, status: 'SUCCESS', result: { total: 3 } } });
      expect(await get(`tasks/${done}/done`)).toEqual({ task: { id: done, executed: true } });
      expect(await get(`tasks/${failed}/status`)).toMatchObject({ task: { id: failed, status: 'FAILURE', exc: 'javascript.TypeError' } });
      expect(await get(`tasks/${randomUUID()}/status`)).toMatchObject({ task: { status: 'PENDING', result: null } });
      child.kill('SIGTERM');
      expect(await exited, stderr).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses a result backend URL that is not Redis, in one line', async () => {
    const outcome = await runCliCaptured(['serve', '--database-url', testDb.url, '--result-backend', 'db+postgresql://x/y']);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr.trim().split('\n')).toEqual([
      expect.stringContaining('--result-backend: "db+postgresql://x/y" is not a result backend URL: use redis://, rediss:// or redis+socket://'),
    ]);
  });
});
