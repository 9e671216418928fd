// The Redis FanoutLink on its own: it listens where kombu publishes, and a
// connection that stops answering without closing (a partition: a TCP proxy
// that drops what Redis sends) is noticed by the PING health check,
// dropped, reconnected and subscribed again.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openFanoutLink, type InboundMessage, type LinkStatus } from '../../src/broker/fanout-link.js';
import { publishChannel } from '../../src/broker/redis/channels.js';
import { fanoutEnvelope } from '../../src/broker/redis/fanout-message.js';
import { eventMessage } from '../../src/snapshot/node-events/event-body.js';
import { claimRedisDb, describeWithRedis, type RedisTestDb } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

describeWithRedis('Redis fanout link', () => {
  let redis: RedisTestDb;
  beforeAll(async () => {
    redis = await claimRedisDb();
  });
  afterAll(async () => {
    await redis?.[Symbol.asyncDispose]();
  });

  it('notices a connection that stopped answering, reconnects and listens again', { timeout: 60_000 }, async () => {
    const proxy = new TcpProxy('127.0.0.1', 6379);
    const port = await proxy.listen();
    const statuses: LinkStatus[] = [];
    const received: InboundMessage[] = [];
    const link = openFanoutLink({
      brokerUrl: `redis://127.0.0.1:${port}/${redis.db}`,
      connectionName: 'prisma-celery test',
      listen: { exchange: { name: 'celeryev', type: 'topic', durable: true, autoDelete: false }, bindingKey: '#', queue: () => 'unused', queueTtlMs: 5000, queueExpiresMs: 60_000 },
      heartbeatSeconds: 0.2,
      reconnectInitialDelayMs: 50,
      reconnectMaxDelayMs: 200,
      onMessage: (message) => received.push(message),
      onStatus: (status) => {
        statuses.push(status);
        // Healed at once, so the reconnection does not open into the partition.
        if (status.type === 'disconnected') proxy.heal();
      },
    });
    const send = (routingKey: string, body: string) =>
      redis.client.publish(publishChannel(redis.db, 'celeryev', routingKey), fanoutEnvelope(eventMessage('celeryev', 'w1@test', routingKey, body), 'tag'));
    await link.start();
    try {
      expect(statuses).toEqual([{ type: 'connected', source: `/${redis.db}.celeryev/*`, reconnect: false }]);
      await send('worker.heartbeat', '{"n": 1}');
      await waitFor('the first message', () => received.length === 1);
      expect(received[0]).toMatchObject({ routingKey: 'worker.heartbeat', contentType: 'application/json', headers: { hostname: 'w1@test' } });

      proxy.blackhole();
      await waitFor('the dead connection noticed', () => statuses.some((s) => s.type === 'disconnected'));
      expect(link.connected).toBe(false);
      await waitFor('listening again', () => link.connected);
      expect(statuses.filter((s) => s.type === 'connected').map((s) => s.type === 'connected' && s.reconnect)).toEqual([false, true]);
      await send('task.multi', '[{"n": 2}]');
      await waitFor('a message after the reconnection', () => received.length === 2);
      expect(received[1]?.routingKey).toBe('task.multi');
    } finally {
      await link.close();
      await proxy.cut();
    }
  });
});
