/**
 * How the worker takes messages through celery-node's own broker
 * connection, per transport. celery-node 0.5.9 acks a message on receipt
 * and takes as many as the broker gives; here it is held to Celery's
 * behaviour instead:
 *
 * - AMQP: the channel gets a prefetch count, and the ack celery-node makes
 *   just before handing a message over is kept until the task starts (or
 *   is skipped), so reserved tasks go back to the queue when the worker
 *   dies or stops.
 * - Redis: the receive loop waits for room in the pool before its next
 *   BRPOP, which covers every queue's priority lists at once, in kombu's
 *   order; the queues' bindings are declared as kombu declares them.
 */
import { within } from '../broker/send-policy.js';
import { bindingKey, priorityList, PRIORITY_STEPS, queueBinding } from '../broker/redis/routing.js';
import type { AmqpRawMessage, NodeWorker } from './celery-node.js';
import type { DeliveryInfo, TaskPool } from './pool.js';

/** What a message handed over by celery-node needs: its ack (done when the task starts) and how it came. */
export interface Receipt {
  readonly ack: () => void;
  readonly delivery: DeliveryInfo;
}

/** A celery-node message, as far as a receipt reads it. */
export interface NodeMessage {
  readonly headers?: unknown;
  readonly properties?: Record<string, unknown>;
}

export interface Consumer {
  start(onMessage: (message: unknown) => unknown): Promise<void>;
  receipt(message: NodeMessage): Receipt;
  /** Stops taking messages around `drain` (which empties the pool), in the order the transport needs. */
  stop(drain: (dropReserved: boolean) => Promise<void>): Promise<void>;
}

export interface ConsumerOptions {
  queues: readonly string[];
  pool: TaskPool;
  /** The connection is gone for good (celery-node does not reconnect). */
  onLost: (error: Error | undefined) => void;
}

/**
 * Seconds each BRPOP waits: kombu's. celery-node's own 5 s made every stop
 * wait up to 5 s, its QUIT queued behind the BRPOP under way.
 */
const BRPOP_SECONDS = '1';
/** Longer than the BRPOP wait, after which the receive loop sees it is closing. */
const REDIS_LOOP_END_MS = 3_000;
/** How long closing a dropped AMQP connection may take before the worker stops waiting for it. */
const AMQP_CLOSE_MS = 3_000;

export function createConsumer(node: NodeWorker, transport: 'amqp' | 'redis', options: ConsumerOptions): Consumer {
  return transport === 'amqp' ? new AmqpConsumer(node, options) : new RedisConsumer(node, options);
}

class AmqpConsumer implements Consumer {
  private unacked: AmqpRawMessage | null = null;
  private ackRaw: ((raw: AmqpRawMessage) => void) | null = null;
  // A loss is reported only while consuming: during start() it is start()'s error.
  private consuming = false;

  constructor(
    private readonly node: NodeWorker,
    private readonly options: ConsumerOptions,
  ) {}

  async start(onMessage: (message: unknown) => unknown): Promise<void> {
    const broker = this.node.broker;
    const channel = await (broker.channel as NonNullable<typeof broker.channel>);
    const connection = await (broker.connect as NonNullable<typeof broker.connect>);
    connection.on('error', () => {});
    connection.on('close', (error) => {
      if (this.consuming) this.options.onLost(error);
    });
    await channel.prefetch(this.options.pool.prefetch);
    this.ackRaw = channel.ack.bind(channel);
    channel.ack = (raw) => {
      this.unacked = raw;
    };
    for (const queue of this.options.queues) await broker.subscribe(queue, onMessage);
    this.consuming = true;
  }

  receipt(message: NodeMessage): Receipt {
    const raw = this.unacked;
    this.unacked = null;
    const ackRaw = this.ackRaw;
    // The kept ack is this message's when it carries the very headers object amqplib gave celery-node.
    if (raw === null || ackRaw === null || raw.properties.headers !== message.headers) return { ack: () => {}, delivery: unknownDelivery };
    return {
      ack: () => {
        try {
          ackRaw(raw);
        } catch {
          // The channel is gone: the broker requeues the message itself.
        }
      },
      delivery: { exchange: raw.fields.exchange, routing_key: raw.fields.routingKey, priority: raw.properties.priority ?? null, redelivered: raw.fields.redelivered },
    };
  }

  async stop(drain: (dropReserved: boolean) => Promise<void>): Promise<void> {
    this.consuming = false;
    await drain(true);
    // After the running tasks were acked: closing requeues the reserved ones.
    // A connection the broker already dropped may never finish closing.
    await within(this.node.broker.disconnect().catch(() => {}), AMQP_CLOSE_MS);
  }
}

class RedisConsumer implements Consumer {
  private stopping = false;
  private consuming: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly node: NodeWorker,
    private readonly options: ConsumerOptions,
  ) {}

  async start(onMessage: (message: unknown) => unknown): Promise<void> {
    const broker = this.node.broker;
    const { queues, pool } = this.options;
    const redis = broker.redis as NonNullable<typeof broker.redis>;
    redis.on('error', (error) => {
      if (!this.stopping) this.options.onLost(error);
    });
    // The binding a publisher to exchange <queue> looks up.
    for (const queue of queues) {
      const { exchange, member } = queueBinding(queue);
      await redis.sadd(bindingKey(exchange), member);
    }
    const brpop = redis.brpop.bind(redis);
    redis.brpop = (lists) => brpop(lists, BRPOP_SECONDS);
    const receiveOne = (broker.receiveOne as NonNullable<typeof broker.receiveOne>).bind(broker);
    broker.receiveOne = async (lists) => {
      await pool.room();
      return this.stopping ? null : receiveOne(lists);
    };
    // ioredis spreads the array: BRPOP list… 1.
    const lists = PRIORITY_STEPS.flatMap((step) => queues.map((queue) => priorityList(queue, step)));
    this.consuming = broker.subscribe(lists, onMessage);
  }

  receipt(message: NodeMessage): Receipt {
    // Off its list already: nothing to ack.
    return { ack: () => {}, delivery: redisDelivery(message.properties) };
  }

  async stop(drain: (dropReserved: boolean) => Promise<void>): Promise<void> {
    this.stopping = true;
    const closed = this.node.broker.disconnect().catch(() => {});
    // What celery-node took off its lists exists nowhere else: it runs first.
    await drain(false);
    // The loop ends within its BRPOP wait, or never once the server is gone: then the socket is dropped.
    if (!(await within(Promise.all([closed, this.consuming.catch(() => {})]), REDIS_LOOP_END_MS))) this.node.broker.redis?.disconnect();
  }
}

const unknownDelivery: DeliveryInfo = { exchange: '', routing_key: '', priority: null, redelivered: false };

/** A Redis message's delivery_info, as kombu put it in the envelope's properties. */
function redisDelivery(properties: Record<string, unknown> | undefined): DeliveryInfo {
  const info = (properties?.delivery_info ?? {}) as { exchange?: unknown; routing_key?: unknown };
  return {
    exchange: typeof info.exchange === 'string' ? info.exchange : '',
    routing_key: typeof info.routing_key === 'string' ? info.routing_key : '',
    priority: typeof properties?.priority === 'number' ? properties.priority : null,
    redelivered: false,
  };
}
