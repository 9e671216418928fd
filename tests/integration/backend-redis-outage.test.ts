// The Redis result backend when its Redis dies (a private redis-server,
// SIGKILLed): a store made during the outage waits and lands once Redis is
// back; one that outlasts waitForRedisMs fails in one line; waits
// resubscribe after the reconnect and are woken by PUBLISH again.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { BackendRedisError, RedisResultBackend, type BackendEvent } from '../../src/backend/index.js';
import { describeWithPrivateRedis, startPrivateRedis } from '../support/private-redis.js';

describeWithPrivateRedis('the Redis result backend through a Redis outage', () => {
  it('waits for Redis to come back, then stores; waits are woken by PUBLISH again', async () => {
    await using server = await startPrivateRedis();
    const events: BackendEvent[] = [];
    await using backend = new RedisResultBackend(server.url(), { retry: { waitForRedisMs: 30_000 }, onEvent: (event) => events.push(event) });
    await using waiter = new RedisResultBackend(server.url(), { pollInterval: 60_000 });
    const waitedId = randomUUID();
    const waited = waiter.waitFor(waitedId, { timeout: 30_000 });
    await backend.markStarted(waitedId);
    const subscribed = async (url: string): Promise<number> => {
      const check = new Redis(url, { lazyConnect: true });
      await check.connect();
      try {
        return Number((await check.pubsub('NUMSUB', `celery-task-meta-${waitedId}`))[1]);
      } finally {
        check.disconnect();
      }
    };
    await expect.poll(() => subscribed(server.url())).toBe(1);

    await server.kill();
    const id = randomUUID();
    const store = backend.markSucceeded(id, 'after the outage');
    await expect.poll(() => events.some((event) => event.type === 'retry')).toBe(true);
    await server.start();
    await store;

    const check = new Redis(server.url(), { lazyConnect: true });
    await check.connect();
    try {
      expect(JSON.parse((await check.get(`celery-task-meta-${id}`)) ?? 'null')).toMatchObject({ status: 'SUCCESS', result: 'after the outage' });
      // The waiter subscribed again on the new server (no poll for 60 s would end its wait).
      await expect.poll(() => subscribed(server.url()), { timeout: 15_000 }).toBe(1);
      await backend.markSucceeded(waitedId, 'woken');
      expect(await waited).toBe('woken');
    } finally {
      check.disconnect();
    }
  });

  it('fails a store loudly, in one line, when Redis stays down past waitForRedisMs', async () => {
    await using server = await startPrivateRedis();
    await using backend = new RedisResultBackend(server.url(), { retry: { waitForRedisMs: 300, attempts: 2 }, onEvent: () => {} });
    await backend.start();
    await server.kill();
    const failed = await backend.markSucceeded(randomUUID(), 1).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(BackendRedisError);
    expect(failed).toMatchObject({ code: 'E_BACKEND_REDIS', transient: true });
    expect((failed as Error).message).toMatch(new RegExp(`^store failed after waiting 0\\.3 s for Redis at redis://127\\.0\\.0\\.1:${server.port}/0: \\S`));
    expect((failed as Error).message).not.toContain('\n');
  });
});
