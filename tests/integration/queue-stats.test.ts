// Queue depths on the real brokers: RabbitMQ answers a passive declare with
// the messages ready and the consumers of each queue (one that does not
// exist is said so, and the queues after it are still counted); Redis
// counts a queue's messages across its priority lists, as our publisher
// and kombu spread them.
import { randomBytes } from 'node:crypto';
import { connect, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BrokerError } from '../../src/broker/errors.js';
import { createTaskPublisher } from '../../src/broker/publisher.js';
import { createQueueStats, type QueueStats } from '../../src/broker/queue-stats.js';
import { buildTaskMessage } from '../../src/core/protocol/index.js';
import { describeWithBroker, testBrokerUrl } from '../support/broker.js';
import { claimRedisDb, describeWithRedis, type RedisTestDb } from '../support/redis.js';

const tag = () => randomBytes(4).toString('hex');
const quiet = () => {};
const message = (queue: string, priority?: number) =>
  buildTaskMessage({ task: 'tasks.add', origin: 'queue-stats-test', args: [1, 2], kwargs: {}, queue, priority }, new Date());

describeWithBroker('queue stats on RabbitMQ', () => {
  let admin: ChannelModel;
  let stats: QueueStats;
  const waiting = `waiting-${tag()}`;
  const consumed = `consumed-${tag()}`;
  const missing = `missing-${tag()}`;

  beforeAll(async () => {
    admin = await connect(testBrokerUrl());
    const channel = await admin.createChannel();
    await channel.assertQueue(waiting);
    await channel.assertQueue(consumed);
    const publisher = createTaskPublisher(testBrokerUrl(), { log: quiet });
    await publisher.start();
    try {
      for (let i = 0; i < 3; i++) await publisher.publish(message(waiting));
    } finally {
      await publisher.close();
    }
    // Two consumers on the other queue, holding nothing.
    for (let i = 0; i < 2; i++) await channel.consume(consumed, () => {});
    stats = createQueueStats(testBrokerUrl(), { log: quiet });
  });

  afterAll(async () => {
    await stats?.close();
    const channel = await admin.createChannel();
    for (const queue of [waiting, consumed]) await channel.deleteQueue(queue).catch(() => {});
    await admin.close();
  });

  it('counts messages and consumers; a queue the broker lacks is undeclared, and the next is still counted', async () => {
    expect(stats.transport).toBe('amqp');
    expect(await stats.depths([waiting, missing, consumed])).toEqual([
      { queue: waiting, messages: 3, consumers: 0, declared: true },
      { queue: missing, messages: null, consumers: null, declared: false },
      { queue: consumed, messages: 0, consumers: 2, declared: true },
    ]);
    // The passive declare made nothing.
    const channel = await admin.createChannel();
    channel.on('error', () => {});
    await expect(channel.checkQueue(missing)).rejects.toThrow(/404|NOT_FOUND/);
  });

  it('reuses its connection across calls', async () => {
    const first = await stats.depths([waiting]);
    const second = await stats.depths([waiting]);
    expect(second).toEqual(first);
  });

  it('says which broker it could not reach', async () => {
    const url = new URL(testBrokerUrl());
    url.port = '1';
    await using unreachable = createQueueStats(url.toString(), { log: quiet, timeoutMs: 2000 });
    const error = await unreachable.depths([waiting]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BrokerError);
    expect((error as BrokerError).code).toBe('E_BROKER_CONNECT');
    expect((error as BrokerError).message).toMatch(/cannot connect to amqp:\/\/.*:1\//);
  });
});

describeWithRedis('queue stats on Redis', () => {
  let redis: RedisTestDb;
  let stats: QueueStats;

  beforeAll(async () => {
    redis = await claimRedisDb();
    stats = createQueueStats(redis.url, { log: quiet });
  });

  afterAll(async () => {
    await stats?.close();
    await redis?.[Symbol.asyncDispose]();
  });

  it('sums the priority lists of each queue, an empty or unknown one being 0', async () => {
    const publisher = createTaskPublisher(redis.url, { log: quiet });
    await publisher.start();
    try {
      // Priorities 0, 5 and 9 land in three different lists of the queue.
      for (const priority of [0, 5, 9, 9]) await publisher.publish(message('spread', priority));
      await publisher.publish(message('other'));
    } finally {
      await publisher.close();
    }
    expect((await redis.client.keys('spread*')).length).toBe(3);
    expect(stats.transport).toBe('redis');
    expect(await stats.depths(['spread', 'other', 'never-used'])).toEqual([
      { queue: 'spread', messages: 4, consumers: null, declared: null },
      { queue: 'other', messages: 1, consumers: null, declared: null },
      { queue: 'never-used', messages: 0, consumers: null, declared: null },
    ]);
    expect(await stats.depths([])).toEqual([]);
  });
});
