import { describe, expect, it } from 'vitest';
import { TaskPublisher } from '../../src/broker/amqp/task-publisher.js';
import { createTaskPublisher } from '../../src/broker/publisher.js';
import { RedisTaskPublisher } from '../../src/broker/redis/task-publisher.js';
import { ConfigError } from '../../src/errors.js';

describe('createTaskPublisher', () => {
  it('picks the publisher by the URL scheme, without connecting', () => {
    expect(createTaskPublisher('amqp://guest:guest@127.0.0.1:1//')).toBeInstanceOf(TaskPublisher);
    expect(createTaskPublisher('amqps://broker.example/vhost')).toBeInstanceOf(TaskPublisher);
    expect(createTaskPublisher('redis://127.0.0.1:1/3')).toBeInstanceOf(RedisTaskPublisher);
    expect(createTaskPublisher('rediss://cache.example:6380/0')).toBeInstanceOf(RedisTaskPublisher);
    expect(createTaskPublisher('redis+socket:///run/redis.sock')).toBeInstanceOf(RedisTaskPublisher);
  });

  it('says what is wrong with a URL or an option that does not fit the broker', () => {
    expect(() => createTaskPublisher('http://127.0.0.1/')).toThrow(ConfigError);
    expect(() => createTaskPublisher('http://127.0.0.1/')).toThrow('use amqp://, amqps://, redis://, rediss:// or redis+socket://');
    expect(() => createTaskPublisher('redis://127.0.0.1/0', { heartbeat: 30 })).toThrow('heartbeat applies to amqp:// brokers; a Redis connection has none');
    expect(() => createTaskPublisher('redis://127.0.0.1/0', { maxAttempts: 0 })).toThrow('maxAttempts must be between 1 and 20 (got 0)');
  });

  it('a Redis publisher refuses to publish before start()', async () => {
    const publisher = createTaskPublisher('redis://127.0.0.1:1/0');
    const message = { id: 't', properties: { headers: { task: 'tasks.add' } } } as Parameters<typeof publisher.publish>[0];
    await expect(publisher.publish(message)).rejects.toMatchObject({ code: 'E_PUBLISHER_STATE', message: 'cannot publish task t: call start() first' });
    await publisher.close();
    await expect(publisher.start()).rejects.toMatchObject({ code: 'E_PUBLISHER_STATE' });
  });
});
