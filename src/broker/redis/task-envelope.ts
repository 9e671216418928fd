/**
 * A built task message in kombu's Redis envelope, as Celery 5.2.6 writes it
 * (tests/fixtures/celery-5.2.6-redis): the producer's properties in the
 * order kombu's Producer sets them (correlation_id, reply_to,
 * delivery_mode, then expiration when the task expires), the headers as
 * plain JSON, and the priority 0 when the message has none. Pure.
 */
import { plainHeaders } from '../../core/protocol/header-values.js';
import type { JsonObject } from '../../core/protocol/json-value.js';
import type { TaskMessage } from '../../core/protocol/task-message.js';
import { encodeEnvelope } from './envelope.js';

/** The envelope text for `message`; `deliveryTag` is the uuid4 kombu draws per publish. */
export function taskEnvelope(message: TaskMessage, deliveryTag: string): string {
  const { properties } = message;
  const producerProperties: JsonObject = {
    correlation_id: properties.correlationId,
    reply_to: properties.replyTo,
    delivery_mode: properties.deliveryMode,
    ...(properties.expiration !== undefined && { expiration: properties.expiration }),
  };
  return encodeEnvelope({
    body: message.content,
    contentType: properties.contentType,
    contentEncoding: properties.contentEncoding,
    headers: plainHeaders(properties.headers),
    properties: producerProperties,
    priority: properties.priority ?? 0,
    exchange: message.exchange,
    routingKey: message.routingKey,
    deliveryTag,
  });
}
