import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from '../../src/broker/redis/envelope.js';

const input = {
  body: Buffer.from('[[2, 3], {"z": "\u00e9"}, {}]'),
  contentType: 'application/json',
  contentEncoding: 'utf-8',
  headers: { task: 'tasks.add', id: 't-1', retries: 0 },
  properties: { correlation_id: 't-1', reply_to: '', delivery_mode: 2 },
  priority: 0,
  exchange: '',
  routingKey: 'celery',
  deliveryTag: 'd-1',
};

describe('the kombu envelope', () => {
  it("is written as Python's json.dumps writes it: body in base64, delivery fields after the producer's properties", () => {
    expect(encodeEnvelope(input)).toBe(
      `{"body": "${input.body.toString('base64')}", "content-encoding": "utf-8", "content-type": "application/json", ` +
        '"headers": {"task": "tasks.add", "id": "t-1", "retries": 0}, ' +
        '"properties": {"correlation_id": "t-1", "reply_to": "", "delivery_mode": 2, ' +
        '"delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", "delivery_tag": "d-1"}}',
    );
  });

  it('reads back what it wrote', () => {
    const read = decodeEnvelope(encodeEnvelope(input));
    expect(read.body.equals(input.body)).toBe(true);
    expect(read).toMatchObject({ contentType: 'application/json', contentEncoding: 'utf-8', exchange: '', routingKey: 'celery', headers: input.headers });
    expect(read.properties).toMatchObject({ correlation_id: 't-1', delivery_tag: 'd-1', priority: 0 });
  });

  it('reads a body kombu did not encode', () => {
    const read = decodeEnvelope(Buffer.from('{"body": "{\\"a\\": 1}", "properties": {}}'));
    expect(read.body.toString()).toBe('{"a": 1}');
    expect(read.exchange).toBeUndefined();
  });

  it('says what is wrong with anything else', () => {
    expect(() => decodeEnvelope('hello')).toThrow('the Redis message is not JSON (not a kombu envelope)');
    expect(() => decodeEnvelope('[1]')).toThrow('the Redis message is not a JSON object (not a kombu envelope)');
    expect(() => decodeEnvelope('{"body": 3}')).toThrow('the kombu envelope has no string body');
    expect(() => decodeEnvelope('{"body": "x", "properties": {"body_encoding": "zlib"}}')).toThrow(
      'the kombu envelope\'s body_encoding "zlib" is not base64',
    );
  });
});
