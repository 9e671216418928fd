/**
 * The Redis FanoutLink: a subscriber connection PSUBSCRIBEd to the listened
 * exchange's pattern (a direct exchange is listened to as kombu routes it:
 * a bound list, see queue-listener.ts) and a publisher connection. It is connected while both
 * are; each comes back on its own, and the link reports `connected` again
 * once both are, so what onReady publishes reaches listeners that are
 * subscribed already.
 */
import { ConfigError } from '../../errors.js';
import type { DeliveryMark, FanoutLink, FanoutLinkOptions, OutboundMessage } from '../fanout.js';
import { parseRedisUrl } from '../url.js';
import { routingKeyOfChannel, subscribePattern } from './channels.js';
import { inboundOf } from './fanout-message.js';
import { RedisFanoutPublisher } from './fanout-publisher.js';
import { RedisQueueListener } from './queue-listener.js';
import { RedisSubscriber } from './subscriber.js';

/** kombu's default health_check_interval. */
const HEALTH_CHECK_SECONDS = 25;

export class RedisFanoutLink implements FanoutLink {
  private readonly publisher: RedisFanoutPublisher;
  private readonly subscriber: RedisSubscriber | RedisQueueListener | null;
  private readonly source: string | null;
  private up = false;
  private connectedBefore = false;
  private closed = false;

  constructor(private readonly options: FanoutLinkOptions) {
    const o = options;
    if (o.listen?.shared === true) {
      throw new ConfigError(
        'a shared event queue needs an AMQP broker: on Redis, Celery events are PUB/SUB messages every subscriber receives, which listeners cannot share; run one camera, or use RabbitMQ',
      );
    }
    const db = parseRedisUrl(o.brokerUrl).db;
    const reconnect = {
      ...(o.reconnectInitialDelayMs !== undefined && { reconnectInitialDelayMs: o.reconnectInitialDelayMs }),
      ...(o.reconnectMaxDelayMs !== undefined && { reconnectMaxDelayMs: o.reconnectMaxDelayMs }),
      healthCheckMs: (o.heartbeatSeconds ?? HEALTH_CHECK_SECONDS) * 1000,
    };
    this.publisher = new RedisFanoutPublisher({
      url: o.brokerUrl,
      name: `${o.connectionName} publisher`,
      ...reconnect,
      onReady: () => this.check(),
      onLost: (error) => this.lost(error),
      onPublishFailed: (error) => o.onStatus({ type: 'publish-failed', error }),
    });
    const listen = o.listen;
    const listenerOptions = {
      url: o.brokerUrl,
      name: o.connectionName,
      ...reconnect,
      onLost: (error: Error) => this.lost(error),
      onReconnectScheduled: (attempt: number, delayMs: number, error: Error) => o.onStatus({ type: 'reconnect-scheduled', attempt, delayMs, error }),
    };
    if (listen === undefined) {
      this.source = null;
      this.subscriber = null;
    } else if (listen.exchange.type === 'direct') {
      this.source = listen.queue();
      this.subscriber = new RedisQueueListener({
        ...listenerOptions,
        exchange: listen.exchange.name,
        routingKey: listen.bindingKey,
        queue: this.source,
        onMessage: (queue, raw) => this.receive(queue, raw, listen.bindingKey),
        onSubscribed: () => this.check(),
      });
    } else {
      this.source = subscribePattern(db, listen.exchange.name, listen.bindingKey);
      this.subscriber = new RedisSubscriber({
        ...listenerOptions,
        patterns: [this.source],
        onMessage: (channel, raw) => this.receive(channel, raw, routingKeyOfChannel(channel, db, listen.exchange.name)),
        onSubscribed: () => this.check(),
      });
    }
  }

  async start(): Promise<void> {
    await this.publisher.start();
    try {
      await this.subscriber?.start();
    } catch (error) {
      await this.publisher.close();
      throw error;
    }
    this.check();
  }

  get connected(): boolean {
    return this.up;
  }

  publish(message: OutboundMessage): boolean {
    return this.up && this.publisher.publish(message);
  }

  /** Nothing to acknowledge: PUB/SUB has no acknowledgements (a shared listen is refused). */
  mark(): DeliveryMark | null {
    return null;
  }

  acknowledge(): void {}

  async close(): Promise<void> {
    this.closed = true;
    this.up = false;
    await this.subscriber?.close();
    await this.publisher.close();
  }

  private check(): void {
    if (this.up || this.closed || !this.publisher.ready || (this.subscriber !== null && !this.subscriber.isSubscribed)) return;
    this.up = true;
    this.options.onReady?.();
    const reconnect = this.connectedBefore;
    this.connectedBefore = true;
    this.options.onStatus({ type: 'connected', source: this.source, reconnect });
  }

  private lost(error: Error): void {
    if (!this.up || this.closed) return;
    this.up = false;
    this.options.onStatus({ type: 'disconnected', error });
  }

  private receive(channel: string, raw: Buffer, routingKey: string): void {
    let message;
    try {
      message = inboundOf(raw, routingKey);
    } catch (error) {
      this.options.onStatus({ type: 'undecodable', error: error as Error, source: channel });
      return;
    }
    try {
      this.options.onMessage?.(message);
    } catch {
      // The listener reports its own failures.
    }
  }
}
