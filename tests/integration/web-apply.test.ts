// The apply route against a real RabbitMQ: an allowed task arrives on its
// queue as a Celery protocol-2 message (the headers a Python client sends),
// with args and apply_async's options when the body gives them, and a
// celery-node worker runs it; a name outside the allow-list is 403 and
// sends nothing; and `serve`'s server does the same over HTTP with its
// token, connecting to the broker only when asked.
import { hostname } from 'node:os';
import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import { createWorker } from 'celery-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { instrumentWorker, PrismaResultBackend } from '../../src/backend/index.js';
import { connectBroker, TaskPublisher, type BrokerLog } from '../../src/broker/amqp/index.js';
import { declarationsFor } from '../../src/core/protocol/index.js';
import type { Database } from '../../src/db/open.js';
import { createHandler } from '../../src/web/index.js';
import { startMonitorServer, type MonitorServer } from '../../src/web/server.js';
import { describeWithBroker } from '../support/broker.js';
import { describeEachDatabase } from '../support/databases.js';
import { privateVhost, type PrivateVhost } from '../e2e/support/vhost.js';

const TOKEN = 'apply-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}` };
const quiet: BrokerLog = () => {};

async function status(answer: Promise<Response>): Promise<[number, string]> {
  const response = await answer;
  return [response.status, ((await response.json()) as { error: string }).error];
}

