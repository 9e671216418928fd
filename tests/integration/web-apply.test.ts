// The apply route against a real RabbitMQ: an allowed task arrives on its
// queue as a Celery protocol-2 message (the headers a Python client sends),
// an unknown name is 404 and sends nothing; and `serve`'s server does the
// same over HTTP with its token, connecting to the broker only when asked.
import { hostname } from 'node:os';
import type { Channel, ChannelModel, GetMessage } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectBroker, TaskPublisher, type BrokerLog } from '../../src/amqp/index.js';
import { declarationsFor } from '../../src/core/protocol/index.js';
import type { Database } from '../../src/db/open.js';
import { createHandler } from '../../src/web/index.js';
import { startMonitorServer, type MonitorServer } from '../../src/web/server.js';
import { describeWithBroker } from '../support/broker.js';
import { describeEachDatabase } from '../support/databases.js';
import { privateVhost, type PrivateVhost } from '../e2e/support/vhost.js';

const TOKEN = 'apply-token-0123456789abcdef';
const quiet: BrokerLog = () => {};

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
      const handler = createHandler({ database, publisher, apply: { allow: ['tasks.add'], queue: 'web.apply' } });
      const response = await handler(
        new Request('http://app/apply/tasks.add?y=2', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x": 1}' }),
      );
      expect(response.status).toBe(200);
      const { ok, task_id: taskId } = (await response.json()) as { ok: string; task_id: string };
      expect(ok).toBe('true');
      expectCeleryMessage(await getOne(channel, 'web.apply'), taskId, 'tasks.add', { y: '2', x: 1 }, "{'y': '2', 'x': 1}");

      // The queue was declared as Celery declares it, so a Python worker consuming it agrees.
      const { queue } = declarationsFor('web.apply');
      await expect(channel.checkQueue(queue.name)).resolves.toMatchObject({ queue: 'web.apply' });

      const refused = await handler(new Request('http://app/apply/os.system?cmd=rm', { method: 'POST' }));
      expect(refused.status).toBe(404);
      expect(await refused.json()).toEqual({ error: 'apply: no such task' });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(await queueDepth(channel, 'web.apply')).toBe(0);
    });

    it("through serve's server: the token is required, the default queue is Celery's, and the broker is reached only when a task is sent", async () => {
      let server: MonitorServer | undefined;
      try {
        server = await startMonitorServer({ database, port: 0, token: TOKEN, allowApply: ['tasks.mul'], brokerUrl: vhost.url, brokerLog: quiet });
        const apply = (name: string, token?: string) =>
          fetch(new URL(`apply/${name}?a=1`, server?.url), { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
        expect((await apply('tasks.mul')).status).toBe(401);
        expect((await apply('tasks.mul', 'wrong-token-0123456789')).status).toBe(401);
        expect((await apply('tasks.add', TOKEN)).status).toBe(404);
        const sent = await apply('tasks.mul', TOKEN);
        expect(sent.status).toBe(200);
        const { task_id: taskId } = (await sent.json()) as { task_id: string };
        expectCeleryMessage(await getOne(channel, 'celery'), taskId, 'tasks.mul', { a: '1' }, "{'a': '1'}");
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
