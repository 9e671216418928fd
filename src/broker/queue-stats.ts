// How many messages wait in each queue, and how many consumers read it, on
// the broker of a URL: RabbitMQ by a passive declare of each queue, Redis by
// the lengths of each queue's priority lists.
import type { BrokerLog } from './log.js';
import { AmqpQueueStats } from './amqp/queue-stats.js';
import { RedisQueueStats } from './redis/queue-stats.js';
import { transportOf, type Transport } from './url.js';

export interface QueueDepth {
  readonly queue: string;
  /** Messages ready in the queue; null when the broker has no such queue. */
  readonly messages: number | null;
  /** Consumers reading it; null when the transport cannot tell (Redis) or the queue does not exist. */
  readonly consumers: number | null;
  /**
   * Whether the broker has the queue: RabbitMQ says; on Redis (null) a queue
   * is only its lists, which exist while they hold messages.
   */
  readonly declared: boolean | null;
}

export interface QueueStats extends AsyncDisposable {
  readonly transport: Transport;
  /**
   * The depth of each queue, in the order given. Connects on the first call
   * and reconnects after a lost connection; a broker it cannot reach is a
   * BrokerError (E_BROKER_CONNECT).
   */
  depths(queues: readonly string[]): Promise<QueueDepth[]>;
  close(): Promise<void>;
}

export interface QueueStatsOptions {
  /** Connection trouble after the first connect. Default: warnings and errors to the console. */
  log?: BrokerLog;
  /** Milliseconds a connection may take to open. Default 5000. */
  timeoutMs?: number;
}

/** Queue stats for `url` (amqp://… or redis://…), not yet connected; a ConfigError for a URL that names no broker. */
export function createQueueStats(url: string, options: QueueStatsOptions = {}): QueueStats {
  return transportOf(url) === 'amqp' ? new AmqpQueueStats(url, options) : new RedisQueueStats(url, options);
}
