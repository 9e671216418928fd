/**
 * Publishes Celery events for a Node process, as celery.events.EventDispatcher
 * does for a Python worker: onto the `celeryev` topic exchange, routing key
 * from the type (`worker-heartbeat` → `worker.heartbeat`), transient
 * (delivery_mode 1), `{hostname}` header, a Lamport clock that counts up per
 * event. Task events are buffered and sent as one `task.multi` array per
 * event-loop turn or per 24 events, as the worker's buffer_group does.
 *
 * The connection is amqplib's recovering one; while the broker is away
 * events wait in a bounded queue (oldest dropped, counted) and go out on
 * reconnection. It also answers the `heartbeat` control broadcast on
 * celery.pidbox (what `celery events` and our camera send when they start)
 * with a `freq: 5` heartbeat, as a Python worker does.
 */
import * as amqp from 'amqplib';
import type { Channel, ChannelModel, ConsumeMessage, RecoveringChannelModel } from 'amqplib';
import { SnapshotError } from '../errors.js';
import { PIDBOX_EXCHANGE, PIDBOX_EXCHANGE_OPTIONS } from '../broker/wakeup.js';
import { eventJson, routingKeyOf, utcoffsetHoursWest, type Fields, type Sender } from './event-body.js';

export interface EventDispatcherOptions {
  brokerUrl: string;
  /** The nodename events carry, e.g. `celery-node@host`. */
  hostname: string;
  /** Default `celeryev`. */
  exchange?: string;
  /** Send task events as task.multi arrays, as a Python worker does; default true. */
  batch?: boolean;
  /** Most events in one task.multi; default 24 (Celery's buffer_limit). */
  bufferLimit?: number;
  /** Messages held while the broker is away; default 10000, the oldest dropped past it. */
  maxQueued?: number;
  /** Answer `heartbeat` control broadcasts; default true. */
  answerPidbox?: boolean;
  /** Fields of the answer: sw_ident, sw_ver, sw_sys. */
  software?: Fields;
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  onReport?: (report: DispatcherReport) => void;
  /** Epoch ms; default Date.now. */
  now?: () => number;
}

export type DispatcherReport =
  | { type: 'connected'; reconnect: boolean }
  | { type: 'disconnected'; error: Error }
  | { type: 'dropped'; count: number; total: number }
  | { type: 'publish-failed'; error: unknown }
  | { type: 'pidbox-problem'; error: unknown };

interface Outgoing {
  routingKey: string;
  body: string;
}

const PIDBOX_QUEUE_ARGS = { 'x-message-ttl': { '!': 'int', value: 300_000 }, 'x-expires': { '!': 'int', value: 10_000 } };

export class EventDispatcher {
  private connection: RecoveringChannelModel | null = null;
  private channel: Channel | null = null;
  private clock = 0;
  private taskBuffer: string[] = [];
  private flushScheduled = false;
  private readonly outbox: Outgoing[] = [];
  private connectedBefore = false;
  private closed = false;
  private readonly sender: Sender;
  private readonly now: () => number;
  readonly counts = { sent: 0, messages: 0, dropped: 0 };

  constructor(private readonly options: EventDispatcherOptions) {
    this.now = options.now ?? Date.now;
    this.sender = { hostname: options.hostname, utcoffset: utcoffsetHoursWest(), pid: process.pid };
  }

  async start(): Promise<void> {
    if (this.connection !== null || this.closed) throw new SnapshotError('E_SNAPSHOT_STATE', 'event dispatcher already started');
    const o = this.options;
    try {
      const connection = await amqp.connect(o.brokerUrl, {
        clientProperties: { connection_name: `prisma-celery events ${o.hostname}` },
        recovery: {
          initialDelay: o.reconnectInitialDelayMs ?? 500,
          maxDelay: o.reconnectMaxDelayMs ?? 30_000,
          initialMaxRetries: 0,
          setup: (model: ChannelModel) => this.setup(model),
        },
      });
      this.connection = connection;
      connection.on('disconnect', (error: Error) => {
        this.channel = null;
        this.report({ type: 'disconnected', error });
      });
      connection.on('error', () => {});
    } catch (cause) {
      throw new SnapshotError('E_SNAPSHOT_BROKER', `cannot publish Celery events: ${(cause as Error).message}`, { cause });
    }
  }

