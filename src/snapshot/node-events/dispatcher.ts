/**
 * Publishes Celery events for a Node process, as celery.events.EventDispatcher
 * does for a Python worker: onto the `celeryev` exchange (a topic on AMQP,
 * `/{db}.celeryev/<routing key>` on Redis), routing key from the type
 * (`worker-heartbeat` → `worker.heartbeat`), transient (delivery_mode 1),
 * `{hostname}` header, a Lamport clock that counts up per event. Task
 * events are buffered and sent as one `task.multi` array per event-loop
 * turn or per 24 events, as the worker's buffer_group does.
 *
 * The link reconnects on its own; while the broker is away events wait in
 * a bounded queue (oldest dropped, counted) and go out on reconnection. It
 * also answers the `heartbeat` control broadcast on celery.pidbox (what
 * `celery events` and our camera send when they start) with a `freq: 5`
 * heartbeat, as a Python worker does, half a second later.
 */
import { openFanoutLink, type FanoutLink, type InboundMessage, type LinkStatus } from '../../broker/fanout-link.js';
import { SnapshotError } from '../errors.js';
import { parseRequest, REPLY_EXCHANGE, replyMessage, type ControlRequest } from '../../control/pidbox.js';
import type { JsonValue } from '../../core/protocol/json-value.js';
import { PIDBOX_EXCHANGE } from '../broker/wakeup.js';
import { eventJson, eventMessage, routingKeyOf, utcoffsetHoursWest, type Fields, type Sender } from './event-body.js';

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
  /**
   * Remote control: every other request addressed to this hostname (ping,
   * inspect, revoke…); answer with reply() when it has a replyTo. Without
   * it only `heartbeat` is answered.
   */
  onControl?: (request: ControlRequest) => void;
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

/** Long enough for a receiver to subscribe after its broadcast, short next to a heartbeat interval. */
const WAKEUP_ANSWER_DELAY_MS = 500;

/**
 * Whether this worker acts on `request`, as kombu's Node.handle_message
 * decides: named in the destination, or no destination at all; one past
 * its expiry is dropped. Pattern addressing (pattern + matcher) is not
 * read: such a request reaches every worker, as if it named none.
 */
export function addressedTo(request: ControlRequest, hostname: string, nowMs: number): boolean {
  if (request.expiresMs !== null && request.expiresMs < nowMs) return false;
  return request.destination === null || request.destination.includes(hostname);
}

export class EventDispatcher {
  private link: FanoutLink | null = null;
  private clock = 0;
  private taskBuffer: string[] = [];
  private flushScheduled = false;
  private readonly outbox: Outgoing[] = [];
  private closed = false;
  private readonly sender: Sender;
  private readonly now: () => number;
  readonly counts = { sent: 0, messages: 0, dropped: 0 };

  constructor(private readonly options: EventDispatcherOptions) {
    this.now = options.now ?? Date.now;
    this.sender = { hostname: options.hostname, utcoffset: utcoffsetHoursWest(), pid: process.pid };
  }

  async start(): Promise<void> {
    if (this.link !== null || this.closed) throw new SnapshotError('E_SNAPSHOT_STATE', 'event dispatcher already started');
    const o = this.options;
    const link = openFanoutLink({
      brokerUrl: o.brokerUrl,
      connectionName: `prisma-celery events ${o.hostname}`,
      declare: [{ name: o.exchange ?? 'celeryev', type: 'topic', durable: true, autoDelete: false }, ...(o.onControl ? [REPLY_EXCHANGE] : [])],
      // A Python worker's mailbox queue: <nodename>.celery.pidbox, 300 s message TTL, gone 10 s after the worker.
      ...((o.answerPidbox ?? true) && {
        listen: { exchange: PIDBOX_EXCHANGE, bindingKey: '', queue: () => `${o.hostname}.celery.pidbox`, queueTtlMs: 300_000, queueExpiresMs: 10_000 },
      }),
      ...(o.reconnectInitialDelayMs !== undefined && { reconnectInitialDelayMs: o.reconnectInitialDelayMs }),
      ...(o.reconnectMaxDelayMs !== undefined && { reconnectMaxDelayMs: o.reconnectMaxDelayMs }),
      onReady: () => this.drain(),
      onMessage: (message) => this.control(message),
      onStatus: (status) => this.status(status),
    });
    try {
      await link.start();
    } catch (cause) {
      throw new SnapshotError('E_SNAPSHOT_BROKER', `cannot publish Celery events: ${(cause as Error).message}`, { cause });
    }
    this.link = link;
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
    const link = this.link;
    this.link = null;
    await link?.close();
  }

  /**
   * Answers a remote-control request; false when it cannot be sent now (a
   * late answer is useless to an asker that waits a second, so none is kept).
   */
  reply(request: ControlRequest, reply: JsonValue): boolean {
    if (request.reply === null || this.closed) return false;
    // Only the reply exchange declared here: publishing to an unknown one closes an AMQP channel.
    if (request.reply.exchange !== REPLY_EXCHANGE.name) {
      this.report({ type: 'pidbox-problem', error: new Error(`a ${request.method} request asks for its reply on exchange "${request.reply.exchange}"`) });
      return false;
    }
    return this.link?.publish(replyMessage(request, this.options.hostname, reply, ++this.clock)) ?? false;
  }

  get connected(): boolean {
    return this.link?.connected ?? false;
  }

  private publish(message: Outgoing): void {
    if (this.outbox.length === 0 && this.write(message)) return;
    this.outbox.push(message);
    const max = this.options.maxQueued ?? 10_000;
    if (this.outbox.length > max) {
      const dropped = this.outbox.splice(0, this.outbox.length - max).length;
      this.counts.dropped += dropped;
      this.report({ type: 'dropped', count: dropped, total: this.counts.dropped });
    }
  }

  private write({ routingKey, body }: Outgoing): boolean {
    const sent = this.link?.publish(eventMessage(this.options.exchange ?? 'celeryev', this.options.hostname, routingKey, body)) ?? false;
    if (sent) this.counts.messages++;
    return sent;
  }

  /** On each (re)connection: what waited goes out first, in order. */
  private drain(): void {
    while (this.outbox.length > 0) {
      if (!this.write(this.outbox[0] as Outgoing)) break;
      this.outbox.shift();
    }
  }

  private status(status: LinkStatus): void {
    switch (status.type) {
      case 'connected':
        return this.report({ type: 'connected', reconnect: status.reconnect });
      case 'disconnected':
      case 'publish-failed':
        return this.report(status);
      case 'undecodable':
        return this.report({ type: 'pidbox-problem', error: status.error });
      case 'reconnect-scheduled':
      case 'setup-failed':
        // Reported as 'disconnected' already; the link keeps trying.
        return;
    }
  }

  private control(message: InboundMessage): void {
    try {
      const request = parseRequest(message);
      if (!addressedTo(request, this.options.hostname, this.now())) return;
      if (request.method !== 'heartbeat') {
        this.options.onControl?.(request);
        return;
      }
      // `celery events` on Redis broadcasts before it subscribes
      // (tests/fixtures/celery-5.2.6-redis/commands.json): an answer sent at
      // once can be published to nobody. A Python worker is slow enough; we wait.
      setTimeout(() => this.send('worker-heartbeat', [['freq', 5], ...(this.options.software ?? [])]), WAKEUP_ANSWER_DELAY_MS).unref();
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
