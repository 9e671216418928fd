/**
 * Celery's remote control protocol (kombu's pidbox), as Celery 5.2.6 speaks
 * it: requests broadcast on the `celery.pidbox` fanout, answers published to
 * the `reply.celery.pidbox` direct exchange under the routing key the
 * request names in `reply_to` (the sender's mailbox id, one per client) and
 * matched to their request by the `ticket` header. Wire format from
 * tests/fixtures/celery-5.2.6/control-*.json and
 * celery-5.2.6-redis/control-*.json. Pure: the bytes in and out, the
 * commands and their arguments.
 */
import type { ExchangeSpec, InboundMessage, OutboundMessage } from '../broker/fanout.js';
import { ProtocolError } from '../core/protocol/errors.js';
import { assertJsonValue, type JsonObject, type JsonValue } from '../core/protocol/json-value.js';
import { pythonJsonDumps } from '../core/protocol/python-json.js';

/** As kombu's Mailbox declares it: fanout, not durable, not auto-delete. A mismatch closes the channel. */
export const PIDBOX_EXCHANGE: ExchangeSpec = { name: 'celery.pidbox', type: 'fanout', durable: false, autoDelete: false };

/** Where workers answer; direct, declared alike by both sides. */
export const REPLY_EXCHANGE: ExchangeSpec = { name: 'reply.celery.pidbox', type: 'direct', durable: false, autoDelete: false };

/** Celery's control_queue_ttl (300 s) and control_queue_expires (10 s), which its reply queue carries too. */
export const REPLY_QUEUE_TTL_MS = 300_000;
export const REPLY_QUEUE_EXPIRES_MS = 10_000;

/** The reply queue of a client whose mailbox id is `oid`: kombu's Mailbox.get_reply_queue, bound with `oid`. */
export function replyQueueName(oid: string): string {
  return `${oid}.${REPLY_EXCHANGE.name}`;
}

/** A command as broadcast: the worker-side handler's name and its keyword arguments. */
export interface ControlCommand {
  method: string;
  arguments: JsonObject;
  /** False for commands a worker never answers (shutdown exits before replying). */
  expectsReply: boolean;
}

export interface RevokeOptions {
  /** Also kill the pool process running the task. */
  terminate?: boolean;
  /** The signal a terminate sends; default SIGTERM, as Celery's. */
  signal?: string;
}

export interface AddConsumerOptions {
  exchange?: string;
  exchangeType?: string;
  routingKey?: string;
}

/** The commands Control sends, with the argument shapes celery/app/control.py gives them. */
export const commands = {
  /** One id goes as a string, as `app.control.revoke(id)` sends it; workers take either. */
  revoke: (ids: readonly string[], options: RevokeOptions = {}): ControlCommand =>
    call('revoke', { task_id: ids.length === 1 ? (ids[0] as string) : [...ids], terminate: options.terminate ?? false, signal: options.signal ?? 'SIGTERM' }),
  enableEvents: (): ControlCommand => call('enable_events', {}),
  disableEvents: (): ControlCommand => call('disable_events', {}),
  /** `rate`: tasks per second, or `'10/m'`-style; null lifts the limit. */
  rateLimit: (task: string, rate: string | number | null): ControlCommand => call('rate_limit', { task_name: task, rate_limit: rate }),
  /** Seconds; null leaves that limit unset. */
  timeLimit: (task: string, limits: { soft?: number | null; hard?: number | null }): ControlCommand =>
    call('time_limit', { task_name: task, hard: limits.hard ?? null, soft: limits.soft ?? null }),
  poolGrow: (n = 1): ControlCommand => call('pool_grow', { n }),
  poolShrink: (n = 1): ControlCommand => call('pool_shrink', { n }),
  autoscale: (max: number, min: number): ControlCommand => call('autoscale', { max, min }),
  addConsumer: (queue: string, options: AddConsumerOptions = {}): ControlCommand =>
    call('add_consumer', {
      queue,
      exchange: options.exchange ?? null,
      exchange_type: options.exchangeType ?? 'direct',
      routing_key: options.routingKey ?? null,
    }),
  cancelConsumer: (queue: string): ControlCommand => call('cancel_consumer', { queue }),
  shutdown: (): ControlCommand => ({ method: 'shutdown', arguments: {}, expectsReply: false }),
  ping: (): ControlCommand => call('ping', {}),
  active: (): ControlCommand => call('active', { safe: null }),
  reserved: (): ControlCommand => call('reserved', {}),
  scheduled: (): ControlCommand => call('scheduled', {}),
  /** `taskinfoitems`: task attributes shown after each name, e.g. `['rate_limit']` → `tasks.add [rate_limit=10/m]`. */
  registered: (taskinfoitems: readonly string[] = []): ControlCommand => call('registered', { taskinfoitems: [...taskinfoitems] }),
  stats: (): ControlCommand => call('stats', {}),
  activeQueues: (): ControlCommand => call('active_queues', {}),
  queryTask: (ids: readonly string[]): ControlCommand => call('query_task', { ids: [...ids] }),
  revoked: (): ControlCommand => call('revoked', {}),
  conf: (withDefaults = false): ControlCommand => call('conf', { with_defaults: withDefaults }),
} as const;

