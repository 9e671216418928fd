// The Redis result backend on a real Redis (a database of this file's own):
// Celery's key layout as stored, the guard against every interleaving of
// writers, waits woken by PUBLISH on one SUBSCRIBE connection, groups,
// forget, expiry, values other writers left, and the errors when Redis is
// not there.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BackendRedisError,
  RedisResultBackend,
  StoredDataError,
  TaskFailedError,
  TaskTimeoutError,
} from '../../src/backend/index.js';
import { ConfigError } from '../../src/errors.js';
import { freePort } from '../support/free-port.js';
import { describeWithRedis, redisDbPerSuite } from '../support/redis.js';

describeWithRedis('the Redis result backend', () => {
  const redis = redisDbPerSuite();
  let backend: RedisResultBackend;
  let other: RedisResultBackend;

  beforeAll(async () => {
    backend = new RedisResultBackend(redis.url, { expires: '1h' });
    // Another process, as far as Redis can tell: its own connections.
    other = new RedisResultBackend(redis.url, { expires: '1h' });
    await Promise.all([backend.start(), other.start()]);
  });

  afterAll(async () => {
    await backend?.close();
    await other?.close();
  });

  const stored = async (taskId: string): Promise<Record<string, unknown>> =>
    JSON.parse((await redis.client.get(`celery-task-meta-${taskId}`)) ?? 'null') as Record<string, unknown>;

  it("stores a task in Celery's layout, with its expiry, and reads it back", async () => {
    const id = randomUUID();
    const started = new Date('2026-01-02T03:04:05.000Z');
    await backend.markStarted(id, { name: 'tasks.add', args: [1, 2], kwargs: { k: 'v' }, worker: 'node@host', queue: 'celery', retries: 0, dateStarted: started });
    expect(await stored(id)).toEqual({
      status: 'STARTED', result: null, traceback: null, children: [], date_done: null,
      name: 'tasks.add', args: [1, 2], kwargs: { k: 'v' }, worker: 'node@host', retries: 0, queue: 'celery',
      date_started: started.toISOString(), task_id: id,
    });
    await backend.markSucceeded(id, { sum: 3 }, { children: [[['child', null], null]] });
    const value = await stored(id);
    expect(value).toMatchObject({ status: 'SUCCESS', result: { sum: 3 }, children: [[['child', null], null]], name: 'tasks.add', task_id: id });
    expect(new Date(value.date_done as string).getTime()).toBeGreaterThan(started.getTime());
    const ttl = await redis.client.pttl(`celery-task-meta-${id}`);
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);

    expect(await other.getTaskMeta(id)).toEqual({
      task_id: id, status: 'SUCCESS', result: { sum: 3 }, traceback: null, children: [[['child', null], null]], date_done: value.date_done,
    });
    expect(await other.getTask(id)).toMatchObject({
      taskId: id, status: 'SUCCESS', name: 'tasks.add', args: [1, 2], kwargs: { k: 'v' }, worker: 'node@host', queue: 'celery',
      retries: 0, dateStarted: started, dateCreated: null,
    });
    expect(await backend.getTaskMeta(randomUUID())).toMatchObject({ status: 'PENDING', result: null });
    expect(await backend.getTask(randomUUID())).toBeNull();
  });

  it('stores a failure as Celery stores exceptions', async () => {
    const id = randomUUID();
    await backend.markFailed(id, new RangeError('too big'));
    expect(await stored(id)).toMatchObject({ status: 'FAILURE', result: { exc_type: 'RangeError', exc_message: ['too big'], exc_module: 'javascript' } });
    expect((await stored(id)).traceback).toMatch(/^RangeError: too big/);
    const failed = await other.waitFor(id).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(TaskFailedError);
    expect(failed).toMatchObject({ excType: 'RangeError', excMessage: ['too big'], state: 'FAILURE' });
  });

  it('never moves a task backwards: a late STARTED only fills in what SUCCESS lacked', async () => {
    const id = randomUUID();
    await backend.markSucceeded(id, 42);
    await other.markStarted(id, { worker: 'late@host' });
    expect(await stored(id)).toMatchObject({ status: 'SUCCESS', result: 42, worker: 'late@host' });
    const before = await redis.client.get(`celery-task-meta-${id}`);
    await other.markStarted(id, { worker: 'later@host' }); // nothing to add: not written at all
    expect(await redis.client.get(`celery-task-meta-${id}`)).toBe(before);
    await other.markRetry(id, new Error('again'));
    expect(await stored(id)).toMatchObject({ status: 'SUCCESS', result: 42 });
  });

  it('keeps the ready state whatever order racing writers land in', async () => {
    const ids = Array.from({ length: 30 }, () => randomUUID());
    await Promise.all(
      ids.flatMap((id) => [
        backend.markStarted(id, { worker: 'a' }),
        other.markSucceeded(id, id),
        backend.storeResult(id, null, 'RECEIVED', { name: 'tasks.race' }),
        other.markStarted(id, { queue: 'q' }),
        backend.markRetry(id, new Error('r')),
      ]),
    );
    for (const id of ids) {
      expect(await stored(id)).toMatchObject({ status: 'SUCCESS', result: id, task_id: id });
    }
  });

  it('guards against values Python Celery wrote (a plain SET, naive dates)', async () => {
    const id = randomUUID();
    await redis.client.set(
      `celery-task-meta-${id}`,
      JSON.stringify({ status: 'SUCCESS', result: [1, 2.5], traceback: null, children: [], date_done: '2026-03-04T05:06:07.123456', task_id: id }),
    );
    expect(await backend.getTaskMeta(id)).toMatchObject({ status: 'SUCCESS', result: [1, 2.5], date_done: '2026-03-04T05:06:07.123Z' });
    await backend.markStarted(id);
    expect(await stored(id)).toMatchObject({ status: 'SUCCESS', result: [1, 2.5] });
  });

  it('says so, in one line, when a key holds something other than JSON', async () => {
    const id = randomUUID();
    await redis.client.set(`celery-task-meta-${id}`, Buffer.from([0x80, 0x04, 0x95]));
    await expect(backend.getTaskMeta(id)).rejects.toThrow(StoredDataError);
    await expect(backend.markSucceeded(id, 1)).rejects.toThrow(/not Celery's JSON/);
  });

  it('wakes waiters by PUBLISH: many waits, one SUBSCRIBE connection, no polling', async () => {
    const waitConnections = async (): Promise<number> =>
      ((await redis.client.client('LIST')) as string).split('\n').filter((line) => line.includes('name=prisma-celery-result-waits')).length;
    const before = await waitConnections();
    const waiter = new RedisResultBackend(redis.url, { pollInterval: 60_000 });
    try {
      const ids = Array.from({ length: 200 }, () => randomUUID());
      const waits = ids.map((id) => waiter.waitFor(id, { timeout: 30_000 }));
      const shared = waiter.waitFor(ids[0]!, { timeout: 30_000 });
      // Every wait has subscribed (so read) before the stores begin: woken by PUBLISH, or they would sleep 60 s.
      await expect.poll(async () => Number((await redis.client.pubsub('NUMSUB', `celery-task-meta-${ids[199]!}`))[1])).toBe(1);
      expect(await waitConnections()).toBe(before + 1);
      await Promise.all(ids.map((id, i) => other.markSucceeded(id, i)));
      expect(await Promise.all(waits)).toEqual(ids.map((_, i) => i));
      expect(await shared).toBe(0);
      // A PUBLISH as Python's backend sends it (SETEX then PUBLISH of the value) wakes too.
      const pyId = randomUUID();
      const pyWait = waiter.waitFor(pyId, { timeout: 30_000 });
      await expect.poll(async () => Number((await redis.client.pubsub('NUMSUB', `celery-task-meta-${pyId}`))[1])).toBe(1);
      const meta = JSON.stringify({ status: 'SUCCESS', result: 'py', traceback: null, children: [], date_done: '2026-03-04T05:06:07', task_id: pyId });
      await redis.client.multi().setex(`celery-task-meta-${pyId}`, 60, meta).publish(`celery-task-meta-${pyId}`, meta).exec();
      expect(await pyWait).toBe('py');
      // Channels go once nobody waits on them.
      await expect.poll(async () => Number((await redis.client.pubsub('NUMSUB', `celery-task-meta-${ids[5]!}`))[1])).toBe(0);
    } finally {
      await waiter.close();
    }
  });

  it('times out a wait with TaskTimeoutError, with the last state', async () => {
    const id = randomUUID();
    await backend.markStarted(id);
    const failed = await backend.waitFor(id, { timeout: 50 }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(TaskTimeoutError);
    expect(failed).toMatchObject({ lastState: 'STARTED' });
  });

  it("saves, restores and deletes groups in Celery's layout", async () => {
    const groupId = randomUUID();
    const members = [randomUUID(), randomUUID()];
    await backend.saveGroup(groupId, members);
    const value = JSON.parse((await redis.client.get(`celery-taskset-meta-${groupId}`)) ?? 'null') as { result: unknown };
    expect(value.result).toEqual([[groupId, null], members.map((id) => [[id, null], null])]);
    expect(await redis.client.pttl(`celery-taskset-meta-${groupId}`)).toBeGreaterThan(3_500_000);
    expect(await other.restoreGroup(groupId)).toMatchObject({ groupId, taskIds: members, dateDone: expect.any(Date) as Date });
    expect(await other.deleteGroup(groupId)).toBe(true);
    expect(await other.deleteGroup(groupId)).toBe(false);
    expect(await backend.restoreGroup(groupId)).toBeNull();

    // As Python saves one: no date.
    const pyGroup = randomUUID();
    await redis.client.set(`celery-taskset-meta-${pyGroup}`, JSON.stringify({ result: [[pyGroup, null], [[['a', null], null], [['b', null], null]]] }));
    expect(await backend.restoreGroup(pyGroup)).toEqual({ groupId: pyGroup, taskIds: ['a', 'b'], dateDone: null });
  });

  it('forgets a task', async () => {
    const id = randomUUID();
    await backend.markSucceeded(id, 1);
    await backend.forget(id);
    expect(await redis.client.exists(`celery-task-meta-${id}`)).toBe(0);
    expect(await backend.getTaskMeta(id)).toMatchObject({ status: 'PENDING' });
  });

  it('sets result_expires on every write, or none with expires: null', async () => {
    const short = new RedisResultBackend(redis.url, { expires: 2000 });
    const forever = new RedisResultBackend(redis.url, { expires: null });
    try {
      const id = randomUUID();
      await short.markSucceeded(id, 1);
      const ttl = await redis.client.pttl(`celery-task-meta-${id}`);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(2000);
      const kept = randomUUID();
      await forever.markSucceeded(kept, 1);
      expect(await redis.client.pttl(`celery-task-meta-${kept}`)).toBe(-1);
      expect(short.expiresMs).toBe(2000);
      expect(new RedisResultBackend(redis.url).expiresMs).toBe(86_400_000);
    } finally {
      await short.close();
      await forever.close();
    }
  });
});

describe('the Redis result backend without Redis', () => {
  it('refuses a URL that is not Redis, before connecting', () => {
    expect(() => new RedisResultBackend('postgresql://x/y')).toThrow(ConfigError);
  });

  it('fails a store at once, in one line, when nothing listens at the URL', async () => {
    const port = await freePort();
    const backend = new RedisResultBackend(`redis://127.0.0.1:${port}/0`);
    const failed = await backend.markSucceeded(randomUUID(), 1).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(BackendRedisError);
    expect((failed as Error).message).toMatch(new RegExp(`^the result backend cannot connect to redis://127\\.0\\.0\\.1:${port}/0: .*ECONNREFUSED`));
    expect((failed as Error).message).not.toContain('\n');
    await backend.close();
  });

  it('rejects calls after close()', async () => {
    const backend = new RedisResultBackend('redis://127.0.0.1:1/0');
    await backend.close();
    await expect(backend.getTaskMeta('x')).rejects.toMatchObject({ code: 'E_BACKEND_CLOSED' });
  });

  it('checks its options with a message that says what is allowed', () => {
    expect(() => new RedisResultBackend('redis://127.0.0.1:1/0', { retry: { waitForRedisMs: -1 } })).toThrow(
      /retry\.waitForRedisMs must be a whole number between 0 and 3600000, got -1/,
    );
    expect(() => new RedisResultBackend('redis://127.0.0.1:1/0', { expires: 'soon' })).toThrow(/expires must be/);
  });
});
