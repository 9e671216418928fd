// The pidbox protocol against what Celery 5.2.6 sent and answered
// (tests/fixtures/celery-5.2.6/control-commands.json on AMQP,
// celery-5.2.6-redis/control-commands.json on Redis): each command's
// request is Python's byte for byte once the per-call values (ticket,
// clock, expiry) are the captured ones, each worker answer reads back as
// what Python returned, and junk on the reply exchange is told apart.
import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../../src/broker/fanout.js';
import { fanoutEnvelope, inboundOf } from '../../src/broker/redis/fanout-message.js';
import {
  commands,
  parseReply,
  parseRequest,
  replyError,
  replyMessage,
  replyQueueName,
  requestMessage,
  REPLY_QUEUE_EXPIRES_MS,
  REPLY_QUEUE_TTL_MS,
  type ControlCommand,
} from '../../src/control/pidbox.js';
import type { JsonValue } from '../../src/core/protocol/json-value.js';
import { readFixture } from '../support/celery-fixtures.js';

interface AmqpMessage {
  exchange: string;
  routing_key: string;
  properties: { content_type: string; content_encoding: string; delivery_mode: number; priority: number };
  headers: Record<string, unknown>;
  body_text: string;
}
interface AmqpRecord {
  case: string;
  returned: JsonValue;
  request: AmqpMessage;
  replies: AmqpMessage[];
  declared: { call: string; kwargs: Record<string, unknown> }[];
}
interface RedisRecord {
  case: string;
  returned: JsonValue;
  request: { channel: string; message: string };
  replies: { message: string }[];
  commands: string[];
}
interface Capture<R> {
  worker: string;
  client_oid: string;
  task_ids: { slow: string; later: string; waiting: string };
  records: R[];
}
const amqp = readFixture<Capture<AmqpRecord>>('celery-5.2.6/control-commands.json');
const redis = readFixture<Capture<RedisRecord>>('celery-5.2.6-redis/control-commands.json');
const WORKER = amqp.worker;

/** Each captured case as our command, with the destination and timeout (ms) Python's call used. */
function ours(name: string, ids: Capture<unknown>['task_ids']): { command: ControlCommand; destination: string[]; timeoutMs: number } {
  const to = (command: ControlCommand, destination = [WORKER], timeoutMs = 2000) => ({ command, destination, timeoutMs });
  switch (name) {
    case 'ping':
      return to(commands.ping(), [], 1000);
    case 'ping_destination':
      return to(commands.ping());
    case 'ping_unknown_destination':
      return to(commands.ping(), ['nobody@nowhere'], 1000);
    case 'active':
      return to(commands.active());
    case 'reserved':
      return to(commands.reserved());
    case 'scheduled':
      return to(commands.scheduled());
    case 'registered':
      return to(commands.registered());
    case 'registered_rate_limit':
      return to(commands.registered(['rate_limit']));
    case 'stats':
      return to(commands.stats());
    case 'active_queues':
      return to(commands.activeQueues());
    case 'query_task':
      return to(commands.queryTask([ids.slow, ids.later]));
    case 'conf':
      return to(commands.conf());
    case 'rate_limit':
      return to(commands.rateLimit('tasks.add', '10/m'));
    case 'time_limit':
      return to(commands.timeLimit('tasks.slow', { soft: 60, hard: 120 }));
    case 'pool_grow':
      return to(commands.poolGrow(1));
    case 'pool_shrink':
      return to(commands.poolShrink(1));
    case 'autoscale':
      return to(commands.autoscale(4, 1));
    case 'add_consumer':
      return to(commands.addConsumer('capture-extra'));
    case 'cancel_consumer':
      return to(commands.cancelConsumer('capture-extra'));
    case 'disable_events':
      return to(commands.disableEvents());
    case 'enable_events':
      return to(commands.enableEvents());
    case 'unknown_command':
      return to({ method: 'no_such_command', arguments: {}, expectsReply: true });
    case 'revoke_terminate':
      return to(commands.revoke([ids.slow], { terminate: true, signal: 'SIGKILL' }));
    case 'revoke_many':
      return to(commands.revoke([ids.later, ids.waiting]));
    case 'revoked':
      return to(commands.revoked());
    case 'shutdown':
      return to(commands.shutdown());
  }
  throw new Error(`no command for captured case ${name}`);
}

const amqpInbound = (m: AmqpMessage): InboundMessage => ({
  routingKey: m.routing_key,
  body: Buffer.from(m.body_text),
  contentType: m.properties.content_type,
  contentEncoding: m.properties.content_encoding,
  headers: m.headers,
});

/** Python's return value per hostname: inspect returns `{host: reply}`, control a list of them. */
function returnedByHost(returned: JsonValue): Record<string, JsonValue> {
  return Array.isArray(returned) ? Object.assign({}, ...(returned as object[])) : (returned as Record<string, JsonValue>);
}

