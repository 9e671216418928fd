// Publishing on a real Redis broker, as kombu 5.2's Redis transport does:
// beat's messages reach a real Python Celery 5.2.6 worker (args, kwargs,
// priority, queue routing, a topic exchange the worker bound, expires) and a
// celery-node worker; web apply sends a task the Python worker runs; a
// message for an exchange nothing is bound to is refused, not dropped; and a
// Redis that went away makes a send fail with E_PUBLISH_UNCONFIRMED within
// its budget while beat counts no run.
import { randomBytes } from 'node:crypto';
import { createWorker } from 'celery-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BrokerError } from '../../src/broker/amqp/errors.js';
import { createTaskPublisher } from '../../src/broker/publisher.js';
import { decodeEnvelope } from '../../src/broker/redis/envelope.js';
import { RedisTaskPublisher } from '../../src/broker/redis/task-publisher.js';
import { buildTaskMessage } from '../../src/core/protocol/index.js';
import type { Database } from '../../src/db/open.js';
import { Beat, PeriodicTaskStore, type BeatEvent } from '../../src/scheduler/index.js';
import { startMonitorServer } from '../../src/web/server.js';
import { startBeatBehindProxy } from '../support/beat-behind-proxy.js';
import { describeEachDatabase } from '../support/databases.js';
import { describeWithPythonCeleryOnRedis, PythonWorker } from '../support/python-worker.js';
import { claimRedisDb, describeWithRedis, type RedisTestDb } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

const tag = () => randomBytes(4).toString('hex');
const polling = { intervalMs: 100 };
const quiet = () => {};
const TOKEN = 'apply-token-0123456789abcdef';

