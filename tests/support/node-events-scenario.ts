// A celery-node worker with Celery events enabled, on the broker a test
// gives (AMQP or Redis), watched by our camera or by Python's own
// EventReceiver: the scenarios tests/integration/camera-node.test.ts and
// camera-redis.test.ts run.
import { randomBytes, randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { createClient, createWorker } from 'celery-node';
import { expect } from 'vitest';
import { instrumentWorker, PrismaResultBackend } from '../../src/backend/index.js';
import { transportOf } from '../../src/broker/url.js';
import type { Database } from '../../src/db/open.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import { enableCeleryEvents, type CeleryEvents, type EventsWorker } from '../../src/snapshot/node-events/index.js';
import { pythonReceiver } from './celery-events.js';
import { waitFor } from './wait.js';

const polling = { timeoutMs: 20_000 };

/** A task message as celery-node's Client publishes it (protocol 2, lang js, no reprs); resolves to its id. */
export async function sendNodeTask(brokerUrl: string, queue: string, name: string, args: unknown[], id: string = randomUUID()): Promise<string> {
  if (transportOf(brokerUrl) === 'redis') {
    // celery-node's own Client: it speaks kombu's Redis envelope.
    const client = createClient(brokerUrl, brokerUrl, queue);
    try {
      await client.isReady();
      client.sendTask(name, args, {}, id);
      // sendTask publishes in a callback of its own once ready: let it run before quitting.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      await client.disconnect();
    }
    return id;
  }
  const connection = await amqp.connect(brokerUrl);
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true, autoDelete: false, exclusive: false });
    channel.sendToQueue(queue, Buffer.from(JSON.stringify([args, {}, {}])), {
      contentType: 'application/json',
      contentEncoding: 'utf-8',
      deliveryMode: 2,
      correlationId: id,
      replyTo: '',
      headers: { lang: 'js', task: name, id },
    });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
  return id;
}

export function nodeWorker(brokerUrl: string, queue: string, hostname: string, backend?: PrismaResultBackend): { worker: ReturnType<typeof createWorker>; events: CeleryEvents } {
  const worker = createWorker(brokerUrl, brokerUrl, queue);
  if (backend) instrumentWorker(worker, backend, { hostname });
  else (worker as unknown as { _backend: object })._backend = { isReady: async () => {}, disconnect: async () => {}, storeResult: async () => {}, getTaskMeta: async () => null };
  const events = enableCeleryEvents(worker as unknown as EventsWorker, { hostname, freq: 1 });
  worker.register('node.add', (a: number, b: number) => a + b);
  worker.register('node.fail', () => {
    throw new TypeError('bad input');
  });
  return { worker, events };
}

/** The worker is a live worker with heartbeats, its tasks are stored with results, then it goes offline. */
export async function nodeWorkerSeenByCamera(db: Database, brokerUrl: string): Promise<void> {
  const backend = new PrismaResultBackend(db);
  const camera = new Camera({ database: db, brokerUrl, freq: 0.2, workerWriteInterval: 0 });
  await camera.start();
  try {
    await watchNodeWorker(db, brokerUrl, camera, backend);
  } finally {
    // A camera left running would go on writing to the file's database.
    await camera.close();
    await backend.close();
  }
  expect(camera.stats().decodeProblems).toBe(0);
}

async function watchNodeWorker(db: Database, brokerUrl: string, camera: Camera, backend: PrismaResultBackend): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const queue = `cam-node-${tag}`;
  const hostname = `node-${tag}@test`;
  const { worker, events } = nodeWorker(brokerUrl, queue, hostname, backend);
  try {
    void worker.start();
    await waitFor('worker-online', () => events.stats().messages > 0, polling);
    const add = await sendNodeTask(brokerUrl, queue, 'node.add', [2, 3]);
    const fail = await sendNodeTask(brokerUrl, queue, 'node.fail', []);
    const row = (taskId: string, state: string) => async () => {
      const found = await db.prisma.taskState.findUnique({ where: { taskId }, include: { worker: true } });
      return found?.state === state ? found : null;
    };
    const added = await waitFor('node.add SUCCESS', row(add, 'SUCCESS'), polling);
    expect(added).toMatchObject({ name: 'node.add', args: '(2, 3)', kwargs: '{}', result: '5', retries: 0 });
    expect(added.runtime).toBeGreaterThan(0);
    expect(added.worker?.hostname).toBe(hostname);
    const failed = await waitFor('node.fail FAILURE', row(fail, 'FAILURE'), polling);
    expect(failed.result).toBe("TypeError('bad input')");
    expect(failed.traceback).toContain('TypeError: bad input');
    // The backend instrumentation stored the same outcome.
    expect((await db.prisma.taskMeta.findUnique({ where: { taskId: add } }))?.status).toBe('SUCCESS');
    // Heartbeats every second keep the worker row fresh.
    const first = await waitFor('a heartbeat', async () => (await db.prisma.workerState.findUnique({ where: { hostname } }))?.lastHeartbeat, polling);
    await waitFor('a later heartbeat', async () => {
      const beat = (await db.prisma.workerState.findUnique({ where: { hostname } }))?.lastHeartbeat;
      return beat !== undefined && beat !== null && beat.getTime() > first.getTime() + 400;
    }, polling);
    expect(camera.state.isAlive(hostname)).toBe(true);
    // Cameras of other test files sharing an AMQP vhost draw freq-5 replies
    // with their wake-up broadcast; the next regular heartbeat says 1 again.
    await waitFor('a regular heartbeat', () => camera.state.worker(hostname)?.freq === 1, polling);
    expect(camera.state.worker(hostname)).toMatchObject({ swIdent: 'celery-node', freq: 1, swSys: expect.any(String) });
  } finally {
    await worker.disconnect();
  }
  await waitFor('worker-offline', async () => (await db.prisma.workerState.findUnique({ where: { hostname } }))?.lastHeartbeat === null, polling);
}

/** Python's celery.events.state.State reads the worker and its task, and the worker answers the receiver's wake-up. */
export async function nodeWorkerSeenByPython(brokerUrl: string): Promise<void> {
  const tag = randomBytes(4).toString('hex');
  const queue = `cam-node-py-${tag}`;
  const hostname = `node-${tag}@test`;
  const { worker, events } = nodeWorker(brokerUrl, queue, hostname);
  void worker.start();
  try {
    await waitFor('worker-online', () => events.stats().messages > 0, polling);
    const taskId = randomUUID();
    const receiver = pythonReceiver(brokerUrl, taskId, hostname);
    await receiver.woken();
    await sendNodeTask(brokerUrl, queue, 'node.add', [20, 22], taskId);
    const seen = await receiver.outcome();
    expect(seen.workers[hostname]).toMatchObject({ alive: true, sw_ident: 'celery-node' });
    expect(seen.tasks[taskId]).toEqual({ state: 'SUCCESS', name: 'node.add', result: '42', args: '(20, 22)', worker: hostname });
  } finally {
    await worker.disconnect();
  }
}
