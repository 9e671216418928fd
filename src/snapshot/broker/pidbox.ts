/**
 * The worker's side of kombu's pidbox (Celery remote control), as a Python
 * worker's Node handles it: a request broadcast on `celery.pidbox` names
 * its method, arguments and destination; one that carries `reply_to` and a
 * `ticket` is answered with `{<hostname>: <reply>}` on the direct exchange
 * `reply.celery.pidbox`, routed by reply_to's routing key, with the ticket
 * in the headers (the asker drops replies with another ticket). Requests
 * as in tests/fixtures/celery-5.2.6/control-messages.json. Pure.
 */
import type { ExchangeSpec, InboundMessage, OutboundMessage } from '../../broker/fanout.js';

/** As kombu's Mailbox declares it: direct, not durable, not auto-delete. A mismatch closes the channel. */
export const PIDBOX_REPLY_EXCHANGE: ExchangeSpec = { name: 'reply.celery.pidbox', type: 'direct', durable: false, autoDelete: false };

export interface ControlRequest {
  readonly method: string;
  readonly arguments: Readonly<Record<string, unknown>>;
  /** Where the answer goes; null for a cast (no answer wanted). */
  readonly replyTo: { readonly exchange: string; readonly routingKey: string } | null;
  readonly ticket: string | null;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The request in a pidbox message if it is addressed to `hostname` and not
 * expired; null otherwise. Throws on a body that is no request (the caller
 * reports it). Pattern addressing (`pattern` + `matcher`) is not followed:
 * such a request is taken as meant for other workers.
 */
export function controlRequestFor(message: InboundMessage, hostname: string, nowMs: number): ControlRequest | null {
  const body: unknown = JSON.parse(message.body.toString('utf8'));
  if (!isObject(body) || typeof body.method !== 'string') throw new Error('a pidbox message without a method');
  const expires = message.headers.expires;
  // kombu writes 0 for "never".
  if (typeof expires === 'number' && expires > 0 && expires * 1000 < nowMs) return null;
  const { destination, pattern, matcher } = body;
  if (Array.isArray(destination) && destination.length > 0) {
    if (!destination.includes(hostname)) return null;
  } else if (typeof pattern === 'string' && pattern !== '' && typeof matcher === 'string' && matcher !== '') {
    return null;
  }
  const replyTo = isObject(body.reply_to) && typeof body.reply_to.exchange === 'string' && typeof body.reply_to.routing_key === 'string'
    ? { exchange: body.reply_to.exchange, routingKey: body.reply_to.routing_key }
    : null;
  return {
    method: body.method,
    arguments: isObject(body.arguments) ? body.arguments : {},
    replyTo,
    ticket: typeof body.ticket === 'string' ? body.ticket : null,
  };
}

/** The answer to `request` (which must have replyTo); `clock` is the sender's Lamport clock. */
export function controlReply(request: ControlRequest, hostname: string, reply: unknown, clock: number): OutboundMessage {
  if (request.replyTo === null) throw new Error(`the ${request.method} request wants no reply`);
  return {
    exchange: request.replyTo.exchange,
    routingKey: request.replyTo.routingKey,
    body: Buffer.from(JSON.stringify({ [hostname]: reply })),
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    // kombu publishes replies transient.
    deliveryMode: 1,
    priority: 0,
    headers: { ticket: request.ticket, clock: { '!': 'int', value: clock } },
    toQueues: true,
  };
}
