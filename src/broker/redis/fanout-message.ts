/**
 * Broadcast messages in and out of kombu's JSON envelope on Redis: what a
 * producer's properties become (delivery_mode; the priority and
 * delivery_info kombu adds), typed AMQP headers as plain numbers, and the
 * routing key read back from delivery_info. Pure.
 */
import type { JsonObject } from '../../core/protocol/json-value.js';
import type { HeaderValue, InboundMessage, OutboundMessage } from '../fanout.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';

/** The text PUBLISHed for `message`; `deliveryTag` is kombu's per-message uuid4. */
export function fanoutEnvelope(message: OutboundMessage, deliveryTag: string): string {
  const headers: JsonObject = {};
  for (const [name, value] of Object.entries(message.headers)) headers[name] = plainHeader(value);
  return encodeEnvelope({
    body: message.body,
    contentType: message.contentType,
    contentEncoding: message.contentEncoding,
    headers,
    properties: { delivery_mode: message.deliveryMode },
    priority: message.priority,
    exchange: message.exchange,
    routingKey: message.routingKey,
    deliveryTag,
  });
}

/** A PUBLISHed envelope as a message; a ProtocolError when it is not one. `fallbackRoutingKey` serves an envelope without delivery_info. */
export function inboundOf(raw: Buffer | string, fallbackRoutingKey: string): InboundMessage {
  const envelope = decodeEnvelope(raw);
  return {
    routingKey: envelope.routingKey ?? fallbackRoutingKey,
    body: envelope.body,
    contentType: envelope.contentType,
    contentEncoding: envelope.contentEncoding,
    headers: envelope.headers,
  };
}

function plainHeader(value: HeaderValue): string | number | boolean | null {
  return value !== null && typeof value === 'object' ? value.value : value;
}
