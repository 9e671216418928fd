/**
 * Consumes the Celery event stream: a queue of its own bound to every
 * routing key (`#`) of the `celeryev` topic exchange, declared the way
 * `celery events` declares its receiver's (celeryev.<uuid>, not durable,
 * auto-delete, x-message-ttl, x-expires), read without acks as Celery's
 * receiver does. Each delivery is decoded (one event or a task.multi
 * array); bad input is handed to `onProblem`, never thrown.
 *
 * The connection is amqplib's recovering connection: a lost broker is
 * reconnected with exponential backoff and jitter, and each new
 * connection declares a fresh queue, consumes, and wakes the workers up
 * again. start() fails fast when the first connection fails.
 */
import { randomUUID } from 'node:crypto';
import * as amqp from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage, RecoveringChannelModel } from 'amqplib';
import { decodeEvents, type DecodeProblem } from '../events/decode.js';
import type { CeleryEvent } from '../events/types.js';
import { SnapshotError } from '../errors.js';
import { heartbeatBroadcast, PIDBOX_EXCHANGE, PIDBOX_EXCHANGE_OPTIONS } from './wakeup.js';

export interface EventConsumerOptions {
  brokerUrl: string;
  /** Celery's event_exchange; default `celeryev`. */
  exchange?: string;
  /** Queue name prefix; a uuid follows. Default `celeryev.` as Celery's receiver. */
  queuePrefix?: string;
  /** x-message-ttl in ms; default 5000 (Celery's event_queue_ttl). */
  queueTtlMs?: number;
  /** x-expires in ms; default 60000 (Celery's event_queue_expires). */
  queueExpiresMs?: number;
  /** Broadcast the `heartbeat` wake-up after each (re)connection; default true. */
  wakeUpWorkers?: boolean;
  /** First reconnect delay in ms; default 500. Doubles (with 20 % jitter) up to `reconnectMaxDelayMs`. */
  reconnectInitialDelayMs?: number;
  /** Longest reconnect delay in ms; default 30000. */
  reconnectMaxDelayMs?: number;
  /** AMQP heartbeat in seconds when the URL sets none; default 10, so a dead TCP connection is noticed. */
  heartbeatSeconds?: number;
  /** Events of one delivery, with the local arrival time (epoch ms). */
  onEvents(events: CeleryEvent[], receivedAt: number): void;
  onProblem(problem: DecodeProblem, routingKey: string): void;
  onStatus(status: ConsumerStatus): void;
  now?: () => number;
}

export type ConsumerStatus =
  | { type: 'connected'; queue: string; reconnect: boolean }
  | { type: 'disconnected'; error: Error }
  | { type: 'reconnect-scheduled'; attempt: number; delayMs: number; error: Error }
  | { type: 'setup-failed'; error: Error };

export class EventConsumer {
  private connection: RecoveringChannelModel | null = null;
  private channel: Channel | null = null;
  private connectedBefore = false;
  private closed = false;
  private wakeups = 0;
  private readonly now: () => number;
  /** Deliveries and events seen, for stats. */
  messages = 0;

  constructor(private readonly options: EventConsumerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Resolves once consuming; rejects with E_SNAPSHOT_BROKER if the first connection or setup fails. */
  async start(): Promise<void> {
    if (this.connection !== null || this.closed) throw new SnapshotError('E_SNAPSHOT_STATE', 'event consumer already started');
    const o = this.options;
    try {
      const connection = await amqp.connect(withHeartbeat(o.brokerUrl, o.heartbeatSeconds ?? 10), {
        clientProperties: { connection_name: 'prisma-celery camera' },
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
    } catch (cause) {
      throw new SnapshotError('E_SNAPSHOT_BROKER', `cannot consume Celery events: ${(cause as Error).message}`, { cause });
    }
  }

  get connected(): boolean {
    return this.channel !== null;
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = null;
    this.channel = null;
    if (connection !== null) await connection.close().catch(() => {});
  }

  private async setup(model: ChannelModel): Promise<void> {
    const o = this.options;
    const exchange = o.exchange ?? 'celeryev';
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
    await channel.assertExchange(exchange, 'topic', { durable: true, autoDelete: false });
    const queue = `${o.queuePrefix ?? 'celeryev.'}${randomUUID()}`;
    await channel.assertQueue(queue, {
      durable: false,
      autoDelete: true,
      arguments: {
        'x-message-ttl': { '!': 'int', value: o.queueTtlMs ?? 5000 },
        'x-expires': { '!': 'int', value: o.queueExpiresMs ?? 60_000 },
      },
    });
    await channel.bindQueue(queue, exchange, '#');
    await channel.consume(queue, (message) => this.receive(message, recover), { noAck: true });
    if (o.wakeUpWorkers ?? true) {
      await channel.assertExchange(PIDBOX_EXCHANGE, 'fanout', PIDBOX_EXCHANGE_OPTIONS);
      const { body, options } = heartbeatBroadcast(++this.wakeups, this.now());
      channel.publish(PIDBOX_EXCHANGE, '', body, options);
    }
    this.channel = channel;
    const reconnect = this.connectedBefore;
    this.connectedBefore = true;
    o.onStatus({ type: 'connected', queue, reconnect });
  }

  private receive(message: ConsumeMessage | null, recover: () => void): void {
    // null: the server cancelled the consumer.
    if (message === null) return recover();
    this.messages++;
    const receivedAt = this.now();
    const { contentType, contentEncoding } = message.properties as { contentType?: string; contentEncoding?: string };
    const decoded = decodeEvents(message.content, { contentType, contentEncoding });
    // The callbacks belong to the camera, which guards them; nothing may throw into amqplib's dispatch.
    try {
      for (const problem of decoded.problems) this.options.onProblem(problem, message.fields.routingKey);
      if (decoded.events.length > 0) this.options.onEvents(decoded.events, receivedAt);
    } catch {
      // Reported by the camera's own guard.
    }
  }
}

/** Adds `heartbeat=N` to an AMQP URL that sets none. */
function withHeartbeat(url: string, seconds: number): string {
  if (/[?&]heartbeat=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}heartbeat=${seconds}`;
}
