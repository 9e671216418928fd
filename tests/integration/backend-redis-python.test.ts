// Interoperability of the Redis result backend with real Python Celery 5.2.6
// (result_backend = redis://): a Python worker's results — a value and a
// Python exception — waited on here; what we store read by Python's
// AsyncResult.get() and GroupResult.restore(), including a get() that is
// already waiting when we store (woken by our PUBLISH).
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisResultBackend, TaskFailedError } from '../../src/backend/index.js';
import { describeWithPythonCeleryOnRedis, PythonWorker } from '../support/python-worker.js';
import { claimRedisDb, type RedisTestDb } from '../support/redis.js';

describeWithPythonCeleryOnRedis('the Redis result backend with Python Celery', () => {
  let redis: RedisTestDb;
  let worker: PythonWorker;
  let backend: RedisResultBackend;

  beforeAll(async () => {
    redis = await claimRedisDb();
    worker = new PythonWorker({ brokerUrl: redis.url, resultBackend: redis.url, events: false });
    backend = new RedisResultBackend(redis.url);
    await Promise.all([worker.start(), backend.start()]);
  });

  afterAll(async () => {
    await worker?.[Symbol.asyncDispose]();
    await backend?.close();
    await redis?.[Symbol.asyncDispose]();
  });

  it("waits on a Python worker's results: a value, and a failure with its Python exception type", async () => {
    const added = await worker.publish('tasks.add', [20, 22]);
    const failing = await worker.publish('tasks.fail', ['not today']);
    expect(await backend.waitFor(added, { timeout: 30_000 })).toBe(42);
    expect(await backend.getTask(added)).toMatchObject({ status: 'SUCCESS', result: 42, dateDone: expect.any(Date) as Date });
    const failed = await backend.waitFor(failing, { timeout: 30_000 }).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(TaskFailedError);
    expect(failed).toMatchObject({ excType: 'ValueError', excModule: 'builtins', excMessage: ['not today'], state: 'FAILURE' });
    expect((failed as TaskFailedError).traceback).toContain('ValueError: not today');
  });

  it("stores what Python's AsyncResult and GroupResult read, and wakes a Python get() already waiting", async () => {
    const [value, failure, revoked, later, groupId] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await backend.markStarted(value, { name: 'tasks.add', worker: 'node@host' });
    await backend.markSucceeded(value, { sum: [1, 2] });
    await backend.markFailed(failure, new RangeError('js says no'));
    await backend.markRevoked(revoked, 'stopped');
    await backend.saveGroup(groupId, [value, failure]);

    const reading = worker.readResults({ task_ids: [value, failure, revoked, later], group_id: groupId, timeout: 30 });
    // Python has subscribed to the last task's channel: it is waiting on it.
    await expect
      .poll(async () => Number((await redis.client.pubsub('NUMSUB', `celery-task-meta-${later}`))[1]), { timeout: 30_000 })
      .toBe(1);
    await backend.markSucceeded(later, 'late');
    const read = await reading;

    expect(read[value]).toMatchObject({ state: 'SUCCESS', value: { sum: [1, 2] } });
    expect(read[failure]).toMatchObject({ state: 'FAILURE', exc_type: 'RangeError', exc_args: ['js says no'] });
    expect(read[revoked]).toMatchObject({ state: 'REVOKED', exc_type: 'TaskRevokedError', exc_args: ['stopped'] });
    expect(read[later]).toMatchObject({ state: 'SUCCESS', value: 'late' });
    expect(read[value]?.date_done).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d/);
    expect(read.group).toEqual([value, failure]);
  });
});
