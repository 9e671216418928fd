/**
 * The demo's broker: the one --broker or BROKER_URL names, else RabbitMQ on
 * this machine when it answers, else Redis on this machine. Beat, the
 * camera and the worker each connect to it on their own; the demo itself
 * only keeps a queue of its own there, so no other consumer's messages are
 * taken, and removes it at the end.
 */
import { randomBytes } from 'node:crypto';
import { connectBroker, type BrokerLog } from '../broker/amqp/connect.js';
import { BrokerError, messageOf, type BrokerFault } from '../broker/errors.js';
import { probeBroker } from '../broker/probe.js';
import { connectRedis } from '../broker/redis/connect.js';
import { redactUrl, transportOf } from '../broker/url.js';

export const RABBITMQ_URL = 'amqp://guest:guest@127.0.0.1:5672//';
export const REDIS_URL = 'redis://127.0.0.1:6379/0';

export interface ChosenBroker {
  readonly url: string;
  /** What the demo says about its choice. */
  readonly reason: string;
}

// Faults that mean no broker is there at all (rather than one that is there and refuses).
const ABSENT: ReadonlySet<BrokerFault['kind']> = new Set(['unreachable', 'timeout', 'host-not-found']);

/**
 * RabbitMQ when it answers at `candidates.rabbitmq`, else Redis when it
 * answers at `candidates.redis`. A RabbitMQ that answers and refuses is
 * its BrokerError (the user meant it), and so is a Redis that refuses;
 * neither there is one BrokerError that names both. `trying` hears each
 * URL before it is tried, to explain a failure with it.
 */
export async function chooseBroker(
  candidates: { rabbitmq: string; redis: string } = { rabbitmq: RABBITMQ_URL, redis: REDIS_URL },
  trying: (url: string) => void = () => {},
): Promise<ChosenBroker> {
  trying(candidates.rabbitmq);
  const rabbitmq = await absence(candidates.rabbitmq);
  if (rabbitmq === undefined) return { url: candidates.rabbitmq, reason: "the demo's default: RabbitMQ answers" };
  trying(candidates.redis);
  const redis = await absence(candidates.redis);
  if (redis === undefined) {
    return { url: candidates.redis, reason: `the demo's default when RabbitMQ does not answer at ${redactUrl(candidates.rabbitmq)}: ${rabbitmq}` };
  }
  throw new BrokerError(
    'E_BROKER_CONNECT',
    `no broker: neither RabbitMQ at ${redactUrl(candidates.rabbitmq)} (${rabbitmq}) nor Redis at ${redactUrl(candidates.redis)} (${redis}) answers: ` +
      'start one (rabbitmq-server -detached, or redis-server), or name yours with --broker URL',
  );
}

/** Why nothing answers at `url`; undefined when a broker does. Anything but its absence is thrown. */
async function absence(url: string): Promise<string | undefined> {
  try {
    await probeBroker(url, 1500);
    return undefined;
  } catch (error) {
    if (error instanceof BrokerError && error.fault !== undefined && ABSENT.has(error.fault.kind)) return error.fault.detail;
    throw error;
  }
}

export interface DemoQueue {
  readonly name: string;
  /** Removes the queue, and on Redis its priority lists and binding, then closes the connection. */
  remove(): Promise<void>;
}

/**
 * A queue of the demo's own: declared on RabbitMQ (the worker consumes it,
 * beat's publisher routes to it); on Redis a list that exists once a task
 * is pushed, so there it is only removed.
 */
export async function openDemoQueue(url: string, log: BrokerLog): Promise<DemoQueue> {
  const name = `prisma-celery-demo-${randomBytes(3).toString('hex')}`;
  if (transportOf(url) === 'amqp') {
    const connection = await connectBroker(url, { timeoutMs: 5000, log });
    const channel = await connection.createChannel();
    await channel.assertQueue(name, { durable: true, autoDelete: false });
    return {
      name,
      async remove() {
        try {
          await channel.deleteQueue(name);
        } finally {
          await connection.close();
        }
      },
    };
  }
  const client = await connectRedis(url, { name: 'prisma-celery demo', timeoutMs: 5000, log });
  return {
    name,
    async remove() {
      try {
        // The random name is in every key kombu makes for the queue: its lists and its exchange's bindings.
        const keys: string[] = [];
        for await (const found of client.scanStream({ match: `*${name}*` }) as AsyncIterable<string[]>) keys.push(...found);
        if (keys.length > 0) await client.del(...keys);
      } finally {
        await client.quit().catch((error: unknown) => log('warn', `closing the demo's Redis connection failed: ${messageOf(error)}`));
      }
    },
  };
}
