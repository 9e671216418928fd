// The celery-node usage the README's result-backend section shows, as a
// function the backend's integration test runs with its own queue. The
// README itself (every block, on every database) is run by
// tests/integration/readme.test.ts, so this copy is no longer the README's
// guard and can go once the backend test stops calling it.
import type { PrismaResultBackend as Backend } from '../../src/backend/index.js';

export interface ExampleOutcome {
  sum: unknown;
  failure: { message: string; exc_type: unknown; exc_message: unknown };
  record: Awaited<ReturnType<Backend['getTask']>>;
}

export async function runReadmeExample(BROKER_URL: string, DATABASE_URL: string, QUEUE: string): Promise<ExampleOutcome> {
  const { createClient, createWorker } = await import('celery-node');
  const { PrismaResultBackend, attachBackend, instrumentWorker } = await import('../../src/backend/index.js'); // 'prisma-celery/backend'

  // One backend per process; it opens the database on first use.
  const backend = new PrismaResultBackend(DATABASE_URL);

  // The worker: results (and STARTED, name, args, worker, queue) go to the database.
  const worker = createWorker(BROKER_URL, 'amqp://', QUEUE); // celery-node's backend URL is never used
  instrumentWorker(worker, backend, { hostname: 'example@localhost' });
  worker.register('tasks.add', (a: number, b: number) => a + b);
  worker.register('tasks.divide', (a: number, b: number) => {
    if (b === 0) throw new RangeError('division by zero');
    return a / b;
  });
  void worker.start();

  // A client: AsyncResult.get() polls the same table.
  const client = createClient(BROKER_URL, 'amqp://', QUEUE);
  attachBackend(client, backend);

  const sum = await client.sendTask('tasks.add', [2, 3], {}).get(10_000, 50); // 5
  let failure: ExampleOutcome['failure'] = { message: '', exc_type: undefined, exc_message: undefined };
  const divide = client.sendTask('tasks.divide', [1, 0], {});
  try {
    await divide.get(10_000, 50);
  } catch (error) {
    // celery-node rejects with Error('FAILURE') carrying Celery's exception fields.
    const { message, exc_type, exc_message } = error as Error & { exc_type: string; exc_message: unknown[] };
    failure = { message, exc_type, exc_message }; // 'FAILURE', 'RangeError', ['division by zero']
  }
  const record = await backend.getTask(divide.taskId); // name, args, worker, queue, traceback, dates…

  await client.disconnect();
  await worker.disconnect(); // waits for the worker's pending stores
  await backend.close(); // the backend is yours to close
  return { sum, failure, record };
}