function call(method: string, args: JsonObject): ControlCommand {
  assertJsonValue(args, `${method} arguments`);
  return { method, arguments: args, expectsReply: true };
}

export interface RequestOptions {
  /** Hostnames (`celery@host`) that act on it; null or empty: every worker. */
  destination?: readonly string[] | null;
  /** Set when answers are awaited: the request's ticket and the sender's mailbox id (its reply routing key). */
  reply?: { ticket: string; oid: string } | null;
  /** The sender's Lamport clock, already forwarded. */
  clock: number;
  /** Workers ignore the request after now + timeout. */
  nowMs: number;
  timeoutMs: number;
}

/** The broadcast for `command`, byte for byte what kombu's Mailbox._publish sends. */
export function requestMessage(command: ControlCommand, options: RequestOptions): OutboundMessage {
  const destination = options.destination && options.destination.length > 0 ? [...options.destination] : null;
  const body: JsonObject = { method: command.method, arguments: command.arguments, destination, pattern: null, matcher: null };
  if (options.reply) {
    body.ticket = options.reply.ticket;
    body.reply_to = { exchange: REPLY_EXCHANGE.name, routing_key: options.reply.oid };
  }
  return {
    exchange: PIDBOX_EXCHANGE.name,
    routingKey: '',
    body: Buffer.from(pythonJsonDumps(body)),
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    priority: 0,
    headers: {
      // Typed, as Python sends them: amqplib would encode a small int as a byte py-amqp misreads.
      clock: { '!': 'int', value: options.clock },
      expires: { '!': 'double', value: (options.nowMs + options.timeoutMs) / 1000 },
    },
  };
}

/** A request as a worker reads it. */
export interface ControlRequest {
  method: string;
  arguments: JsonObject;
  destination: string[] | null;
  /** Present when the sender waits for answers. */
  reply: { ticket: string; exchange: string; routingKey: string } | null;
  clock: number;
  /** Epoch ms after which the request is stale; null when the sender set none. */
  expiresMs: number | null;
}