  /** Sends one event (task events may wait for the end of this event-loop turn). */
  send(type: string, fields: Fields): void {
    if (this.closed) return;
    const body = eventJson(type, this.sender, ++this.clock, fields, this.now() / 1000);
    this.counts.sent++;
    if ((this.options.batch ?? true) && type.startsWith('task-') && type !== 'task-sent') {
      this.taskBuffer.push(body);
      if (this.taskBuffer.length >= (this.options.bufferLimit ?? 24)) this.flush();
      else if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
      return;
    }
    // Keep order: buffered task events go out before a worker event.
    this.flush();
    this.publish({ routingKey: routingKeyOf(type), body });
  }

  /** Publishes the buffered task events now as one task.multi message. */
  flush(): void {
    this.flushScheduled = false;
    if (this.taskBuffer.length === 0) return;
    const body = `[${this.taskBuffer.join(', ')}]`;
    this.taskBuffer = [];
    this.publish({ routingKey: 'task.multi', body });
  }

  /** Flushes, lets queued messages go out if connected, and closes the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    const connection = this.connection;
    const channel = this.channel;
    this.connection = null;
    this.channel = null;
    // Closing the channel first: its close-ok comes after the server took
    // every message published on it (worker-offline), which closing the
    // connection alone does not wait for.
    if (channel !== null) await channel.close().catch(() => {});
    if (connection !== null) await connection.close().catch(() => {});
  }

  get connected(): boolean {
    return this.channel !== null;
  }

  private publish(message: Outgoing): void {
    const channel = this.channel;
    if (channel !== null && this.outbox.length === 0 && this.write(channel, message)) return;
    this.outbox.push(message);
    const max = this.options.maxQueued ?? 10_000;
    if (this.outbox.length > max) {
      const dropped = this.outbox.splice(0, this.outbox.length - max).length;
      this.counts.dropped += dropped;
      this.report({ type: 'dropped', count: dropped, total: this.counts.dropped });
    }
  }

  private write(channel: Channel, { routingKey, body }: Outgoing): boolean {
    try {
      channel.publish(this.options.exchange ?? 'celeryev', routingKey, Buffer.from(body), {
        contentType: 'application/json',
        contentEncoding: 'utf-8',
        deliveryMode: 1,
        priority: 0,
        headers: { hostname: this.options.hostname },
      });
      this.counts.messages++;
      return true;
    } catch (error) {
      this.report({ type: 'publish-failed', error });
      return false;
    }
  }

  private async setup(model: ChannelModel): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', () => {});
    channel.on('close', () => {
      if (this.channel === channel) this.channel = null;
      if (!this.closed) model.close().catch(() => {});
    });
    await channel.assertExchange(this.options.exchange ?? 'celeryev', 'topic', { durable: true, autoDelete: false });
    if (this.options.answerPidbox ?? true) await this.listenToPidbox(channel);
    this.channel = channel;
    while (this.outbox.length > 0) {
      const next = this.outbox[0] as Outgoing;
      if (!this.write(channel, next)) break;
      this.outbox.shift();
    }
    this.report({ type: 'connected', reconnect: this.connectedBefore });
    this.connectedBefore = true;
  }

  private async listenToPidbox(channel: Channel): Promise<void> {
    const queue = `${this.options.hostname}.celery.pidbox`;
    await channel.assertExchange(PIDBOX_EXCHANGE, 'fanout', PIDBOX_EXCHANGE_OPTIONS);
    await channel.assertQueue(queue, { durable: false, autoDelete: true, arguments: PIDBOX_QUEUE_ARGS });
    await channel.bindQueue(queue, PIDBOX_EXCHANGE, '');
    await channel.consume(queue, (message) => this.control(message), { noAck: true });
  }

  private control(message: ConsumeMessage | null): void {
    if (message === null) return;
    try {
      const body = JSON.parse(message.content.toString('utf8')) as { method?: unknown; destination?: unknown };
      const expires = (message.properties.headers as Record<string, unknown> | undefined)?.expires;
      if (typeof expires === 'number' && expires * 1000 < this.now()) return;
      const destination = body.destination;
      const forUs = destination === null || destination === undefined || (Array.isArray(destination) && destination.includes(this.options.hostname));
      if (body.method === 'heartbeat' && forUs) this.send('worker-heartbeat', [['freq', 5], ...(this.options.software ?? [])]);
    } catch (error) {
      this.report({ type: 'pidbox-problem', error });
    }
  }

  private report(report: DispatcherReport): void {
    try {
      this.options.onReport?.(report);
    } catch {
      // A throwing listener must not break publishing.
    }
  }
}
