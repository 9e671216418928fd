// A real celery-node worker and client over RabbitMQ on each database: the
// worker stores through the instrumented backend, the client's
// AsyncResult.get() reads through it. Success, a thrown error, an unknown
// id, an unknown task name (the worker keeps running), and the README example.
import { randomBytes, randomUUID } from 'node:crypto';
import { createClient, createWorker } from 'celery-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  attachBackend,
  instrumentWorker,
  PrismaResultBackend,
  TaskFailedError,
  TaskTimeoutError,
  type BackendEvent,
} from '../../src/backend/index.js';
import { describeWithBroker, testBrokerUrl } from '../support/broker.js';
import { runReadmeExample } from '../support/celery-node-example.js';
import { describeEachDatabase } from '../support/databases.js';

type Worker = ReturnType<typeof createWorker>;
type Client = ReturnType<typeof createClient>;

describeWithBroker('celery-node on the result backend', () => {
  describeEachDatabase('worker and client', (testDb) => {
    const queue = `pc-backend-${testDb.provider}-${randomBytes(4).toString('hex')}`;
    const events: BackendEvent[] = [];
    let backend: PrismaResultBackend;
    let worker: Worker;
    let client: Client;
    let handled = 0;

    beforeAll(async () => {
      backend = new PrismaResultBackend(testDb.url, { onEvent: (event) => events.push(event) });
      worker = createWorker(testBrokerUrl(), 'amqp://', queue);
      instrumentWorker(worker, backend, { hostname: 'node-test@host' });
      worker.register('tasks.add', (a: number, b: number) => (handled++, a + b));
      worker.register('tasks.fail', () => {
        throw new TypeError('bad input');
      });
      worker.register('tasks.void', () => undefined);
      void worker.start();
      client = createClient(testBrokerUrl(), 'amqp://', queue);
      attachBackend(client, backend);
      await client.isReady();
    });

    afterAll(async () => {
      await client?.disconnect();
      await worker?.disconnect();
      await backend?.close();
    });

    it('runs a task and the client gets its value; the row says who ran what', async () => {
      const result = client.sendTask('tasks.add', [2, 3], { ignored: true });
      expect(await result.get(15_000, 50)).toBe(5);
      const record = await backend.getTask(result.taskId);
      expect(record).toMatchObject({
        status: 'SUCCESS',
        result: 5,
        name: 'tasks.add',
        args: [2, 3],
        kwargs: { ignored: true },
        worker: 'node-test@host',
        queue,
        retries: 0,
        traceback: null,
      });
      expect(record?.dateStarted).toBeInstanceOf(Date);
      expect(record!.dateStarted!.getTime()).toBeLessThanOrEqual(record!.dateDone.getTime());
    });

    it('stores a thrown error as Celery does, and both waiters surface it', async () => {
      const result = client.sendTask('tasks.fail', [], {});
      const error = (await result.get(15_000, 50).catch((e: unknown) => e)) as Error & Record<string, unknown>;
      expect(error.message).toBe('FAILURE');
      expect(error).toMatchObject({ exc_type: 'TypeError', exc_message: ['bad input'], exc_module: 'javascript' });
      const failed = await backend.waitFor(result.taskId).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(TaskFailedError);
      expect(failed).toMatchObject({ excType: 'TypeError', excMessage: ['bad input'] });
      expect((failed as TaskFailedError).traceback).toMatch(/^TypeError: bad input\n\s+at /);
    });

    it('stores a void task\'s result as null', async () => {
      const result = client.sendTask('tasks.void', [], {});
      expect(await result.get(15_000, 50)).toBeNull();
    });

    it('reads an unknown id as PENDING until the client\'s and our own timeout', async () => {
      const id = randomUUID();
      expect(await client.asyncResult(id).status()).toBe('PENDING');
      await expect(client.asyncResult(id).get(300, 50)).rejects.toThrow('TIMEOUT');
      const error = await backend.waitFor(id, { timeout: 300, interval: 50 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect(error).toMatchObject({ taskId: id, lastState: 'PENDING' });
    });

    it('stores an unknown task name as FAILURE (NotRegistered) and keeps the worker running', async () => {
      const before = handled;
      const unknown = client.sendTask('tasks.nope', [1], {});
      const error = await backend.waitFor(unknown.taskId, { timeout: 15_000, interval: 50 }).catch((e: unknown) => e);
      expect(error).toMatchObject({ excType: 'NotRegistered', excMessage: ['tasks.nope'], excModule: 'celery.exceptions' });
      expect(await backend.getTask(unknown.taskId)).toMatchObject({ name: 'tasks.nope', args: [1], worker: 'node-test@host', queue });
      expect(events).toContainEqual({ type: 'unregistered-task', taskId: unknown.taskId, name: 'tasks.nope' });
      // The same process handles the next task.
      expect(await client.sendTask('tasks.add', [20, 22], {}).get(15_000, 50)).toBe(42);
      expect(handled).toBe(before + 1);
      // Not even a name that is a property of every object fools it.
      const sneaky = client.sendTask('toString', [], {});
      await expect(backend.waitFor(sneaky.taskId, { timeout: 15_000, interval: 50 })).rejects.toMatchObject({ excType: 'NotRegistered' });
    });

    it('reported no failed store or read', () => {
      expect(events.filter((e) => e.type === 'store-failed' || e.type === 'read-failed' || e.type === 'message-error')).toEqual([]);
    });
  });

  describeEachDatabase('the README example', (testDb) => {
    it('runs as printed', async () => {
      const queue = `pc-readme-${testDb.provider}-${randomBytes(4).toString('hex')}`;
      const outcome = await runReadmeExample(testBrokerUrl(), testDb.url, queue);
      expect(outcome.sum).toBe(5);
      expect(outcome.failure).toEqual({ message: 'FAILURE', exc_type: 'RangeError', exc_message: ['division by zero'] });
      expect(outcome.record).toMatchObject({ status: 'FAILURE', name: 'tasks.divide', args: [1, 0], worker: 'example@localhost', queue });
    });
  });
});
