// Eager mode on every database: a registered celery-node task function run
// in-process, its STARTED and final state stored through the result backend
// as a worker would store them, and read back as a client would, with no
// broker at all (the celery-node Worker is created but never started).
import { createClient, createWorker } from 'celery-node';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import {
  BackendNotMigratedError,
  createEagerClient,
  EagerTaskFailedError,
  InvalidArgumentError,
  PrismaResultBackend,
  TaskFailedError,
  TaskTimeoutError,
  type EagerClient,
} from '../../src/backend/index.js';
import { describeEachDatabase } from '../support/databases.js';

/** A promise with its resolve, to hold a task function mid-run. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open = (): void => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('eager mode', () => {
  describeEachDatabase('with a celery-node worker', (testDb) => {
    let backend: PrismaResultBackend;
    let eager: EagerClient;
    const held = gate();
    let received: unknown[] = [];

    beforeAll(() => {
      backend = new PrismaResultBackend(testDb.url);
      // Never started: no broker is needed, and none is contacted.
      const worker = createWorker('amqp://nobody.invalid', 'amqp://', 'app-queue');
      worker.register('tasks.add', (a: number, b: number) => a + b);
      worker.register('tasks.divide', (a: number, b: number) => {
        if (b === 0) throw new RangeError('division by zero');
        return a / b;
      });
      worker.register('tasks.echo', (...args: unknown[]) => {
        received = args;
        return args;
      });
      worker.register('tasks.held', async () => {
        await held.opened;
        return 'done';
      });
      worker.register('tasks.bigint', () => 10n);
      worker.register('tasks.chain', (n: number) => eager.sendTask('tasks.add', [n, 1]).get());
      eager = createEagerClient(worker, backend, { hostname: 'eager@test' });
    });
    afterAll(async () => {
      await eager.disconnect();
      await backend.close();
    });

    it('runs a task and stores SUCCESS with what a worker records', async () => {
      const result = eager.sendTask('tasks.add', [2, 3]);
      expect(await result.get()).toBe(5);
      expect(await result.status()).toBe('SUCCESS');
      expect(await result.result()).toBe(5);
      const record = await backend.getTask(result.taskId);
      expect(record).toMatchObject({
        status: 'SUCCESS',
        result: 5,
        name: 'tasks.add',
        args: [2, 3],
        kwargs: {},
        worker: 'eager@test',
        queue: 'app-queue',
        retries: 0,
      });
      expect(record?.dateStarted).toBeInstanceOf(Date);
      expect(record?.dateDone).toBeInstanceOf(Date);
    });

    it('stores a thrown error as Celery does and rejects get() with both field spellings', async () => {
      const result = eager.sendTask('tasks.divide', [1, 0]);
      const error = await result.get().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(EagerTaskFailedError);
      expect(error).toBeInstanceOf(TaskFailedError);
      expect(error).toMatchObject({
        code: 'E_TASK_FAILED',
        state: 'FAILURE',
        excType: 'RangeError',
        exc_type: 'RangeError',
        exc_message: ['division by zero'],
        exc_module: 'javascript',
      });
      expect((error as TaskFailedError).traceback).toContain('RangeError: division by zero');
      expect(await result.status()).toBe('FAILURE');
      expect(await result.result()).toEqual({ exc_type: 'RangeError', exc_message: ['division by zero'], exc_module: 'javascript' });
      // The same outcome for a reader that never saw the run.
      await expect(backend.waitFor(result.taskId, { timeout: 0 })).rejects.toMatchObject({ excType: 'RangeError' });
    });

    it('is STARTED while the function runs', async () => {
      const result = eager.sendTask('tasks.held');
      await expect.poll(() => result.status(), { timeout: 5000 }).toBe('STARTED');
      expect(await backend.getTask(result.taskId)).toMatchObject({ status: 'STARTED', name: 'tasks.held' });
      held.open();
      expect(await result.get()).toBe('done');
    });

    it('times get() out with a typed error while the run goes on', async () => {
      const slow = gate();
      const worker = createWorker('amqp://nobody.invalid', 'amqp://');
      worker.register('tasks.slow', async () => {
        await slow.opened;
        return 1;
      });
      const client = createEagerClient(worker, backend);
      const result = client.sendTask('tasks.slow');
      const error = await result.get(50).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect(error).toMatchObject({ taskId: result.taskId, lastState: 'STARTED' });
      slow.open();
      expect(await result.get()).toBe(1);
      expect(await backend.getTask(result.taskId)).toMatchObject({ queue: 'celery', worker: expect.stringMatching(/^eager@/) });
    });

    it('passes arguments as they arrive over the wire: JSON, kwargs last', async () => {
      const when = new Date('2030-01-02T03:04:05.000Z');
      const result = eager.sendTask('tasks.echo', [when, { n: 1 }], { flag: true });
      expect(await result.get()).toEqual(['2030-01-02T03:04:05.000Z', { n: 1 }, { flag: true }]);
      expect(received).toEqual(['2030-01-02T03:04:05.000Z', { n: 1 }, { flag: true }]);
      expect(await backend.getTask(result.taskId)).toMatchObject({ args: ['2030-01-02T03:04:05.000Z', { n: 1 }], kwargs: { flag: true } });
    });

    it('refuses arguments that could not be sent, before anything runs', () => {
      expect(() => eager.sendTask('tasks.echo', [1n])).toThrow(InvalidArgumentError);
      expect(() => eager.sendTask('tasks.echo', 'x' as unknown as unknown[])).toThrow(/args must be an array/);
    });

    it('stores a result JSON cannot carry as FAILURE (EncodeError), as a worker does', async () => {
      const result = eager.sendTask('tasks.bigint');
      await expect(result.get()).rejects.toMatchObject({ exc_type: 'EncodeError', exc_module: 'kombu.exceptions' });
      expect(await result.status()).toBe('FAILURE');
    });

    it('stores an unknown task name as FAILURE (NotRegistered)', async () => {
      const result = eager.sendTask('tasks.nope', [1]);
      await expect(result.get()).rejects.toMatchObject({ exc_type: 'NotRegistered', exc_message: ['tasks.nope'], exc_module: 'celery.exceptions' });
      expect(await backend.getTask(result.taskId)).toMatchObject({ name: 'tasks.nope', args: [1], status: 'FAILURE' });
    });

    it('offers createTask().delay/applyAsync, asyncResult and a chosen task id', async () => {
      expect(await eager.createTask('tasks.add').delay(20, 22).get()).toBe(42);
      const applied = eager.createTask('tasks.echo').applyAsync([1], { k: 'v' });
      expect(await applied.get()).toEqual([1, { k: 'v' }]);
      const chosen = eager.sendTask('tasks.add', [1, 1], {}, 'my-own-id');
      expect(chosen.taskId).toBe('my-own-id');
      await chosen.get();
      expect(await eager.asyncResult('my-own-id').get()).toBe(2);
      expect(() => eager.sendTask('tasks.add', [1, 1], {}, 'my-own-id')).toThrow(InvalidArgumentError);
      // An id this client never ran is read from the table, as celery-node's client would.
      const other = createEagerClient({}, backend);
      expect(await other.asyncResult('my-own-id').get(1000)).toBe(2);
      await expect(other.asyncResult('my-own-id-1').get(0)).rejects.toBeInstanceOf(TaskTimeoutError);
      expect(await other.asyncResult('nobody-ran-this').status()).toBe('PENDING');
    });

    it('runs tasks that send tasks, and disconnect() waits for all of them', async () => {
      const result = eager.sendTask('tasks.chain', [41]);
      await eager.disconnect();
      expect(await result.status()).toBe('SUCCESS');
      expect(await result.get()).toBe(42);
    });
  });

  it("is typed so that code taking Pick<EagerClient, 'sendTask'> takes celery-node's Client too", () => {
    // Compiles only while the types fit; createClient connects lazily, so nothing is contacted.
    const real: Pick<EagerClient, 'sendTask'> = createClient('amqp://nobody.invalid', 'amqp://');
    expect(typeof real.sendTask).toBe('function');
  });

  describeEachDatabase('with task functions by name', (testDb) => {
    it('calls each function as celery-node does and stores on the default queue', async () => {
      await using backend = new PrismaResultBackend(testDb.url);
      const eager = createEagerClient(
        {
          'reports.total': (prices: number[], options: { tax: number }) => prices.reduce((sum, p) => sum + p, 0) * (1 + options.tax),
        },
        backend,
      );
      const result = eager.sendTask('reports.total', [[10, 20]], { tax: 0.5 });
      expect(await result.get()).toBe(45);
      expect(await backend.getTask(result.taskId)).toMatchObject({ queue: 'celery', name: 'reports.total', kwargs: { tax: 0.5 } });
    });
  });

  describeEachDatabase(
    'on a database without the tables',
    (testDb) => {
      it('rejects get() with the backend\'s error and runs nothing', async () => {
        await using backend = new PrismaResultBackend(testDb.url);
        let ran = false;
        const eager = createEagerClient({ 'tasks.x': () => (ran = true) }, backend);
        await expect(eager.sendTask('tasks.x').get()).rejects.toBeInstanceOf(BackendNotMigratedError);
        expect(ran).toBe(false);
      });
    },
    { migrate: false },
  );
});