describe('pidbox requests, as Celery 5.2.6 sends them', () => {
  it('covers every command of the capture', () => {
    expect(amqp.records.map((r) => r.case)).toEqual(redis.records.map((r) => r.case));
    expect(amqp.records).toHaveLength(26);
  });

  for (const record of amqp.records) {
    it(`AMQP ${record.case}: body, properties and headers`, () => {
      const { command, destination, timeoutMs } = ours(record.case, amqp.task_ids);
      const captured = record.request;
      const body = JSON.parse(captured.body_text) as { ticket: string };
      const clock = captured.headers.clock as number;
      const nowMs = Date.now();
      const message = requestMessage(command, { destination, reply: { ticket: body.ticket, oid: amqp.client_oid }, clock, nowMs, timeoutMs });
      expect(message.body.toString()).toBe(captured.body_text);
      expect(message.exchange).toBe(captured.exchange);
      expect(message.routingKey).toBe(captured.routing_key);
      expect({ contentType: message.contentType, contentEncoding: message.contentEncoding, deliveryMode: message.deliveryMode, priority: message.priority }).toEqual({
        contentType: captured.properties.content_type,
        contentEncoding: captured.properties.content_encoding,
        deliveryMode: captured.properties.delivery_mode,
        priority: captured.properties.priority,
      });
      expect(message.headers.clock).toEqual({ '!': 'int', value: clock });
      // Python's is its own time() + timeout, a double as well.
      expect(message.headers.expires).toEqual({ '!': 'double', value: (nowMs + timeoutMs) / 1000 });
      expect(Number.isInteger(captured.headers.expires)).toBe(false);
    });
  }

  for (const record of redis.records) {
    it(`Redis ${record.case}: the PUBLISHed envelope`, () => {
      const { command, destination, timeoutMs } = ours(record.case, redis.task_ids);
      const envelope = JSON.parse(record.request.message) as { headers: { clock: number; expires: number }; properties: { delivery_tag: string } };
      const captured = inboundOf(record.request.message, '');
      const { ticket } = JSON.parse(captured.body.toString()) as { ticket: string };
      const message = requestMessage(command, { destination, reply: { ticket, oid: redis.client_oid }, clock: envelope.headers.clock, nowMs: 0, timeoutMs });
      message.headers.expires = { '!': 'double', value: envelope.headers.expires };
      expect(record.request.channel).toBe('/3.celery.pidbox');
      expect(fanoutEnvelope(message, envelope.properties.delivery_tag)).toBe(record.request.message);
    });
  }

  it('reads a request back as a worker does', () => {
    const record = amqp.records.find((r) => r.case === 'revoke_terminate') as AmqpRecord;
    const request = parseRequest(amqpInbound(record.request));
    expect(request).toMatchObject({
      method: 'revoke',
      arguments: { task_id: amqp.task_ids.slow, terminate: true, signal: 'SIGKILL' },
      destination: [WORKER],
      reply: { exchange: 'reply.celery.pidbox', routingKey: amqp.client_oid },
      clock: record.request.headers.clock,
      expiresMs: (record.request.headers.expires as number) * 1000,
    });
    const broadcast = parseRequest(amqpInbound((amqp.records[0] as AmqpRecord).request));
    expect(broadcast.destination).toBeNull();
  });

  it('refuses what is no control request', () => {
    const bad = (body: string): InboundMessage => ({ routingKey: '', body: Buffer.from(body), contentType: 'application/json', contentEncoding: 'utf-8', headers: {} });
    expect(() => parseRequest(bad('[1]'))).toThrow(/not a JSON object/);
    expect(() => parseRequest(bad('{"arguments": {}}'))).toThrow(/no method/);
    expect(() => parseRequest(bad('{"method": "ping", "destination": "w1"}'))).toThrow(/destination/);
    expect(() => parseRequest(bad('{"method": "ping", "reply_to": {"exchange": "x"}}'))).toThrow(/reply_to/);
  });
});

