// A celery-node worker with Celery events enabled is seen by monitors: our
// camera stores it as a worker with heartbeats and stores its tasks, and
// Python's own celery.events.state.State (what `celery events` and Flower
// use) reads the same events. The worker also carries the result backend
// instrumentation: the two hooks compose.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import { createWorker } from 'celery-node';
import { beforeAll, expect, it } from 'vitest';
import { instrumentWorker, PrismaResultBackend } from '../../src/backend/index.js';
import type { Database } from '../../src/db/open.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import { enableCeleryEvents, type CeleryEvents, type EventsWorker } from '../../src/snapshot/node-events/index.js';
import { testBrokerUrl, describeWithBroker } from '../support/broker.js';
import { describeEachDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const polling = { timeoutMs: 20_000 };

/** A task message as celery-node's Client publishes it (protocol 2, lang js, no reprs). */
async function sendTask(queue: string, name: string, args: unknown[], kwargs: object = {}): Promise<string> {
  const id = randomUUID();
  const connection = await amqp.connect(testBrokerUrl());
  try {
    const channel = await connection.createConfirmChannel();
    await channel.assertQueue(queue, { durable: true, autoDelete: false, exclusive: false });
    channel.sendToQueue(queue, Buffer.from(JSON.stringify([args, kwargs, {}])), {
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

function nodeWorker(queue: string, hostname: string, backend?: PrismaResultBackend): { worker: ReturnType<typeof createWorker>; events: CeleryEvents } {
  const worker = createWorker(testBrokerUrl(), 'amqp://', queue);
  if (backend) instrumentWorker(worker, backend, { hostname });
  else (worker as unknown as { _backend: object })._backend = { isReady: async () => {}, disconnect: async () => {}, storeResult: async () => {}, getTaskMeta: async () => null };
  const events = enableCeleryEvents(worker as unknown as EventsWorker, { hostname, freq: 1 });
  worker.register('node.add', (a: number, b: number) => a + b);
  worker.register('node.fail', () => {
    throw new TypeError('bad input');
  });
  return { worker, events };
}

describeWithBroker('celery-node worker with Celery events', () => {
  describeEachDatabase('seen by the camera', (testDb) => {
    let db: Database;
    beforeAll(async () => {
      db = await testDb.open();
    });

    it('shows up as a live worker with heartbeats, its tasks with results, then offline', async () => {
      const tag = randomBytes(4).toString('hex');
      const queue = `cam-node-${tag}`;
      const hostname = `node-${tag}@test`;
      const backend = new PrismaResultBackend(db);
      const camera = new Camera({ database: db, brokerUrl: testBrokerUrl(), freq: 0.2, workerWriteInterval: 0 });
      await camera.start();
      const { worker, events } = nodeWorker(queue, hostname, backend);
      try {
        void worker.start();
        await waitFor('worker-online', () => events.stats().messages > 0, polling);
        const add = await sendTask(queue, 'node.add', [2, 3]);
        const fail = await sendTask(queue, 'node.fail', []);
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
        // Cameras of other test files share the run's vhost, and their wake-up
        // broadcast draws a freq-5 reply; the next regular heartbeat says 1 again.
        await waitFor('a regular heartbeat', () => camera.state.worker(hostname)?.freq === 1, polling);
        expect(camera.state.worker(hostname)).toMatchObject({ swIdent: 'celery-node', freq: 1, swSys: expect.any(String) });
      } finally {
        await worker.disconnect();
      }
      await waitFor('worker-offline', async () => (await db.prisma.workerState.findUnique({ where: { hostname } }))?.lastHeartbeat === null, polling);
      await camera.close();
      await backend.close();
      expect(camera.stats().decodeProblems).toBe(0);
    });
  });

  it("is read by Python's celery.events.state.State, woken up by its heartbeat broadcast", { timeout: 120_000 }, async () => {
    const tag = randomBytes(4).toString('hex');
    const queue = `cam-node-py-${tag}`;
    const hostname = `node-${tag}@test`;
    const { worker, events } = nodeWorker(queue, hostname);
    void worker.start();
    try {
      await waitFor('worker-online', () => events.stats().messages > 0, polling);
      const taskId = randomUUID();
      const python = spawn('/usr/bin/python3', ['-c', PYTHON_RECEIVER, taskId], {
        env: { ...process.env, BROKER_URL: testBrokerUrl() },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      python.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      python.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => python.on('exit', resolve));
      // Python imports Celery in seconds on a loaded machine: the waits allow
      // a Python worker's start, and a receiver that exited fails them at once.
      const printed = (line: string) => (): boolean => {
        if (python.exitCode !== null) throw new Error(`the Python receiver exited (${python.exitCode}) before ${line}:\n${err}`);
        return err.includes(line);
      };
      await waitFor('the Python receiver', printed('READY'), { timeoutMs: 60_000 });
      // The receiver's wake-up broadcast makes our worker answer with a freq-5 heartbeat at once.
      await waitFor('the wake-up answer', printed('HEARTBEAT'), { timeoutMs: 30_000 });
      const connection = await amqp.connect(testBrokerUrl());
      try {
        const channel = await connection.createConfirmChannel();
        channel.sendToQueue(queue, Buffer.from(JSON.stringify([[20, 22], {}, {}])), {
          contentType: 'application/json',
          contentEncoding: 'utf-8',
          headers: { lang: 'js', task: 'node.add', id: taskId },
        });
        await channel.waitForConfirms();
      } finally {
        await connection.close();
      }
      expect(await exited, err).toBe(0);
      const seen = JSON.parse(out) as {
        workers: Record<string, { alive: boolean; sw_ident: string; freq: number; processed: number | null }>;
        tasks: Record<string, { state: string; name: string; result: string; args: string; worker: string }>;
      };
      expect(seen.workers[hostname]).toMatchObject({ alive: true, sw_ident: 'celery-node' });
      expect(seen.tasks[taskId]).toEqual({ state: 'SUCCESS', name: 'node.add', result: '42', args: '(20, 22)', worker: hostname });
    } finally {
      await worker.disconnect();
    }
  });
});

// Python's own receiver and State, stopped once our task has succeeded.
const PYTHON_RECEIVER = `
import json, os, sys
from celery import Celery
from celery.events.state import State
target = sys.argv[1]
app = Celery(broker=os.environ['BROKER_URL'])
state = State()
def on_event(event):
    state.event(event)
    if event.get('type') == 'worker-heartbeat' and event.get('freq') == 5:
        print('HEARTBEAT', file=sys.stderr, flush=True)
    if event.get('type') == 'task-succeeded' and event.get('uuid') == target:
        receiver.should_stop = True
with app.connection() as conn:
    receiver = app.events.Receiver(conn, handlers={'*': on_event})
    print('READY', file=sys.stderr, flush=True)
    receiver.capture(limit=None, timeout=20, wakeup=True)
print(json.dumps({
    'workers': {h: {'alive': w.alive, 'sw_ident': w.sw_ident, 'freq': w.freq, 'processed': w.processed} for h, w in state.workers.items()},
    'tasks': {u: {'state': t.state, 'name': t.name, 'result': t.result, 'args': t.args, 'worker': t.worker.hostname if t.worker else None} for u, t in state.tasks.items()},
}))
`;
