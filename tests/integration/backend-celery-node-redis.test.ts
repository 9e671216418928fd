// The result backend under a real celery-node worker and client whose broker
// is Redis: the broker only carries the task; the row, the waiters and the
// error surface are the same as over RabbitMQ.
import { randomBytes } from 'node:crypto';
import { createClient, createWorker } from 'celery-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { attachBackend, instrumentWorker, PrismaResultBackend, TaskFailedError } from '../../src/backend/index.js';
import { TestDatabase } from '../support/databases.js';
import { migrateDeploy } from '../../src/migrate/index.js';
import { claimRedisDb, describeWithRedis, type RedisTestDb } from '../support/redis.js';

describeWithRedis('celery-node over Redis on the result backend', () => {
  const queue = `pc-backend-redis-${randomBytes(4).toString('hex')}`;
  const testDb = new TestDatabase('sqlite');
  let redis: RedisTestDb;
  let backend: PrismaResultBackend;
  let worker: ReturnType<typeof createWorker>;
  let client: ReturnType<typeof createClient>;

  beforeAll(async () => {
    redis = await claimRedisDb();
    await migrateDeploy(await testDb.create());
    backend = new PrismaResultBackend(testDb.url);
    worker = createWorker(redis.url, redis.url, queue);
    instrumentWorker(worker, backend, { hostname: 'node-redis@host' });
    worker.register('tasks.add', (a: number, b: number) => a + b);
    worker.register('tasks.fail', () => {
      throw new RangeError('too big');
    });
    void worker.start();
    client = createClient(redis.url, redis.url, queue);
    attachBackend(client, backend);
    await client.isReady();
  });

  afterAll(async () => {
    await client?.disconnect();
    await worker?.disconnect();
    await backend?.close();
    await testDb.drop();
    await redis?.[Symbol.asyncDispose]();
  });

  it('runs a task sent through Redis and the client reads its value from the table', async () => {
    const result = client.sendTask('tasks.add', [20, 22], { unused: 1 });
    expect(await result.get(15_000, 50)).toBe(42);
    expect(await backend.getTask(result.taskId)).toMatchObject({
      status: 'SUCCESS',
      result: 42,
      name: 'tasks.add',
      args: [20, 22],
      kwargs: { unused: 1 },
      worker: 'node-redis@host',
      queue,
    });
    // Nothing is left waiting in the queue's list.
    expect(await redis.client.llen(queue)).toBe(0);
  });

  it('stores a thrown error, and the backend\'s waiter surfaces it', async () => {
    const result = client.sendTask('tasks.fail', [], {});
    const failed = await backend.waitFor(result.taskId, { timeout: 15_000 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TaskFailedError);
    expect(failed).toMatchObject({ excType: 'RangeError', excMessage: ['too big'] });
  });
});