describe('pidbox replies, as Celery 5.2.6 answers', () => {
  it('AMQP: the reply queue Python declares for its mailbox id', () => {
    const declared = (amqp.records[0] as AmqpRecord).declared;
    const queue = declared.find((d) => d.call === 'queue_declare')?.kwargs;
    expect(queue).toEqual({
      queue: replyQueueName(amqp.client_oid),
      passive: false,
      durable: false,
      exclusive: false,
      auto_delete: true,
      arguments: { 'x-expires': REPLY_QUEUE_EXPIRES_MS, 'x-message-ttl': REPLY_QUEUE_TTL_MS },
    });
    expect(declared.find((d) => d.call === 'queue_bind')?.kwargs).toMatchObject({ exchange: 'reply.celery.pidbox', routing_key: amqp.client_oid });
  });

  it('Redis: the reply queue is a bound list, BRPOPped, then unbound and deleted', () => {
    const commandsSeen = (redis.records[1] as RedisRecord).commands.map((c) => c.split(' ')[0]);
    const queue = replyQueueName(redis.client_oid);
    const sent = (redis.records[1] as RedisRecord).commands;
    expect(sent).toContain(`SADD _kombu.binding.reply.celery.pidbox ${redis.client_oid}\\x06\\x16\\x06\\x16${queue}`);
    expect(sent.some((c) => c.startsWith(`BRPOP ${queue} ${queue}\\x06\\x163 ${queue}\\x06\\x166 ${queue}\\x06\\x169`))).toBe(true);
    expect(sent.some((c) => c.startsWith(`LPUSH ${queue} `))).toBe(true);
    expect(commandsSeen.indexOf('SADD')).toBeLessThan(commandsSeen.indexOf('PUBLISH'));
    expect(commandsSeen).toContain('SREM');
  });

  const answered = amqp.records.filter((r) => r.replies.length > 0);
  for (const record of answered) {
    it(`${record.case}: each answer reads as what Python returned`, () => {
      const ticket = JSON.parse(record.request.body_text).ticket as string;
      const got: Record<string, JsonValue> = {};
      for (const reply of record.replies) {
        expect(reply.routing_key).toBe(amqp.client_oid);
        const parsed = parseReply(amqpInbound(reply), ticket);
        if (parsed.type !== 'reply') throw new Error(`${record.case}: ${parsed.type}`);
        got[parsed.hostname] = parsed.result;
      }
      expect(got).toEqual(returnedByHost(record.returned));
      const redisRecord = redis.records.find((r) => r.case === record.case) as RedisRecord;
      const redisTicket = (JSON.parse(inboundOf(redisRecord.request.message, '').body.toString()) as { ticket: string }).ticket;
      const fromRedis = parseReply(inboundOf((redisRecord.replies[0] as { message: string }).message, ''), redisTicket);
      expect(fromRedis).toMatchObject({ type: 'reply', hostname: WORKER });
    });
  }

  it('no answer for an unknown destination, nor for shutdown', () => {
    for (const name of ['ping_unknown_destination', 'shutdown']) {
      expect(amqp.records.find((r) => r.case === name)?.replies).toEqual([]);
      expect(redis.records.find((r) => r.case === name)?.replies).toEqual([]);
    }
  });

  it('tells errors from results', () => {
    const error = (name: string): string | null => replyError(returnedByHost(amqp.records.find((r) => r.case === name)?.returned ?? null)[WORKER] ?? null);
    expect(error('unknown_command')).toBe("KeyError('no_such_command')");
    expect(error('autoscale')).toBe("ValueError('Autoscale not enabled')");
    expect(error('ping_destination')).toBeNull();
    expect(error('registered')).toBeNull();
  });

  it('builds a worker answer as Python does', () => {
    const record = amqp.records.find((r) => r.case === 'ping_destination') as AmqpRecord;
    const request = parseRequest(amqpInbound(record.request));
    const captured = record.replies[0] as AmqpMessage;
    const reply = replyMessage(request, WORKER, { ok: 'pong' }, captured.headers.clock as number);
    expect(reply.body.toString()).toBe(captured.body_text);
    expect(reply.exchange).toBe(captured.exchange);
    expect(reply.routingKey).toBe(captured.routing_key);
    expect(reply.deliveryMode).toBe(captured.properties.delivery_mode);
    expect(reply.headers).toEqual({ ticket: captured.headers.ticket, clock: { '!': 'int', value: captured.headers.clock } });
  });

  it('sorts out junk, other tickets and answers', () => {
    const message = (body: string, headers: Record<string, unknown>, contentType = 'application/json'): InboundMessage => ({
      routingKey: 'k',
      body: Buffer.from(body),
      contentType,
      contentEncoding: 'utf-8',
      headers,
    });
    expect(parseReply(message('{"w@h": {"ok": "pong"}}', { ticket: 't1', clock: 4 }), 't1')).toEqual({ type: 'reply', hostname: 'w@h', result: { ok: 'pong' }, clock: 4 });
    expect(parseReply(message('{"w@h": {"ok": "pong"}}', { ticket: 't0' }), 't1')).toEqual({ type: 'other-ticket', ticket: 't0' });
    expect(parseReply(message('{"w@h": 1}', {}), 't1')).toMatchObject({ type: 'malformed', reason: 'no ticket header' });
    expect(parseReply(message('not json', { ticket: 't1' }), 't1')).toMatchObject({ type: 'malformed', reason: expect.stringMatching(/not JSON/) });
    expect(parseReply(message('{}', { ticket: 't1' }), 't1')).toMatchObject({ type: 'malformed', reason: expect.stringMatching(/0 hostnames/) });
    expect(parseReply(message('[]', { ticket: 't1' }), 't1')).toMatchObject({ type: 'malformed' });
    expect(parseReply(message('{"w@h": 1}', { ticket: 't1' }, 'application/x-python-serialize'), 't1')).toMatchObject({ type: 'malformed', reason: expect.stringMatching(/content type/) });
  });
});