describeWithPythonCeleryOnRedis('publishing on Redis', () => {
  let redis: RedisTestDb;
  let python: PythonWorker;
  const nodeQueue = `node-${tag()}`;
  const nodeCalls: unknown[][] = [];
  let nodeWorker: ReturnType<typeof createWorker> | undefined;

  beforeAll(async () => {
    redis = await claimRedisDb();
    python = new PythonWorker({ brokerUrl: redis.url });
    await python.start();
    nodeWorker = createWorker(redis.url, redis.url, nodeQueue);
    nodeWorker.register('tasks.node_echo', (...args: unknown[]) => {
      nodeCalls.push(args);
      return args.length;
    });
    void nodeWorker.start();
  }, 90_000);

  afterAll(async () => {
    await nodeWorker?.disconnect();
    await python?.[Symbol.asyncDispose]();
    await redis?.[Symbol.asyncDispose]();
  });

  const succeeded = (id: string) =>
    waitFor(`the Python worker to run ${id}`, () => python.log().split('\n').find((l) => l.includes(`[${id}] succeeded`)), polling);

  describeEachDatabase('beat', (testDb) => {
    const events: BeatEvent[] = [];
    const idle = `idle-${tag()}`;
    let beat: Beat;

    beforeAll(async () => {
      // The worker binds its queue to a topic exchange, as kombu declares it.
      await python.bind('jobs', 'topic', `jobs.${testDb.provider}.#`);
      const db = await testDb.open();
      const tasks = new PeriodicTaskStore(db);
      const first = { schedule: { every: 60 }, startTime: new Date(), oneOff: true } as const;
      await tasks.create({
        name: 'py-echo',
        task: 'tasks.echo',
        ...first,
        args: [1, 'x', testDb.provider],
        kwargs: { n: 1, text: 'héllo ☃' },
        queue: python.queue,
        priority: 5,
        expireSeconds: 300,
      });
      await tasks.create({ name: 'py-topic', task: 'tasks.add', ...first, args: [40, 2], exchange: 'jobs', routingKey: `jobs.${testDb.provider}.add` });
      await tasks.create({ name: 'node-echo', task: 'tasks.node_echo', ...first, args: [testDb.provider, 2], kwargs: { k: 'v' }, queue: nodeQueue });
      // Nobody consumes this queue: the test reads its lists.
      await tasks.create({ name: 'idle-9', task: 'tasks.add', ...first, args: [9, 9], queue: idle, priority: 9 });
      await tasks.create({ name: 'expiring', task: 'tasks.add', ...first, args: [1, 1], queue: idle, expireSeconds: 1 });
      beat = new Beat({ database: db, brokerUrl: redis.url, maxInterval: 1, onEvent: (event) => events.push(event) });
      await beat.start();
    });

    afterAll(async () => {
      await beat?.close();
    });

    const sentId = (entry: string) =>
      waitFor(`beat to send ${entry}`, () => {
        const event = events.find((e) => e.type === 'task-sent' && e.entry === entry);
        return event?.type === 'task-sent' ? event.taskId : undefined;
      }, polling);

    it('a Python worker runs what beat sent, with its args, kwargs, priority, queue and expires', async () => {
      const id = await sentId('py-echo');
      const line = await succeeded(id);
      expect(line).toContain(`'args': [1, 'x', '${testDb.provider}']`);
      expect(line).toContain("'kwargs': {'n': 1, 'text': 'héllo ☃'}");
      expect(line).toMatch(new RegExp(`'delivery_info': \\{'exchange': '', 'routing_key': '${python.queue}', 'priority': 5`));
      expect(line).toMatch(/'expires': '\d{4}-\d\d-\d\dT[\d:.]+\+00:00'/);
      expect(line).toContain(`'root_id': '${id}'`);
      expect(python.log()).not.toMatch(/InvalidTaskError|Received unregistered|Traceback/);
    });

    it('routes through a topic exchange the worker bound its queue to', async () => {
      expect(await succeeded(await sentId('py-topic'))).toMatch(/succeeded in [\d.e-]+s: 42\s*$/);
    });

    it('a celery-node worker runs what beat sent to its queue', async () => {
      await sentId('node-echo');
      const call = await waitFor('celery-node to run tasks.node_echo', () => nodeCalls.find((args) => args[0] === testDb.provider), polling);
      expect(call).toEqual([testDb.provider, 2, { k: 'v' }]);
    });

    it("puts a message on its priority step's list and declares the queue's binding, as kombu does", async () => {
      const id = await sentId('idle-9');
      expect(await redis.client.smembers(`_kombu.binding.${idle}`)).toEqual([`${idle}\x06\x16\x06\x16${idle}`]);
      const [raw] = await redis.client.lrange(`${idle}\x06\x169`, 0, -1);
      const envelope = decodeEnvelope(raw ?? '');
      expect(envelope.headers).toMatchObject({ id, task: 'tasks.add', retries: 0, timelimit: [null, null] });
      expect(envelope.properties).toMatchObject({ correlation_id: id, delivery_mode: 2, priority: 9, delivery_info: { exchange: '', routing_key: idle } });
      expect(JSON.parse(envelope.body.toString())).toEqual([[9, 9], {}, { callbacks: null, errbacks: null, chain: null, chord: null }]);
    });

    it('a Python worker discards a message whose expiry passed before it took it (Redis keeps it; the worker reads expires)', async () => {
      const id = await sentId('expiring');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // Handed to the worker's queue only now, after it expired.
      expect(await redis.client.lmove(idle, python.queue, 'RIGHT', 'LEFT')).toContain(id);
      await waitFor(`the worker to discard ${id}`, () => python.log().includes(`Discarding revoked task: tasks.add[${id}]`), polling);
      expect(python.log()).not.toContain(`[${id}] succeeded`);
    });
  });

  describeEachDatabase('web apply', (testDb) => {
    let database: Database;

    beforeAll(async () => {
      database = await testDb.open();
    });

    it('sends a task that the Python worker on Redis runs', async () => {
      await using server = await startMonitorServer({
        database,
        port: 0,
        token: TOKEN,
        allowApply: ['tasks.add'],
        defaultQueue: python.queue,
        brokerUrl: redis.url,
        brokerLog: quiet,
      });
      const sent = await fetch(new URL('apply/tasks.add', server.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ args: [20, 22], priority: 3, expires: 600 }),
      });
      expect(sent.status).toBe(200);
      const { task_id: id } = (await sent.json()) as { task_id: string };
      expect(await succeeded(id)).toMatch(/succeeded in [\d.e-]+s: 42\s*$/);
    });
  });

  it('refuses a message for an exchange no queue is bound to, saying what to do, and stores nothing', async () => {
    await using publisher = createTaskPublisher(redis.url, { log: quiet });
    await publisher.start();
    const message = buildTaskMessage({ task: 'tasks.add', args: [1, 2], kwargs: {}, origin: 'gen1@test', exchange: 'nobody', routingKey: 'no.key' }, new Date());
    const refused = publisher.publish(message);
    await expect(refused).rejects.toBeInstanceOf(BrokerError);
    await expect(refused).rejects.toMatchObject({ code: 'E_PUBLISH_REFUSED' });
    await expect(refused).rejects.toThrow(
      /no queue is bound to exchange "nobody" with a key matching routing key "no\.key" .*start a worker that consumes the queue/,
    );
    expect(await redis.client.keys('*nobody*')).toEqual([]);
  });

  it("refuses at once what Redis will refuse again: a queue's key that holds something else", async () => {
    await redis.client.set('not-a-list', 'x');
    await using publisher = createTaskPublisher(redis.url, { log: quiet, retryDelayMs: 10_000 });
    await publisher.start();
    const message = buildTaskMessage({ task: 'tasks.add', args: [], kwargs: {}, origin: 'gen1@test', queue: 'not-a-list' }, new Date());
    await expect(publisher.publish(message)).rejects.toMatchObject({
      code: 'E_PUBLISH_REFUSED',
      message: expect.stringContaining('was refused: WRONGTYPE Operation against a key holding the wrong kind of value'),
    });
  });
});

