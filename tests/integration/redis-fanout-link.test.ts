// The Redis FanoutLink on its own: it listens where kombu publishes, and a
// connection that stops answering without closing (a partition: a TCP proxy
// that drops what Redis sends) is noticed by the PING health check,
// dropped, reconnected and subscribed again. A direct exchange (the
// remote control's replies) is listened to through a bound list, as kombu
// routes it: what is pushed while the link is away waits for it.
import { expect, it } from 'vitest';
import { openFanoutLink, type InboundMessage, type LinkStatus } from '../../src/broker/fanout-link.js';
import { publishChannel } from '../../src/broker/redis/channels.js';
import { fanoutEnvelope } from '../../src/broker/redis/fanout-message.js';
import { bindingKey, parseBindingMember } from '../../src/broker/redis/routing.js';
import { PIDBOX_EXCHANGE, REPLY_EXCHANGE, replyMessage, replyQueueName } from '../../src/control/pidbox.js';
import { eventMessage } from '../../src/snapshot/node-events/event-body.js';
import { describeWithRedis, redisDbPerSuite } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

describeWithRedis('Redis fanout link', () => {
  const redis = redisDbPerSuite();

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

  it('listens to a direct exchange through its bound list, keeps what was pushed while away, and unbinds on close', { timeout: 60_000 }, async () => {
    const proxy = new TcpProxy('127.0.0.1', 6379);
    const port = await proxy.listen();
    const statuses: LinkStatus[] = [];
    const received: InboundMessage[] = [];
    const oid = 'c0ffee00-0000-4000-8000-000000000001';
    const link = openFanoutLink({
      brokerUrl: `redis://127.0.0.1:${port}/${redis.db}`,
      connectionName: 'prisma-celery test',
      listen: { exchange: REPLY_EXCHANGE, bindingKey: oid, queue: () => replyQueueName(oid), queueTtlMs: 300_000, queueExpiresMs: 10_000 },
      declare: [PIDBOX_EXCHANGE],
      heartbeatSeconds: 0.2,
      reconnectInitialDelayMs: 50,
      reconnectMaxDelayMs: 200,
      onMessage: (message) => received.push(message),
      onStatus: (status) => {
        statuses.push(status);
        if (status.type === 'disconnected') proxy.heal();
      },
    });
    // A worker answering as kombu publishes to a direct exchange: LPUSH onto every queue the set binds with the key.
    const answer = async (n: number) => {
      const request = { method: 'ping', arguments: {}, destination: null, reply: { ticket: `t${n}`, exchange: REPLY_EXCHANGE.name, routingKey: oid }, clock: n, expiresMs: null };
      const members = await redis.client.smembers(bindingKey(REPLY_EXCHANGE.name));
      const queues = members.map(parseBindingMember).filter((b) => b?.routingKey === oid).map((b) => b?.queue as string);
      for (const queue of queues) await redis.client.lpush(queue, fanoutEnvelope(replyMessage(request, 'w1@test', { ok: 'pong' }, n), `tag${n}`));
      return queues;
    };
    await link.start();
    try {
      expect(statuses).toEqual([{ type: 'connected', source: replyQueueName(oid), reconnect: false }]);
      expect(await answer(1)).toEqual([replyQueueName(oid)]);
      await waitFor('the first answer', () => received.length === 1);
      expect(received[0]).toMatchObject({ routingKey: oid, contentType: 'application/json', headers: { ticket: 't1', clock: 1 } });
      expect(JSON.parse(received[0]?.body.toString() ?? '')).toEqual({ 'w1@test': { ok: 'pong' } });

      proxy.blackhole();
      await waitFor('the dead connection noticed', () => statuses.some((s) => s.type === 'disconnected'));
      // Pushed while the link is away: the list keeps it.
      await answer(2);
      await waitFor('listening again', () => link.connected);
      await waitFor('the answer pushed while away', () => received.length === 2);
      expect(received[1]?.headers.ticket).toBe('t2');
      // One loss, the partition's: BRPOP's waits never held a health-check PING long enough to drop a sound connection.
      expect(statuses.filter((s) => s.type === 'connected').map((s) => s.type === 'connected' && s.reconnect)).toEqual([false, true]);
    } finally {
      await link.close();
      await proxy.cut();
    }
    expect(await redis.client.smembers(bindingKey(REPLY_EXCHANGE.name))).toEqual([]);
    expect(await redis.client.exists(replyQueueName(oid))).toBe(0);
  });
});
