import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { ProtocolError } from '../../core/protocol/errors.js';
import type { TaskMessage } from '../../core/protocol/task-message.js';
import { BrokerError, messageOf } from '../errors.js';
import { PublisherLife } from '../publisher-life.js';
import { pauseBeforeRetry, publishSettings, sendWithin, SendTimeout, within, type PublishOptions, type PublishSettings } from '../send-policy.js';
import { redactUrl } from '../url.js';
import { connectRedis } from './connect.js';
import { bindingKey, parseBindingMember, priorityList, queueBinding, queuesFor, type Binding } from './routing.js';
import { taskEnvelope } from './task-envelope.js';

export interface RedisTaskPublisherOptions extends PublishOptions {
  /** redis://, rediss:// or redis+socket:// URL, as Celery's broker_url. */
  url: string;
  /** The connection's name in CLIENT LIST. */
  name?: string;
}

// Redis error replies that the same message would get again.
const REFUSALS = /^(WRONGTYPE|NOPERM) /;

/**
 * Publishes task messages to Redis as kombu 5.2's Redis transport does:
 * the envelope is LPUSHed onto the list of each queue the exchange routes
 * to (the priority step's list), and before the first message for a queue
 * on a connection its binding is added (SADD), as Celery declares it.
 * publish() resolves once Redis has answered every command; a lost
 * connection, an error reply or no reply within confirmTimeoutMs is
 * retried with backoff, and after the last attempt publish() rejects with
 * E_PUBLISH_UNCONFIRMED (a push that got no answer may still have been
 * stored, so delivery is at least once).
 *
 * One difference from kombu, on purpose: a message for an exchange with no
 * bound queue matching its routing key is refused (E_PUBLISH_REFUSED)
 * where kombu drops it without a word (or moves it to its
 * deadletter_queue when one is configured). All pushes of one message go
 * in one MULTI transaction. No I/O happens before start().
 */
export class RedisTaskPublisher implements AsyncDisposable {
  private readonly settings: PublishSettings;
  private readonly url: string;
  private readonly name: string | undefined;
  private readonly life = new PublisherLife();
  private client: Redis | null = null;
  /** Queues whose binding this connection has added; Redis keeps it, a new connection adds it again (as kombu does). */
  private readonly declared = new Set<string>();

  constructor(options: RedisTaskPublisherOptions) {
    this.settings = publishSettings(options);
    this.url = options.url;
    this.name = options.name;
  }

  /** Connects and waits until Redis is ready (E_BROKER_CONNECT when it cannot). */
  async start(): Promise<void> {
    this.life.beginStart();
    let client: Redis;
    try {
      client = await connectRedis(this.url, { name: this.name, timeoutMs: this.settings.confirmTimeoutMs, log: this.settings.log });
    } catch (error) {
      this.life.startFailed();
      throw error;
    }
    if (this.life.closed) {
      client.disconnect();
      throw new BrokerError('E_PUBLISHER_STATE', 'the publisher was closed while connecting');
    }
    client.on('close', () => this.declared.clear());
    this.client = client;
    this.life.started();
  }

  /** Resolves once Redis has stored the message; see the class comment for failures. */
  publish(message: TaskMessage): Promise<void> {
    return this.life.track(message, () => this.send(message));
  }

  /**
   * Stops retries and waits up to closeTimeoutMs for sends under way (those
   * still unanswered then reject with E_PUBLISH_UNCONFIRMED), then QUITs,
   * waiting as long again before dropping the socket: within twice
   * closeTimeoutMs whatever Redis does.
   */
  async close(): Promise<void> {
    const { closeTimeoutMs } = this.settings;
    if (!(await this.life.close(closeTimeoutMs))) return;
    const client = this.client;
    this.client = null;
    if (client) {
      await within(client.quit().catch(() => {}), closeTimeoutMs);
      client.disconnect();
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async send(message: TaskMessage): Promise<void> {
    const { maxAttempts, log } = this.settings;
    const label = `task ${message.id} (${message.properties.headers.task})`;
    let lastError: unknown;
    let attempts = 0;
    while (attempts < maxAttempts && !this.life.closed) {
      if (attempts > 0 && !(await pauseBeforeRetry(this.settings, attempts, this.life.closing.signal))) break;
      attempts++;
      try {
        await sendWithin(this.push(message), this.settings, 'reply', this.life.abandoning.signal);
        return;
      } catch (error) {
        if (error instanceof BrokerError && error.code === 'E_PUBLISH_REFUSED') throw error;
        if (error instanceof ProtocolError || REFUSALS.test(messageOf(error))) {
          throw new BrokerError('E_PUBLISH_REFUSED', `${label} to exchange "${message.exchange}" with routing key "${message.routingKey}" was refused: ${messageOf(error)}`, {
            cause: error,
          });
        }
        lastError = error;
        // No answer: the connection may be stuck; a new one answers or fails fast.
        if (error instanceof SendTimeout) this.client?.disconnect(true);
        log('warn', `${label} not stored by Redis (attempt ${attempts} of ${maxAttempts})`, error);
      }
    }
    const why = this.life.closed ? 'the publisher was closed' : `after ${attempts} attempts`;
    throw new BrokerError('E_PUBLISH_UNCONFIRMED', `${label} was not stored by Redis at ${redactUrl(this.url)} (${why}): ${messageOf(lastError)}`, {
      cause: lastError,
    });
  }

  private async push(message: TaskMessage): Promise<void> {
    const client = this.client;
    if (client === null) throw new BrokerError('E_PUBLISHER_STATE', 'the publisher is closed');
    const queues = message.exchange === '' ? [message.routingKey] : await this.boundQueues(client, message);
    const binding = message.queue !== null && !this.declared.has(message.queue) ? queueBinding(message.queue) : undefined;
    const envelope = taskEnvelope(message, randomUUID());
    const transaction = client.multi();
    if (binding) transaction.sadd(bindingKey(binding.exchange), binding.member);
    for (const queue of queues) transaction.lpush(priorityList(queue, message.properties.priority), envelope);
    const replies = await transaction.exec();
    if (replies === null) throw new Error('Redis discarded the transaction');
    for (const [error] of replies) if (error) throw error;
    if (binding && message.queue !== null) this.declared.add(message.queue);
  }

  private async boundQueues(client: Redis, message: TaskMessage): Promise<string[]> {
    const members = await client.smembers(bindingKey(message.exchange));
    const bindings = members.map(parseBindingMember).filter((b): b is Binding => b !== undefined);
    const queues = queuesFor(message.exchange, message.routingKey, bindings);
    if (queues.length > 0) return queues;
    throw new BrokerError(
      'E_PUBLISH_REFUSED',
      `task ${message.id} (${message.properties.headers.task}): no queue is bound to exchange "${message.exchange}" ` +
        `with a key matching routing key "${message.routingKey}" (Redis set ${bindingKey(message.exchange)}), so the message would be lost; ` +
        'start a worker that consumes the queue (it declares the binding) or send to the queue by name instead',
    );
  }
}
