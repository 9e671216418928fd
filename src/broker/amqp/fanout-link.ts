/**
 * The AMQP FanoutLink: amqplib's recovering connection (exponential
 * backoff with jitter), on each connection one channel that declares the
 * exchanges, a fresh queue bound to the listened exchange (not durable,
 * auto-delete, x-message-ttl, x-expires: how Celery declares an event
 * receiver's or a pidbox queue) consumed without acks, as Celery does;
 * or a shared queue of a fixed name (not durable, not deleted when its
 * consumers leave, x-message-ttl and x-expires as the others) whose
 * messages are acknowledged when the listener says so (acknowledge).
 */
import * as amqp from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage, RecoveringChannelModel } from 'amqplib';
import type { DeliveryMark, ExchangeSpec, FanoutLink, FanoutLinkOptions, OutboundMessage } from '../fanout.js';

/** The channel's own delivery tags: acknowledging them on another channel would be an error. */
interface AmqpMark extends DeliveryMark {
  channel: Channel;
  tag: number;
}

export class AmqpFanoutLink implements FanoutLink {
  private connection: RecoveringChannelModel | null = null;
  private channel: Channel | null = null;
  private connectedBefore = false;
  private closed = false;
  /** Of a shared listen: the latest delivery, and the highest tag acknowledged on its channel. */
  private delivered: AmqpMark | null = null;
  private acknowledged = 0;

  constructor(private readonly options: FanoutLinkOptions) {}

  async start(): Promise<void> {
    const o = this.options;
    const connection = await amqp.connect(withHeartbeat(o.brokerUrl, o.heartbeatSeconds), {
      clientProperties: { connection_name: o.connectionName },
      recovery: {
        initialDelay: o.reconnectInitialDelayMs ?? 500,
        maxDelay: o.reconnectMaxDelayMs ?? 30_000,
        factor: 2,
        jitter: 0.2,
        initialMaxRetries: 0,
        setup: (model: ChannelModel) => this.setup(model),
      },
    });
    this.connection = connection;
    connection.on('disconnect', (error: Error) => {
      this.channel = null;
      o.onStatus({ type: 'disconnected', error });
    });
    connection.on('connect-failed', (error: Error) => o.onStatus({ type: 'setup-failed', error }));
    connection.on('reconnect-scheduled', (info: { attempt: number; delay: number; error: Error }) =>
      o.onStatus({ type: 'reconnect-scheduled', attempt: info.attempt, delayMs: info.delay, error: info.error }),
    );
    // Errors also arrive as 'disconnect'; an 'error' without a listener would crash the process.
    connection.on('error', () => {});
  }

  get connected(): boolean {
    return this.channel !== null;
  }

  publish(message: OutboundMessage): boolean {
    const channel = this.channel;
    if (channel === null) return false;
    try {
      channel.publish(message.exchange, message.routingKey, message.body, {
        contentType: message.contentType,
        contentEncoding: message.contentEncoding,
        deliveryMode: message.deliveryMode,
        priority: message.priority,
        headers: message.headers,
      });
      return true;
    } catch (error) {
      this.options.onStatus({ type: 'publish-failed', error });
      return false;
    }
  }

  mark(): DeliveryMark | null {
    return this.delivered;
  }

  acknowledge(mark: DeliveryMark | null): void {
    const m = mark as AmqpMark | null;
    if (m === null || m.channel !== this.channel || m.tag <= this.acknowledged) return;
    try {
      m.channel.ack({ fields: { deliveryTag: m.tag } } as ConsumeMessage, true);
      this.acknowledged = m.tag;
    } catch {
      // The channel closed meanwhile: the broker puts the messages back.
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const { connection, channel } = this;
    this.connection = null;
    this.channel = null;
    // The channel first: its close-ok comes after the server took every
    // message published on it, which closing the connection alone does not wait for.
    if (channel !== null) await channel.close().catch(() => {});
    if (connection !== null) await connection.close().catch(() => {});
  }

  private async setup(model: ChannelModel): Promise<void> {
    const o = this.options;
    const channel = await model.createChannel();
    // A channel the server closes (a consumer cancelled by a deleted queue,
    // a precondition failure) would leave the connection up but deaf:
    // closing the connection hands it to recovery.
    const recover = (): void => {
      if (this.channel === channel) this.channel = null;
      if (!this.closed) model.close().catch(() => {});
    };
    channel.on('error', () => {});
    channel.on('close', recover);
    for (const exchange of o.declare ?? []) await declare(channel, exchange);
    let source: string | null = null;
    if (o.listen !== undefined) {
      const { exchange, bindingKey, queueTtlMs, queueExpiresMs } = o.listen;
      const shared = o.listen.shared ?? false;
      await declare(channel, exchange);
      source = o.listen.queue();
      await channel.assertQueue(source, {
        durable: false,
        autoDelete: !shared,
        arguments: { 'x-message-ttl': { '!': 'int', value: queueTtlMs }, 'x-expires': { '!': 'int', value: queueExpiresMs } },
      });
      await channel.bindQueue(source, exchange.name, bindingKey);
      this.delivered = null;
      this.acknowledged = 0;
      await channel.consume(
        source,
        (message) => {
          if (shared && message !== null) this.delivered = { brand: 'DeliveryMark', channel, tag: message.fields.deliveryTag };
          this.receive(message, recover);
        },
        { noAck: !shared },
      );
    }
    this.channel = channel;
    o.onReady?.();
    const reconnect = this.connectedBefore;
    this.connectedBefore = true;
    o.onStatus({ type: 'connected', source, reconnect });
  }

  private receive(message: ConsumeMessage | null, recover: () => void): void {
    // null: the server cancelled the consumer.
    if (message === null) return recover();
    const { contentType, contentEncoding, headers } = message.properties as { contentType?: string; contentEncoding?: string; headers?: Record<string, unknown> };
    // Nothing may throw into amqplib's dispatch: the listener guards itself.
    try {
      this.options.onMessage?.({ routingKey: message.fields.routingKey, body: message.content, contentType, contentEncoding, headers: headers ?? {} });
    } catch {
      // The listener reports its own failures.
    }
  }
}

function declare(channel: Channel, exchange: ExchangeSpec): Promise<unknown> {
  return channel.assertExchange(exchange.name, exchange.type, { durable: exchange.durable, autoDelete: exchange.autoDelete });
}

/** Adds `heartbeat=N` to an AMQP URL that sets none. */
function withHeartbeat(url: string, seconds: number | undefined): string {
  if (seconds === undefined || /[?&]heartbeat=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}heartbeat=${seconds}`;
}