async function getOne(channel: Channel, queue: string, timeoutMs = 10_000): Promise<GetMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const message = await channel.get(queue, { noAck: true });
    if (message) return message;
    if (Date.now() > deadline) throw new Error(`nothing arrived in ${queue} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function queueDepth(channel: Channel, queue: string): Promise<number> {
  return (await channel.checkQueue(queue)).messageCount;
}

/** What Celery 5.2.6's apply_async(kwargs=…) puts on the wire for a task with no args. */
function expectCeleryMessage(message: GetMessage, taskId: string, task: string, kwargs: Record<string, unknown>, kwargsrepr: string): void {
  expect(message.properties).toMatchObject({
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    correlationId: taskId,
  });
  expect(message.properties.headers).toEqual({
    lang: 'py',
    task,
    id: taskId,
    shadow: null,
    eta: null,
    expires: null,
    group: null,
    group_index: null,
    retries: 0,
    timelimit: [null, null],
    root_id: taskId,
    parent_id: null,
    argsrepr: '()',
    kwargsrepr,
    origin: `gen${process.pid}@${hostname()}`,
    ignore_result: false,
  });
  expect(JSON.parse(message.content.toString('utf8'))).toEqual([[], kwargs, { callbacks: null, errbacks: null, chain: null, chord: null }]);
}

describeWithBroker('apply with a real RabbitMQ', () => {
  describeEachDatabase('apply', (testDb) => {
    let vhost: PrivateVhost;
    let admin: ChannelModel;
    let channel: Channel;
    let database: Database;
    let publisher: TaskPublisher;

    beforeAll(async () => {
      vhost = privateVhost('apply');
      admin = await connectBroker(vhost.url, { log: quiet });
      channel = await admin.createChannel();
      database = await testDb.open();
      publisher = new TaskPublisher({ url: vhost.url, log: quiet });
      await publisher.start();
    });

    afterAll(async () => {
      await publisher?.close();
      await admin?.close();
      vhost?.drop();
    });

    it('sends an allowed task to its queue with the protocol-2 headers, and refuses other names', async () => {
      const handler = createHandler({ database, publisher, token: TOKEN, apply: { allow: ['tasks.add'], queue: 'web.apply' } });
      const response = await handler(
        new Request('http://app/apply/tasks.add?y=2', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"x": 1}' }),
      );
      expect(response.status).toBe(200);
      const { ok, task_id: taskId } = (await response.json()) as { ok: string; task_id: string };
      expect(ok).toBe('true');
      expectCeleryMessage(await getOne(channel, 'web.apply'), taskId, 'tasks.add', { y: '2', x: 1 }, "{'y': '2', 'x': 1}");

      // The queue was declared as Celery declares it, so a Python worker consuming it agrees.
      const { queue } = declarationsFor('web.apply');
      await expect(channel.checkQueue(queue.name)).resolves.toMatchObject({ queue: 'web.apply' });

      const refused = await handler(new Request('http://app/apply/os.system?cmd=rm', { method: 'POST', headers: auth }));
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ error: 'apply: "os.system" is not in the allow-list' });
      // djcelery's GET is not served: a page elsewhere could trigger it.
      expect((await handler(new Request('http://app/apply/tasks.add', { headers: auth }))).status).toBe(405);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await queueDepth(channel, 'web.apply')).toBe(0);
    });

    it("sends args and apply_async's options from the body, and a celery-node worker on the default queue runs the task", async () => {
      const queue = `web.node.${testDb.provider}`;
      const backend = new PrismaResultBackend(database);
      const worker = createWorker(vhost.url, 'amqp://', queue);
      instrumentWorker(worker, backend, { hostname: 'node-apply@test' });
      worker.register('tasks.add', (a: number, b: number) => a + b);
      try {
        const handler = createHandler({ database, publisher, token: TOKEN, apply: { allow: ['tasks.add'], queue } });
        const now = new Date();
        const sent = await handler(
          new Request('http://app/apply/tasks.add', {
            method: 'POST',
            headers: { ...auth, 'content-type': 'application/json' },
            body: JSON.stringify({ args: [2, 3], expires: 600, priority: 3 }),
          }),
        );
        expect(sent.status).toBe(200);
        const { task_id: taskId } = (await sent.json()) as { task_id: string };
        const message = await getOne(channel, queue);
        expect(message.fields).toMatchObject({ exchange: '', routingKey: queue });
        expect(message.properties).toMatchObject({ correlationId: taskId, priority: 3, expiration: '600000' });
        expect(message.properties.headers).toMatchObject({ task: 'tasks.add', id: taskId, argsrepr: '[2, 3]', kwargsrepr: '{}' });
        expect(Date.parse(String(message.properties.headers?.expires)) - now.getTime()).toBeGreaterThan(590_000);
        expect(JSON.parse(message.content.toString('utf8'))).toEqual([[2, 3], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]);

        // Sent again for the worker, which takes the queue's messages from here on.
        const again = await handler(
          new Request('http://app/apply/tasks.add', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"args": [2, 3]}' }),
        );
        const { task_id: runId } = (await again.json()) as { task_id: string };
        void worker.start();
        await expect(backend.waitFor(runId, { timeout: 15_000 })).resolves.toBe(5);
        expect(await backend.getTask(runId)).toMatchObject({ name: 'tasks.add', args: [2, 3], worker: 'node-apply@test', queue });
      } finally {
        await worker.disconnect();
        await backend.close();
      }
    });

    it("through serve's server: the token is required, the default queue is the configured one, and the broker is reached only when a task is sent", async () => {
      let server: MonitorServer | undefined;
      try {
        server = await startMonitorServer({
          database,
          port: 0,
          token: TOKEN,
          allowApply: ['tasks.mul'],
          defaultQueue: 'web.default',
          brokerUrl: vhost.url,
          brokerLog: quiet,
        });
        const apply = (name: string, token?: string) =>
          fetch(new URL(`apply/${name}?a=1`, server?.url), { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
        expect(await status(apply('tasks.mul'))).toEqual([401, 'send the token as "Authorization: Bearer <token>"']);
        expect(await status(apply('tasks.mul', 'wrong-token-0123456789'))).toEqual([401, 'token not accepted']);
        expect(await status(apply('tasks.add', TOKEN))).toEqual([403, 'apply: "tasks.add" is not in the allow-list']);
        const sent = await apply('tasks.mul', TOKEN);
        expect(sent.status).toBe(200);
        const { task_id: taskId } = (await sent.json()) as { task_id: string };
        expectCeleryMessage(await getOne(channel, 'web.default'), taskId, 'tasks.mul', { a: '1' }, "{'a': '1'}");
      } finally {
        await server?.close();
      }
    });

    it("answers 502, and goes on serving, when the broker cannot be reached", async () => {
      await using server = await startMonitorServer({
        database,
        port: 0,
        token: TOKEN,
        allowApply: ['tasks.mul'],
        brokerUrl: 'amqp://guest:guest@127.0.0.1:1/',
        brokerLog: quiet,
      });
      const sent = await fetch(new URL('apply/tasks.mul', server.url), { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(sent.status).toBe(502);
      expect(((await sent.json()) as { error: string }).error).toMatch(/^the broker did not take the task: cannot connect/);
      expect((await fetch(new URL('tasks/x/status', server.url))).status).toBe(200);
    });

    it('will not start apply without a token', async () => {
      await expect(startMonitorServer({ database, port: 0, allowApply: ['tasks.mul'], brokerUrl: vhost.url })).rejects.toThrow(
        /set a token \(--token or PRISMA_CELERY_TOKEN\) to allow it/,
      );
    });
  });
});
