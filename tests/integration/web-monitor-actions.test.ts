// The monitor's new routes on each real database, with a real broker:
// retrying a failed task sends it to RabbitMQ again (same name, args,
// kwargs and queue, new id), links the two both ways and logs the action;
// what cannot be retried says why in one line; /api/queues lists the queues
// the options, periodic tasks and results name, with RabbitMQ's counts.
import { randomBytes } from 'node:crypto';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PrismaResultBackend } from '../../src/backend/index.js';
import { createTaskPublisher, type BrokerPublisher } from '../../src/broker/publisher.js';
import { createQueueStats, type QueueStats } from '../../src/broker/queue-stats.js';
import { Control } from '../../src/control/index.js';
import type { Database } from '../../src/db/open.js';
import { PeriodicTaskStore } from '../../src/scheduler/index.js';
import { SnapshotStore } from '../../src/snapshot/index.js';
import { createHandler, type WebHandler } from '../../src/web/index.js';
import { describeWithBroker, testBrokerUrl } from '../support/broker.js';
import { describeEachDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'monitor-actions-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const quiet = () => {};

// Whatever JSON.parse gives: the answers are checked by value.
type Json = ReturnType<typeof JSON.parse>;

async function call(handler: WebHandler, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const response = await handler(new Request(`http://monitor${path}`, { method, headers }));
  return { status: response.status, body: await response.json() };
}

describeWithBroker('monitor actions', () => {
  describeEachDatabase('monitor actions', (testDb) => {
    const tag = randomBytes(4).toString('hex');
    const failedQueue = `retry-${tag}`;
    const periodicQueue = `periodic-${tag}`;
    const configuredQueue = `configured-${tag}`;
    let db: Database;
    let backend: PrismaResultBackend;
    let publisher: BrokerPublisher;
    let stats: QueueStats;
    let admin: ChannelModel;
    let channel: Channel;
    let handler: WebHandler;
    const actions: string[] = [];

    beforeAll(async () => {
      db = await testDb.open();
      backend = new PrismaResultBackend(db);
      await backend.markFailed('failed-1', new TypeError('not a number'), { name: 'tasks.add', args: [2, 'x'], kwargs: { round: true }, queue: failedQueue });
      await backend.markFailed('failed-bare', new TypeError('no details'), {});
      await backend.markSucceeded('ok-1', 5, { name: 'tasks.add', args: [2, 3], queue: failedQueue });
      await new PeriodicTaskStore(db).create({ name: `nightly ${tag}`, task: 'tasks.report', schedule: { every: 60 }, queue: periodicQueue });
      admin = await connect(testBrokerUrl());
      channel = await admin.createChannel();
      await channel.assertQueue(failedQueue);
      await channel.assertQueue(configuredQueue);
      publisher = createTaskPublisher(testBrokerUrl(), { log: quiet });
      await publisher.start();
      stats = createQueueStats(testBrokerUrl(), { log: quiet });
      handler = createHandler({
        database: db,
        token: TOKEN,
        publisher,
        queueStats: stats,
        monitor: { queues: [configuredQueue] },
        onAction: (line) => actions.push(line),
      });
    });

    afterAll(async () => {
      await publisher?.close();
      await stats?.close();
      await backend?.close();
      for (const queue of [failedQueue, configuredQueue]) await channel?.deleteQueue(queue).catch(() => {});
      await admin?.close();
    });

    it('retries a failed task: the same call under a new id, linked both ways, logged', async () => {
      const { status, body } = await call(handler, 'POST', '/api/results/failed-1/retry', auth);
      expect(status).toBe(201);
      expect(body).toMatchObject({ retryOf: 'failed-1', name: 'tasks.add', queue: failedQueue });
      expect(body.taskId).toMatch(/^[0-9a-f-]{36}$/);

      const message = await waitFor('the message in its queue', async () => (await channel.get(failedQueue, { noAck: true })) || null);
      expect(message.properties.headers).toMatchObject({ task: 'tasks.add', id: body.taskId });
      expect(JSON.parse(message.content.toString())).toEqual([[2, 'x'], { round: true }, expect.any(Object)]);

      expect((await call(handler, 'GET', '/api/results/failed-1')).body).toMatchObject({ retryOf: null, retriedAs: [body.taskId] });
      const stored = await db.prisma.taskRetry.findUnique({ where: { taskId: body.taskId } });
      expect(stored).toMatchObject({ retryOf: 'failed-1' });
      expect(actions).toEqual([`retry: tasks.add[failed-1] sent again as ${body.taskId} to queue ${failedQueue}`]);

      // Once the new task has a result, its page links back.
      await backend.markSucceeded(body.taskId, 'ok', { name: 'tasks.add' });
      expect((await call(handler, 'GET', `/api/results/${body.taskId}`)).body).toMatchObject({ retryOf: 'failed-1', retriedAs: [] });
    });

    it('refuses without the token, and says why a task cannot be retried', async () => {
      expect((await call(handler, 'POST', '/api/results/failed-1/retry')).status).toBe(401);
      expect(await call(handler, 'POST', '/api/results/ok-1/retry', auth)).toEqual({
        status: 409,
        body: { error: 'retry: only a failed task is sent again; ok-1 is SUCCESS' },
      });
      expect((await call(handler, 'POST', '/api/results/failed-bare/retry', auth)).body.error).toMatch(/stored without its name and arguments; .*result_extended/);
      expect((await call(handler, 'POST', '/api/results/nothing-here/retry', auth)).status).toBe(404);
      const readOnly = createHandler({ database: db, publisher, monitor: true });
      expect((await call(readOnly, 'POST', '/api/results/failed-1/retry', auth)).status).toBe(403);
      expect(actions).toHaveLength(1);
    });

    it('lists the queues the options, periodic tasks and results name, with their counts', async () => {
      await channel.sendToQueue(configuredQueue, Buffer.from('{}'));
      await channel.sendToQueue(configuredQueue, Buffer.from('{}'));
      const { body } = await call(handler, 'GET', '/api/queues');
      expect(body).toMatchObject({ transport: 'amqp', error: null, truncated: false });
      const byName = Object.fromEntries((body.items as { queue: string }[]).map((item) => [item.queue, item]));
      expect(Object.keys(byName).sort()).toEqual(['celery', configuredQueue, failedQueue, periodicQueue].sort());
      expect(byName[configuredQueue]).toEqual({ queue: configuredQueue, messages: 2, consumers: 0, declared: true });
      expect(byName[failedQueue]).toMatchObject({ declared: true, consumers: 0 });
      expect(byName[periodicQueue]).toEqual({ queue: periodicQueue, messages: null, consumers: null, declared: false });
    });

    it('lists the queue names alone without a broker', async () => {
      const namesOnly = createHandler({ database: db, monitor: true });
      const { body } = await call(namesOnly, 'GET', '/api/queues');
      expect(body).toMatchObject({ transport: null, error: 'no broker is configured' });
      expect(body.items).toContainEqual({ queue: periodicQueue, messages: null, consumers: null, declared: null });
    });

    it('shows a worker the camera saw while the broker is away: its stored history, and why the rest is missing', async () => {
      const seen = new Date();
      expect((await new SnapshotStore(db).write([], [{ hostname: 'gone@host', lastHeartbeat: seen }])).error).toBeNull();
      const unreachable = new URL(testBrokerUrl());
      unreachable.port = '1';
      const away = createHandler({
        database: db,
        monitor: true,
        control: async () => {
          const control = new Control({ brokerUrl: unreachable.toString() });
          await control.start();
          return control;
        },
      });
      const { status, body } = await call(away, 'GET', '/api/workers/gone%40host');
      expect(status).toBe(200);
      expect(body).toMatchObject({ hostname: 'gone@host', lastHeartbeat: seen.toISOString(), processed: 0, failed: 0, seenByCamera: true, inspect: null });
      expect(body.error).toMatch(/^remote control: cannot reach the broker for remote control: /);
      // Nothing to show of a worker nobody knows: the broker's trouble is the answer.
      expect((await call(away, 'GET', '/api/workers/never%40seen')).status).toBe(502);
    });
  });
});
