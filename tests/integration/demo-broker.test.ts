// How the demo picks its broker when none is named: RabbitMQ when it
// answers, else Redis, else one line naming both; a broker that answers
// and refuses is not passed over. Against the real servers, with a free
// port standing in for a server that is not there.
import { expect, it } from 'vitest';
import { chooseBroker } from '../../src/demo/broker.js';
import { describeWithBroker, testBrokerUrl } from '../support/broker.js';
import { freePort } from '../support/free-port.js';
import { claimRedisDb, describeWithRedis } from '../support/redis.js';

describeWithBroker('the demo with RabbitMQ answering', () => {
  it('takes RabbitMQ', async () => {
    const tried: string[] = [];
    const chosen = await chooseBroker({ rabbitmq: testBrokerUrl(), redis: 'redis://127.0.0.1:1/0' }, (url) => tried.push(url));
    expect(chosen).toEqual({ url: testBrokerUrl(), reason: "the demo's default: RabbitMQ answers" });
    expect(tried).toEqual([testBrokerUrl()]);
  });

  it('does not pass over a RabbitMQ that refuses the login', async () => {
    const url = new URL(testBrokerUrl());
    url.password = 'not-the-password';
    await expect(chooseBroker({ rabbitmq: url.toString(), redis: 'redis://127.0.0.1:1/0' })).rejects.toMatchObject({ fault: { kind: 'access-denied' } });
  });
});

describeWithRedis('the demo without RabbitMQ', () => {
  it('takes Redis, and says why', async () => {
    await using redis = await claimRedisDb();
    const port = await freePort();
    const chosen = await chooseBroker({ rabbitmq: `amqp://guest:guest@127.0.0.1:${port}//`, redis: redis.url });
    expect(chosen).toEqual({
      url: redis.url,
      reason: `the demo's default when RabbitMQ does not answer at amqp://guest:***@127.0.0.1:${port}//: connect ECONNREFUSED 127.0.0.1:${port}`,
    });
  });

  it('names both when neither answers', async () => {
    const [amqp, redis] = [await freePort(), await freePort()];
    await expect(chooseBroker({ rabbitmq: `amqp://127.0.0.1:${amqp}//`, redis: `redis://127.0.0.1:${redis}/0` })).rejects.toThrow(
      `no broker: neither RabbitMQ at amqp://127.0.0.1:${amqp}// (connect ECONNREFUSED 127.0.0.1:${amqp}) nor Redis at redis://127.0.0.1:${redis}/0 ` +
        `(connect ECONNREFUSED 127.0.0.1:${redis}) answers: start one (rabbitmq-server -detached, or redis-server), or name yours with --broker URL`,
    );
  });
});
