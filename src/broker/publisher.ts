// The task publisher for a broker URL: RabbitMQ (amqp://, amqps://) or
// Redis (redis://, rediss://, redis+socket://), by the URL's scheme.
import { ConfigError } from '../errors.js';
import type { TaskMessage } from '../core/protocol/task-message.js';
import { TaskPublisher } from './amqp/task-publisher.js';
import { RedisTaskPublisher } from './redis/task-publisher.js';
import type { PublishOptions } from './send-policy.js';
import { transportOf } from './url.js';

/**
 * What both publishers do: start() connects; publish() resolves once the
 * broker took the message (an AMQP confirm, a Redis reply) and rejects with
 * a BrokerError otherwise (E_PUBLISH_UNCONFIRMED after every attempt,
 * E_PUBLISH_REFUSED for what another attempt cannot cure); close() ends
 * within its closeTimeoutMs budget.
 */
export interface BrokerPublisher extends AsyncDisposable {
  start(): Promise<void>;
  publish(message: TaskMessage): Promise<void>;
  close(): Promise<void>;
}

export interface CreatePublisherOptions extends PublishOptions {
  /** AMQP heartbeat in seconds (amqp:// only). Default: the broker's suggestion. */
  heartbeat?: number;
}

/** A publisher for `url`, not started; a ConfigError for a URL that names no broker. */
export function createTaskPublisher(url: string, options: CreatePublisherOptions = {}): BrokerPublisher {
  if (transportOf(url) === 'amqp') return new TaskPublisher({ ...options, url });
  const { heartbeat, ...rest } = options;
  if (heartbeat !== undefined) throw new ConfigError('heartbeat applies to amqp:// brokers; a Redis connection has none');
  return new RedisTaskPublisher({ ...rest, url });
}
