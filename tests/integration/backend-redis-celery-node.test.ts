// celery-node 0.5.9 on the Redis result backend: a worker that stores
// through it (instrumentWorker) and a client attached to it, over a Redis
// broker; and a plain celery-node client with its own Redis backend reading
// what ours stored, since both use Celery's key layout.
import { randomBytes } from 'node:crypto';
import { createClient, createWorker } from 'celery-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { attachBackend, instrumentWorker, RedisResultBackend, TaskFailedError } from '../../src/backend/index.js';
import { claimRedisDb, describeWithRedis, type RedisTestDb } from '../support/redis.js';

describeWithRedis('celery-node on the Redis result backend', () => {
  const queue = `pc-redis-backend-${randomBytes(4).toString('hex')}`;
  let redis: RedisTestDb;
  let backend: RedisResultBackend;
  let worker: ReturnType<typeof createWorker>;
  let client: ReturnType<typeof createClient>;
  let plain: ReturnType<typeof createClient>;

  beforeAll(async () => {
    redis = await claimRedisDb();
    backend = new RedisResultBackend(redis.url);
    worker = createWorker(redis.url, redis.url, queue);
    instrumentWorker(worker, backend, { hostname: 'node-redis@host' });
    worker.register('tasks.add', (a: number, b: number) => a + b);
    worker.register('tasks.fail', () => {
      throw new RangeError('too big');
    });
    void worker.start();
    client = createClient(redis.url, redis.url, queue);
    attachBackend(client, backend);
    plain = createClient(redis.url, redis.url, queue);
    await Promise.all([client.isReady(), plain.isReady()]);
  });

  afterAll(async () => {
    await client?.disconnect();
    await plain?.disconnect();
    await worker?.disconnect();
    await backend?.close();
    await redis?.[Symbol.asyncDispose]();
  });

  it('runs a task; the attached client and a plain celery-node client read its value', async () => {
    const result = client.sendTask('tasks.add', [20, 22], { unused: 1 });
    expect(await result.get(15_000)).toBe(42);
    expect(await backend.getTask(result.taskId)).toMatchObject({
      status: 'SUCCESS',
      result: 42,
      name: 'tasks.add',
      args: [20, 22],
      kwargs: { unused: 1 },
      worker: 'node-redis@host',
      queue,
    });
    // celery-node's own Redis backend reads the same key.
    expect(await plain.asyncResult(result.taskId).get(15_000, 20)).toBe(42);
  });

  it("stores a thrown error; the backend's waiter and celery-node's get() surface it", async () => {
    const result = client.sendTask('tasks.fail', [], {});
    const failed = await backend.waitFor(result.taskId, { timeout: 15_000 }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(TaskFailedError);
    expect(failed).toMatchObject({ excType: 'RangeError', excMessage: ['too big'] });
    const surfaced = await client.asyncResult(result.taskId).get(15_000).catch((e: unknown) => e);
    expect(surfaced).toMatchObject({ message: 'FAILURE', exc_type: 'RangeError' });
  });
});
