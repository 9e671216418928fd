/**
 * The JSON envelope kombu's virtual transports (Redis) wrap every message
 * in, whether it goes to a queue's list or a PUB/SUB channel:
 *
 *   {"body": <base64>, "content-encoding": …, "content-type": …,
 *    "headers": {…}, "properties": {<producer's properties>…,
 *    "delivery_info": {"exchange": …, "routing_key": …}, "priority": n,
 *    "body_encoding": "base64", "delivery_tag": <uuid>}}
 *
 * written with Python's json.dumps defaults, so the bytes equal what a
 * Python producer writes (tests/fixtures/celery-5.2.6-redis). Pure.
 */
import { ProtocolError } from '../../core/protocol/errors.js';
import type { JsonObject, JsonValue } from '../../core/protocol/json-value.js';
import { pythonJsonDumps } from '../../core/protocol/python-json.js';

export interface EnvelopeInput {
  body: Buffer;
  contentType: string;
  contentEncoding: string;
  headers: JsonObject;
  /** The producer's own properties, in the order it sets them (correlation_id, reply_to, delivery_mode, expiration, …). */
  properties: JsonObject;
  priority: number;
  exchange: string;
  routingKey: string;
  /** kombu draws a uuid4 per message. */
  deliveryTag: string;
}

export function encodeEnvelope(input: EnvelopeInput): string {
  const envelope: JsonObject = {
    body: input.body.toString('base64'),
    'content-encoding': input.contentEncoding,
    'content-type': input.contentType,
    headers: input.headers,
    properties: {
      ...input.properties,
      delivery_info: { exchange: input.exchange, routing_key: input.routingKey },
      priority: input.priority,
      body_encoding: 'base64',
      delivery_tag: input.deliveryTag,
    },
  };
  return pythonJsonDumps(envelope);
}

export interface Envelope {
  body: Buffer;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  headers: JsonObject;
  properties: JsonObject;
  exchange: string | undefined;
  routingKey: string | undefined;
}

/** Reads an envelope; a ProtocolError saying what is wrong when it is not one. */
export function decodeEnvelope(raw: string | Buffer): Envelope {
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8')) as JsonValue;
  } catch (cause) {
    throw new ProtocolError('the Redis message is not JSON (not a kombu envelope)', { cause });
  }
  if (!isObject(parsed)) throw new ProtocolError('the Redis message is not a JSON object (not a kombu envelope)');
  const properties = isObject(parsed.properties) ? parsed.properties : {};
  const encoding = properties.body_encoding;
  const body = parsed.body;
  if (typeof body !== 'string') throw new ProtocolError('the kombu envelope has no string body');
  if (encoding !== undefined && encoding !== 'base64') throw new ProtocolError(`the kombu envelope's body_encoding "${String(encoding)}" is not base64`);
  const info = isObject(properties.delivery_info) ? properties.delivery_info : {};
  return {
    body: encoding === 'base64' ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
    contentType: textOr(parsed['content-type']),
    contentEncoding: textOr(parsed['content-encoding']),
    headers: isObject(parsed.headers) ? parsed.headers : {},
    properties,
    exchange: textOr(info.exchange),
    routingKey: textOr(info.routing_key),
  };
}

const isObject = (value: JsonValue | undefined): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const textOr = (value: JsonValue | undefined): string | undefined => (typeof value === 'string' ? value : undefined);
