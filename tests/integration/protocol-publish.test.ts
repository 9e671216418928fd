// TaskPublisher against a real RabbitMQ (this run's vhost), and a real
// Python Celery 5.2.6 worker running a task message built here.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Socket } from 'node:net';
import type { ChannelModel, GetMessage } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BrokerError, connectBroker, TaskPublisher, type BrokerLog } from '../../src/broker/amqp/index.js';
import { buildTaskMessage, declarationsFor, type TaskMessageOptions } from '../../src/core/protocol/index.js';
import { describeWithBroker, testBrokerUrl } from '../support/broker.js';
import { describeWithPythonCelery, PythonWorker } from '../support/python-worker.js';

const unique = (prefix: string): string => `${prefix}.${randomBytes(4).toString('hex')}`;
const origin = `gen${process.pid}@${hostname()}`;
const quiet: BrokerLog = () => {};

/** basic.get until a message arrives. */
async function getOne(connection: ChannelModel, queue: string, timeoutMs = 10_000): Promise<GetMessage> {
  const channel = await connection.createChannel();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = await channel.get(queue, { noAck: true });
      if (message) return message;
      if (Date.now() > deadline) throw new Error(`nothing arrived in ${queue} within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    await channel.close();
  }
}

describeWithBroker('TaskPublisher', () => {
  let admin: ChannelModel;
  beforeAll(async () => {
    admin = await connectBroker(testBrokerUrl(), { log: quiet });
  });
  afterAll(async () => {
    await admin?.close();
  });

  it('publishes a task that reads back intact, after declaring its queue as Celery does', async () => {
    const queue = unique('protocol.roundtrip');
    const message = buildTaskMessage(
      {
        task: 'tasks.echo',
        args: [1, 'two', 3.5, null, true],
        kwargs: { text: 'héllo ☃ "q"' },
        queue,
        priority: 3,
        expires: 300,
        timeLimit: 60,
        softTimeLimit: 30,
        headers: { 'x-int': 42, 'x-neg': -1 },
        origin,
        replyTo: 'replies',
      },
      new Date(),
    );
    await using publisher = new TaskPublisher({ url: testBrokerUrl(), log: quiet });
    await publisher.start();
    await publisher.publish(message);

    const got = await getOne(admin, queue);
    expect(got.fields).toMatchObject({ exchange: '', routingKey: queue });
    expect(got.content.equals(message.content)).toBe(true);
    const { headers, ...properties } = message.properties;
    expect(got.properties).toMatchObject(properties);
    expect(got.properties.headers).toEqual({
      ...headers,
      retries: 0,
      timelimit: [60, 30],
      'x-int': 42,
      'x-neg': -1,
    });

    // The same declarations again are accepted: nothing differs (a
    // difference would be 406 PRECONDITION_FAILED).
    const declared = declarationsFor(queue);
    const channel = await admin.createChannel();
    await channel.assertExchange(declared.exchange.name, declared.exchange.type, declared.exchange.options);
    await channel.assertQueue(declared.queue.name, declared.queue.options);
    await channel.deleteQueue(queue);
    await channel.deleteExchange(queue);
    await channel.close();
  });

  it('reports a message the broker refuses (no such exchange) as refused, and keeps working', async () => {
    const base: TaskMessageOptions = { task: 'tasks.add', args: [1, 2], kwargs: {}, origin };
    const missing = buildTaskMessage({ ...base, exchange: unique('protocol.missing'), routingKey: 'x' }, new Date());
    await using publisher = new TaskPublisher({ url: testBrokerUrl(), log: quiet, retryDelayMs: 10 });
    await publisher.start();

    const error = await publisher.publish(missing).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BrokerError);
    expect(error).toMatchObject({ code: 'E_PUBLISH_REFUSED', replyCode: 404 });

    const queue = unique('protocol.after-refusal');
    await publisher.publish(buildTaskMessage({ ...base, queue }, new Date()));
    expect((await getOne(admin, queue)).properties.headers?.task).toBe('tasks.add');
    const channel = await admin.createChannel();
    await channel.deleteQueue(queue);
    await channel.close();
  });

  it('retries a nacked message a bounded number of times, then rejects', async () => {
    const queue = unique('protocol.full');
    const channel = await admin.createChannel();
    // A queue that takes nothing: RabbitMQ nacks every publish to it.
    await channel.assertQueue(queue, { durable: false, autoDelete: true, arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' } });
    const warnings: string[] = [];
    await using publisher = new TaskPublisher({
      url: testBrokerUrl(),
      maxAttempts: 3,
      retryDelayMs: 10,
      log: (level, message) => {
        if (level === 'warn') warnings.push(message);
      },
    });
    await publisher.start();
    const message = buildTaskMessage({ task: 'tasks.add', args: [], kwargs: {}, origin, exchange: '', routingKey: queue }, new Date());

    await expect(publisher.publish(message)).rejects.toMatchObject({ code: 'E_PUBLISH_UNCONFIRMED' });
    expect(warnings).toEqual([1, 2, 3].map((n) => `task ${message.id} (tasks.add) not confirmed (attempt ${n} of 3)`));
    await channel.deleteQueue(queue);
    await channel.close();
  });

  it('reconnects when the connection drops before the confirm, and sends the message once', async () => {
    const queue = unique('protocol.reconnect');
    const marker = unique('marker');
    let connections = 0;
    // The first connection dies as the message is written, so the broker
    // never sees it and no confirm can come; the first reconnect fails too.
    const connect = async (): Promise<ChannelModel> => {
      connections++;
      if (connections === 2) return connectBroker('amqp://guest:guest@127.0.0.1:1/', { log: quiet });
      const connection = await connectBroker(testBrokerUrl(), { log: quiet });
      if (connections === 1) {
        const socket = (connection as unknown as { connection: { stream: Socket } }).connection.stream;
        const write = socket.write.bind(socket) as (chunk: unknown, ...rest: unknown[]) => boolean;
        socket.write = ((chunk: unknown, ...rest: unknown[]) => {
          if (Buffer.isBuffer(chunk) && chunk.includes(marker)) {
            socket.destroy(Object.assign(new Error('read ECONNRESET (simulated)'), { code: 'ECONNRESET' }));
            return false;
          }
          return write(chunk, ...rest);
        }) as typeof socket.write;
      }
      return connection;
    };
    const warnings: unknown[] = [];
    await using publisher = new TaskPublisher({
      connect,
      retryDelayMs: 10,
      log: (level, _message, error) => {
        if (level === 'warn') warnings.push(error);
      },
    });
    await publisher.start();
    const message = buildTaskMessage({ task: 'tasks.echo', args: [marker], kwargs: {}, queue, origin }, new Date());
    await publisher.publish(message);

    expect(connections).toBe(3);
    expect(warnings).toEqual([expect.objectContaining({ message: 'channel closed' }), expect.objectContaining({ code: 'E_BROKER_CONNECT' })]);
    const channel = await admin.createChannel();
    expect((await channel.checkQueue(queue)).messageCount).toBe(1);
    await channel.deleteQueue(queue);
    await channel.close();
  });

  it('refuses at once a message amqplib cannot encode', async () => {
    await using publisher = new TaskPublisher({ url: testBrokerUrl(), log: quiet });
    await publisher.start();
    const message = buildTaskMessage(
      { task: 'tasks.add', args: [], kwargs: {}, origin, exchange: 'amq.direct', routingKey: 'nobody', headers: { 'x-big': 'a'.repeat(70_000) } },
      new Date(),
    );
    await expect(publisher.publish(message)).rejects.toMatchObject({ code: 'E_PUBLISH_REFUSED', message: expect.stringMatching(/could not encode the message/) });
  });

  it('leaves a lent connection open, and refuses to publish before start() and after close()', async () => {
    const lent = await connectBroker(testBrokerUrl(), { log: quiet });
    const publisher = new TaskPublisher({ connection: lent, log: quiet });
    const message = buildTaskMessage({ task: 'tasks.add', args: [], kwargs: {}, origin, exchange: 'amq.direct', routingKey: 'nobody' }, new Date());
    await expect(publisher.publish(message)).rejects.toMatchObject({ code: 'E_PUBLISHER_STATE' });
    await publisher.start();
    await publisher.publish(message);
    await publisher.close();
    await expect(publisher.publish(message)).rejects.toMatchObject({ code: 'E_PUBLISHER_STATE' });
    const channel = await lent.createChannel(); // still open
    await channel.close();
    await lent.close();
  });
});

describeWithPythonCelery('a Python Celery 5.2.6 worker', () => {
  const queue = unique('protocol.python-worker');
  const worker = new PythonWorker({ queues: queue, name: `${queue}@%h`, resultBackend: 'rpc://' });
  let admin: ChannelModel | undefined;

  beforeAll(async () => {
    admin = await connectBroker(testBrokerUrl(), { log: quiet });
    await worker.start();
  });
  afterAll(async () => {
    try {
      await worker[Symbol.asyncDispose]();
    } finally {
      await admin?.close();
    }
  });

  it('runs tasks.echo as we built it, eta, expires and int headers included', async () => {
    const replyChannel = await admin!.createChannel();
    const { queue: replyTo } = await replyChannel.assertQueue('', { exclusive: true, autoDelete: true });
    const message = buildTaskMessage(
      {
        task: 'tasks.echo',
        args: [1, 'two', 3.5, null, true, [1, 2], { k: 'v' }],
        kwargs: { text: 'héllo ☃ "q"', n: -7 },
        queue,
        countdown: 1,
        expires: 300,
        retries: 2,
        timeLimit: 60,
        softTimeLimit: 30,
        headers: { 'x-int': 42, 'x-neg': -1, 'x-trace-id': 'abc123' },
        origin,
        replyTo,
      },
      new Date(),
    );
    await using publisher = new TaskPublisher({ url: testBrokerUrl(), log: quiet });
    await publisher.start();
    await publisher.publish(message);

    const reply = await getOne(admin!, replyTo, 30_000);
    await replyChannel.close();
    const { headers } = message.properties;
    expect(reply.properties.correlationId).toBe(message.id);
    expect(JSON.parse(reply.content.toString())).toMatchObject({
      task_id: message.id,
      status: 'SUCCESS',
      result: {
        args: [1, 'two', 3.5, null, true, [1, 2], { k: 'v' }],
        kwargs: { text: 'héllo ☃ "q"', n: -7 },
        id: message.id,
        root_id: message.id,
        parent_id: null,
        retries: 2,
        eta: headers.eta,
        expires: headers.expires,
        timelimit: [60, 30],
        reply_to: replyTo,
        correlation_id: message.id,
        origin,
        delivery_info: { exchange: '', routing_key: queue, redelivered: false },
      },
    });

    const log = worker.log();
    expect(log).toContain(`Task tasks.echo[${message.id}] succeeded`);
    expect(log).not.toMatch(/FrameSyntaxError|Unknown value in table|InvalidTaskError/);
  });
});