describeWithRedis('publishing to a Redis that went away', () => {
  let redis: RedisTestDb;
  let proxy: TcpProxy;
  let url: string;

  beforeAll(async () => {
    redis = await claimRedisDb();
    proxy = new TcpProxy('127.0.0.1', 6379);
    url = `redis://127.0.0.1:${await proxy.listen()}/${redis.db}`;
  });

  afterAll(async () => {
    await proxy?.cut();
    await redis?.[Symbol.asyncDispose]();
  });

  it('rejects with E_PUBLISH_UNCONFIRMED after its attempts, within its budget, and stores nothing', async () => {
    await proxy.restore();
    const publisher = new RedisTaskPublisher({ url, maxAttempts: 3, retryDelayMs: 100, confirmTimeoutMs: 2000, log: quiet });
    await publisher.start();
    await proxy.cut();
    const started = Date.now();
    const message = buildTaskMessage({ task: 'tasks.add', args: [1, 2], kwargs: {}, origin: 'gen1@test', queue: 'gone' }, new Date());
    const failed = publisher.publish(message);
    await expect(failed).rejects.toMatchObject({ code: 'E_PUBLISH_UNCONFIRMED' });
    await expect(failed).rejects.toThrow(`task ${message.id} (tasks.add) was not stored by Redis at ${url} (after 3 attempts)`);
    // Three sends that fail at once and two pauses (100 + 200 ms), far below three reply timeouts.
    expect(Date.now() - started).toBeLessThan(2000);
    await publisher.close();
    expect(await redis.client.keys('*')).toEqual([]);
  });

  it("declares a queue's binding again on a new connection, as kombu does, and sends once Redis is back", async () => {
    await proxy.restore();
    await using publisher = new RedisTaskPublisher({ url, log: quiet });
    await publisher.start();
    const message = () => buildTaskMessage({ task: 'tasks.add', args: [], kwargs: {}, origin: 'gen1@test', queue: 'again' }, new Date());
    await publisher.publish(message());
    await redis.client.del('_kombu.binding.again');
    await publisher.publish(message());
    // Declared once per connection: the binding deleted meanwhile stays deleted.
    expect(await redis.client.exists('_kombu.binding.again')).toBe(0);
    await proxy.cut();
    const sending = publisher.publish(message());
    await new Promise((resolve) => setTimeout(resolve, 300));
    await proxy.restore();
    await sending;
    expect(await redis.client.smembers('_kombu.binding.again')).toEqual(['again\x06\x16\x06\x16again']);
    expect(await redis.client.llen('again')).toBe(3);
  });

  it('gives up on a send Redis does not answer after confirmTimeoutMs, and closes within its budget', async () => {
    await proxy.restore();
    proxy.heal();
    const warnings: string[] = [];
    const log = (_level: string, message: string, error?: unknown) => warnings.push(`${message}: ${String(error)}`);
    const publisher = new RedisTaskPublisher({ url, maxAttempts: 2, retryDelayMs: 50, confirmTimeoutMs: 300, closeTimeoutMs: 200, log });
    await publisher.start();
    proxy.blackhole();
    try {
      const message = buildTaskMessage({ task: 'tasks.add', args: [], kwargs: {}, origin: 'gen1@test', queue: 'silent' }, new Date());
      await expect(publisher.publish(message)).rejects.toMatchObject({ code: 'E_PUBLISH_UNCONFIRMED', message: expect.stringContaining('(after 2 attempts)') });
      expect(warnings[0]).toBe(`task ${message.id} (tasks.add) not stored by Redis (attempt 1 of 2): Error: no reply within 300 ms`);

      // A send under way when close() is called is abandoned after closeTimeoutMs.
      const slow = new RedisTaskPublisher({ url, confirmTimeoutMs: 60_000, closeTimeoutMs: 200, log: quiet });
      proxy.heal();
      await slow.start();
      proxy.blackhole();
      const pending = slow.publish(message);
      const closing = Date.now();
      await slow.close();
      expect(Date.now() - closing).toBeLessThan(2000);
      await expect(pending).rejects.toMatchObject({ code: 'E_PUBLISH_UNCONFIRMED', message: expect.stringContaining('the publisher was closed') });
      await expect(slow.publish(message)).rejects.toMatchObject({ code: 'E_PUBLISHER_STATE' });
    } finally {
      proxy.heal();
      await publisher.close();
    }
  });

  describeEachDatabase('beat', (testDb) => {
    it('gives the run back when the send fails, so nothing is counted', async () => {
      await proxy.restore();
      const db = await testDb.open();
      const queue = `gone-${tag()}`;
      const events: BeatEvent[] = [];
      const beat = new Beat({ database: db, brokerUrl: url, maxInterval: 1, onEvent: (event) => events.push(event) });
      let failure: BeatEvent | undefined;
      try {
        await beat.start();
        await proxy.cut();
        // Due at once, and added only now: its first send is the one Redis cannot take.
        await new PeriodicTaskStore(db).create({ name: 'gone', task: 'tasks.add', schedule: { every: 60 }, startTime: new Date(), queue });
        failure = await waitFor('a failed send', () => events.find((e) => e.type === 'publish-failed'), { ...polling, timeoutMs: 20_000 });
      } finally {
        // The run was claimed (counted) before each send; each failure, and the stop, gives it back.
        await beat.close();
      }
      expect(failure).toMatchObject({ entry: 'gone', error: { code: 'E_PUBLISH_UNCONFIRMED' } });
      const row = await db.prisma.periodicTask.findFirstOrThrow({ where: { name: 'gone' }, select: { totalRunCount: true, lastRunAt: true } });
      expect(row).toEqual({ totalRunCount: 0, lastRunAt: null });
      expect(events.filter((e) => e.type === 'task-sent' || e.type === 'run-lost')).toEqual([]);
      expect(await redis.client.llen(queue)).toBe(0);
      await db.prisma.periodicTask.deleteMany({ where: { name: 'gone' } });
    });

    it('stops within its stop budget during a partition, every run claimed either sent or given back', { timeout: 60_000 }, async () => {
      const stopTimeout = 3;
      const { beat, proxy: partition, events, sent, runs } = await startBeatBehindProxy(testDb, { stopTimeout, brokerUrl: redis.url });
      let stoppedIn = Infinity;
      try {
        await waitFor('a first send of each', () => sent() >= 2, { timeoutMs: 20_000 });
        partition.blackhole();
        const before = sent();
        // A run claimed whose push hangs: the count is ahead of what was sent.
        await waitFor('a claimed run stuck in its push', async () => (await runs()) > before, { timeoutMs: 20_000, intervalMs: 50 });
        const started = performance.now();
        await Promise.race([beat.close(), new Promise((resolve) => setTimeout(resolve, 20_000))]);
        stoppedIn = (performance.now() - started) / 1000;
      } finally {
        partition.heal();
        await beat.close();
        await partition.cut();
      }
      expect(stoppedIn).toBeLessThan(stopTimeout + 1);
      expect(events.filter((e) => e.type === 'run-lost')).toEqual([]);
      expect(events.some((e) => e.type === 'publish-failed')).toBe(true);
      expect(await runs()).toBe(sent());
    });
  });
});
