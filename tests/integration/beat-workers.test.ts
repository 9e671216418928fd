// Beat against a real RabbitMQ, on every database: a real Python Celery
// 5.2.6 worker and a celery-node worker run what it sends (args, kwargs,
// expires and queue routing as the entry says); RabbitMQ drops a message
// whose expiry passed before anyone took it; two beats on one database over
// many due runs put exactly one message per run on the queue.
import { randomBytes } from 'node:crypto';
import { createWorker } from 'celery-node';
import type { ChannelModel } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectBroker } from '../../src/broker/amqp/index.js';
import { Beat, PeriodicTaskStore, type BeatEvent } from '../../src/scheduler/index.js';
import { testBrokerUrl } from '../support/broker.js';
import { describeEachDatabase } from '../support/databases.js';
import { describeWithPythonCelery, PythonWorker } from '../support/python-worker.js';
import { waitFor } from '../support/wait.js';

const tag = () => randomBytes(4).toString('hex');
const polling = { intervalMs: 100 };

describeWithPythonCelery('beat with real workers', () => {
  const python = new PythonWorker();
  const nodeQueue = `beat.node.${tag()}`;
  const nodeCalls: unknown[][] = [];
  let nodeWorker: ReturnType<typeof createWorker>;
  let admin: ChannelModel;

  beforeAll(async () => {
    admin = await connectBroker(testBrokerUrl(), { log: () => {} });
    // The Python worker first: if it cannot start, no celery-node connection is left
    // half open for afterAll to close under it (an unhandled amqplib rejection).
    await python.start();
    nodeWorker = createWorker(testBrokerUrl(), 'amqp://', nodeQueue);
    nodeWorker.register('tasks.node_echo', (...args: unknown[]) => {
      nodeCalls.push(args);
      return args.length;
    });
    await nodeWorker.start();
  }, 90_000);

  afterAll(async () => {
    await nodeWorker?.disconnect();
    await python[Symbol.asyncDispose]();
    await admin?.close();
  });

  describeEachDatabase('one beat', (testDb) => {
    const events: BeatEvent[] = [];
    const quiet = `beat.quiet.${tag()}`;
    const kept = `beat.kept.${tag()}`;
    let beat: Beat;

    beforeAll(async () => {
      const db = await testDb.open();
      const tasks = new PeriodicTaskStore(db);
      const now = new Date();
      const first = { startTime: now, oneOff: true } as const; // due at once, once
      await tasks.create({
        name: 'py-echo',
        task: 'tasks.echo',
        schedule: { every: 60 },
        ...first,
        args: [1, 'x', testDb.provider],
        kwargs: { n: 1, text: 'héllo ☃' },
        queue: python.queue,
        expireSeconds: 300,
      });
      await tasks.create({ name: 'py-add', task: 'tasks.add', schedule: { every: 60 }, ...first, args: [20, 22], queue: python.queue });
      await tasks.create({
        name: 'node-echo',
        task: 'tasks.node_echo',
        schedule: { every: 60 },
        ...first,
        args: [testDb.provider, 2],
        kwargs: { k: 'v' },
        queue: nodeQueue,
      });
      // Nobody consumes these queues: RabbitMQ drops the one that expires.
      await tasks.create({ name: 'expiring', task: 'tasks.add', schedule: { every: 60 }, ...first, queue: quiet, expireSeconds: 1 });
      await tasks.create({ name: 'lasting', task: 'tasks.add', schedule: { every: 60 }, ...first, queue: kept });
      beat = new Beat({ database: db, brokerUrl: testBrokerUrl(), maxInterval: 1, onEvent: (event) => events.push(event) });
      await beat.start();
    });

    afterAll(async () => {
      await beat?.close();
      const channel = await admin.createChannel();
      for (const queue of [quiet, kept]) await channel.deleteQueue(queue).catch(() => {});
      await channel.close().catch(() => {});
    });

    const sentId = (entry: string) =>
      waitFor(`beat to send ${entry}`, () => {
        const event = events.find((e) => e.type === 'task-sent' && e.entry === entry);
        return event?.type === 'task-sent' ? event.taskId : undefined;
      }, polling);

    it('a Python Celery worker runs what beat sent, with its args, kwargs, expires and queue', async () => {
      const echoId = await sentId('py-echo');
      const addId = await sentId('py-add');
      const line = (id: string) => waitFor(`the worker to run ${id}`, () => python.log().split('\n').find((l) => l.includes(`[${id}] succeeded`)), polling);
      const echo = await line(echoId);
      expect(echo).toContain(`'args': [1, 'x', '${testDb.provider}']`);
      expect(echo).toContain("'kwargs': {'n': 1, 'text': 'héllo ☃'}");
      expect(echo).toContain(`'routing_key': '${python.queue}'`);
      expect(echo).toMatch(/'expires': '\d{4}-\d\d-\d\dT[\d:.]+\+00:00'/);
      expect(echo).toContain(`'root_id': '${echoId}'`);
      expect(await line(addId)).toMatch(/succeeded in [\d.e-]+s: 42\s*$/);
      expect(python.log()).not.toMatch(/FrameSyntaxError|Unknown value in table|InvalidTaskError|Received unregistered/);
    });

    it('a celery-node worker runs what beat sent to its queue', async () => {
      await sentId('node-echo');
      const call = await waitFor('celery-node to run tasks.node_echo', () => nodeCalls.find((args) => args[0] === testDb.provider), polling);
      expect(call).toEqual([testDb.provider, 2, { k: 'v' }]);
    });

    it('RabbitMQ drops a message whose expiry passed before a worker took it (AMQP expiration)', async () => {
      await sentId('expiring');
      await sentId('lasting');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const channel = await admin.createChannel();
      try {
        expect((await channel.checkQueue(kept)).messageCount).toBe(1);
        expect((await channel.checkQueue(quiet)).messageCount).toBe(0);
      } finally {
        await channel.close();
      }
    });
  });

  describeEachDatabase('two beats', (testDb) => {
    it('over many due runs put exactly one message per run on the queue', async () => {
      const queue = `beat.twice.${tag()}`;
      const setup = await testDb.open();
      const tasks = new PeriodicTaskStore(setup);
      const entries = 12;
      for (let i = 0; i < entries; i++) {
        await tasks.create({ name: `e${i}`, task: 'tasks.add', schedule: { every: 1 }, args: [i], queue, startTime: new Date() });
      }
      const sent: BeatEvent[][] = [[], []];
      const beats = sent.map(
        (log) => new Beat({ databaseUrl: testDb.url, brokerUrl: testBrokerUrl(), maxInterval: 1, onEvent: (e) => log.push(e) }),
      );
      await Promise.all(beats.map((b) => b.start()));
      await new Promise((resolve) => setTimeout(resolve, 6000));
      await Promise.all(beats.map((b) => b.close()));

      const runs = (await setup.prisma.periodicTask.aggregate({ _sum: { totalRunCount: true } }))._sum.totalRunCount ?? 0;
      const channel = await admin.createChannel();
      const bodies: string[] = [];
      for (let m; (m = await channel.get(queue, { noAck: true })); ) bodies.push(m.content.toString());
      await channel.deleteQueue(queue);
      await channel.close();

      const sentEvents = sent.flat().filter((e) => e.type === 'task-sent');
      expect(runs).toBeGreaterThanOrEqual(entries * 4);
      expect(bodies).toHaveLength(runs);
      expect(sentEvents).toHaveLength(runs);
      // Each entry runs once a second: its messages are as many as its recorded runs.
      const perEntry = await setup.prisma.periodicTask.findMany({ select: { args: true, totalRunCount: true } });
      for (const { args, totalRunCount } of perEntry) {
        expect(bodies.filter((b) => b.startsWith(`[${args}, `)).length, args).toBe(totalRunCount);
      }
      expect(sent.every((log) => log.some((e) => e.type === 'task-sent'))).toBe(true);
    }, 60_000);
  });
});