/** Reads a broadcast on `celery.pidbox`; a ProtocolError when it is not a control request. */
export function parseRequest(message: InboundMessage): ControlRequest {
  const body = jsonBody(message, 'control request');
  if (typeof body.method !== 'string' || body.method === '') throw new ProtocolError('control request: no method');
  const args = body.arguments ?? {};
  if (!isObject(args)) throw new ProtocolError('control request: arguments is not an object');
  const destination = body.destination ?? null;
  if (destination !== null && !(Array.isArray(destination) && destination.every((h) => typeof h === 'string'))) {
    throw new ProtocolError('control request: destination is not a list of hostnames');
  }
  let reply: ControlRequest['reply'] = null;
  if (body.reply_to !== undefined && body.reply_to !== null) {
    const to = body.reply_to;
    if (!isObject(to) || typeof to.exchange !== 'string' || typeof to.routing_key !== 'string' || typeof body.ticket !== 'string') {
      throw new ProtocolError('control request: reply_to without exchange, routing_key and ticket');
    }
    reply = { ticket: body.ticket, exchange: to.exchange, routingKey: to.routing_key };
  }
  const expires = numberHeader(message.headers.expires);
  return {
    method: body.method,
    arguments: args,
    destination: destination === null || destination.length === 0 ? null : (destination as string[]),
    reply,
    clock: numberHeader(message.headers.clock) ?? 0,
    expiresMs: expires === null || expires === 0 ? null : expires * 1000,
  };
}

/** A worker's answer to `request` (kombu's Node.reply): `{hostname: result}` on the reply exchange. */
export function replyMessage(request: ControlRequest, hostname: string, result: JsonValue, clock: number): OutboundMessage {
  if (request.reply === null) throw new ProtocolError(`control request ${request.method} asks for no reply`);
  assertJsonValue(result, `${request.method} reply`);
  return {
    exchange: request.reply.exchange,
    routingKey: request.reply.routingKey,
    body: Buffer.from(pythonJsonDumps({ [hostname]: result })),
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    // kombu's reply exchange is declared delivery_mode transient.
    deliveryMode: 1,
    priority: 0,
    headers: { ticket: request.reply.ticket, clock: { '!': 'int', value: clock } },
    // On Redis the asker's reply queue is a list bound to the exchange, not a PUB/SUB channel.
    toQueues: true,
  };
}

/** An answer on the reply queue, sorted out. */
export type ParsedReply =
  /** For the ticket awaited: one worker's answer. */
  | { type: 'reply'; hostname: string; result: JsonValue; clock: number }
  /** A well-formed answer to another request of the same mailbox (an earlier one that timed out). */
  | { type: 'other-ticket'; ticket: string }
  /** Not an answer kombu would send: another client's junk on the exchange. */
  | { type: 'malformed'; reason: string };

/** Never throws: what arrives on a shared exchange may be anything. */
export function parseReply(message: InboundMessage, ticket: string): ParsedReply {
  const got = message.headers.ticket;
  if (typeof got !== 'string') return { type: 'malformed', reason: 'no ticket header' };
  let body: JsonObject;
  try {
    body = jsonBody(message, 'control reply');
  } catch (error) {
    return { type: 'malformed', reason: (error as Error).message };
  }
  const hosts = Object.keys(body);
  if (hosts.length !== 1) return { type: 'malformed', reason: `control reply: ${hosts.length} hostnames, expected 1` };
  if (got !== ticket) return { type: 'other-ticket', ticket: got };
  const hostname = hosts[0] as string;
  return { type: 'reply', hostname, result: body[hostname] as JsonValue, clock: numberHeader(message.headers.clock) ?? 0 };
}

/** The error a worker answered instead of a result (`{'error': repr(exc)}`: an unknown command, a handler that raised). */
export function replyError(result: JsonValue): string | null {
  return isObject(result) && Object.keys(result).length === 1 && typeof result.error === 'string' ? result.error : null;
}

function jsonBody(message: InboundMessage, what: string): JsonObject {
  const type = message.contentType ?? 'application/json';
  if (type !== 'application/json') throw new ProtocolError(`${what}: content type ${type}, expected application/json`);
  let body: unknown;
  try {
    body = JSON.parse(message.body.toString('utf8'));
  } catch {
    throw new ProtocolError(`${what}: the body is not JSON`);
  }
  if (!isObject(body)) throw new ProtocolError(`${what}: the body is not a JSON object`);
  return body;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A header number, plain (Redis, or decoded by amqplib) or in amqplib's typed form. */
function numberHeader(value: unknown): number | null {
  if (typeof value === 'number') return value;
  if (isObject(value) && typeof value.value === 'number') return value.value;
  return null;
}
