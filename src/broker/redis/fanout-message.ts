/**
 * Broadcast messages in and out of kombu's JSON envelope on Redis: what a
 * producer's properties become (delivery_mode; the priority and
 * delivery_info kombu adds), typed AMQP headers as plain numbers, and the
 * routing key read back from delivery_info. Pure.
 */
import { plainHeaders } from '../../core/protocol/header-values.js';
import type { InboundMessage, OutboundMessage } from '../fanout.js';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';

/** The text PUBLISHed for `message`; `deliveryTag` is kombu's per-message uuid4. */
export function fanoutEnvelope(message: OutboundMessage, deliveryTag: string): string {
  return encodeEnvelope({
    body: message.body,
    contentType: message.contentType,
    contentEncoding: message.contentEncoding,
    headers: plainHeaders(message.headers),
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

