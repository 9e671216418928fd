/**
 * Consumes the Celery event stream from the broker the URL names: on AMQP
 * a queue of its own bound to every routing key (`#`) of the `celeryev`
 * topic exchange, declared the way `celery events` declares its
 * receiver's (celeryev.<uuid>, not durable, auto-delete, x-message-ttl,
 * x-expires); on Redis a PSUBSCRIBE to `/{db}.celeryev/*`, as kombu's
 * receiver does. Each message is decoded (one event or a task.multi
 * array); bad input is handed to `onProblem`, never thrown.
 *
 * With `sharedQueue` (AMQP only) it consumes from that named queue
 * instead, which other consumers share: each event goes to one of them,
 * and is acknowledged only when the owner says it is safe (acknowledge()),
 * so what a consumer that dies had not acknowledged goes to the others.
 *
 * A lost broker is reconnected with exponential backoff, and each new
 * connection listens again and wakes the workers up (after listening, so
 * their answers are heard). Events sent while disconnected are lost on
 * both transports; `connected` says for how long the consumer was deaf.
 * start() fails fast when the first connection fails.
 */
import { randomUUID } from 'node:crypto';
import { openFanoutLink, type DeliveryMark, type FanoutLink, type InboundMessage, type LinkStatus } from '../../broker/fanout-link.js';
import { decodeEvents, type DecodeProblem } from '../events/decode.js';
import type { CeleryEvent } from '../events/types.js';
import { SnapshotError } from '../errors.js';
import { heartbeatBroadcast, PIDBOX_EXCHANGE } from './wakeup.js';

export interface EventConsumerOptions {
  brokerUrl: string;
  /** Celery's event_exchange; default `celeryev`. */
  exchange?: string;
  /** AMQP queue name prefix; a uuid follows. Default `celeryev.` as Celery's receiver. */
  queuePrefix?: string;
  /** AMQP: consume from this queue, shared with other consumers, instead of one of its own; null or absent for one of its own. */
  sharedQueue?: string | null;
  /** AMQP x-message-ttl in ms; default 5000 (Celery's event_queue_ttl). */
  queueTtlMs?: number;
  /** AMQP x-expires in ms; default 60000 (Celery's event_queue_expires). */
  queueExpiresMs?: number;
  /** Broadcast the `heartbeat` wake-up after each (re)connection; default true. */
  wakeUpWorkers?: boolean;
  /** First reconnect delay in ms; default 500. Doubles (with 20 % jitter on AMQP) up to `reconnectMaxDelayMs`. */
  reconnectInitialDelayMs?: number;
  /** Longest reconnect delay in ms; default 30000. */
  reconnectMaxDelayMs?: number;
  /** AMQP heartbeat (when the URL sets none) or Redis PING interval, in seconds; default 10, so a dead TCP connection is noticed. */
  heartbeatSeconds?: number;
  /** Events of one message, with the local arrival time (epoch ms). */
  onEvents(events: CeleryEvent[], receivedAt: number): void;
  onProblem(problem: DecodeProblem, routingKey: string): void;
  onStatus(status: ConsumerStatus): void;
  now?: () => number;
}

export type ConsumerStatus =
  /** `queue`: the AMQP queue or the Redis channel pattern; `deafMs`: how long events went unheard before a reconnection. */
  | { type: 'connected'; queue: string; reconnect: boolean; deafMs: number | null }
  | { type: 'disconnected'; error: Error }
  | { type: 'reconnect-scheduled'; attempt: number; delayMs: number; error: Error }
  | { type: 'setup-failed'; error: Error };

export class EventConsumer {
  private link: FanoutLink | null = null;
  private closed = false;
  private wakeups = 0;
  private lostAt: number | null = null;
  private readonly now: () => number;
  /** Messages seen, for stats. */
  messages = 0;

  constructor(private readonly options: EventConsumerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Resolves once consuming; rejects with E_SNAPSHOT_BROKER if the first connection or setup fails. */
  async start(): Promise<void> {
    if (this.link !== null || this.closed) throw new SnapshotError('E_SNAPSHOT_STATE', 'event consumer already started');
    const o = this.options;
    const wake = o.wakeUpWorkers ?? true;
    const shared = o.sharedQueue ?? null;
    const link = openFanoutLink({
      brokerUrl: o.brokerUrl,
      connectionName: 'prisma-celery camera',
      listen: {
        exchange: { name: o.exchange ?? 'celeryev', type: 'topic', durable: true, autoDelete: false },
        bindingKey: '#',
        queue: () => shared ?? `${o.queuePrefix ?? 'celeryev.'}${randomUUID()}`,
        queueTtlMs: o.queueTtlMs ?? 5000,
        queueExpiresMs: o.queueExpiresMs ?? 60_000,
        shared: shared !== null,
      },
      declare: wake ? [PIDBOX_EXCHANGE] : [],
      heartbeatSeconds: o.heartbeatSeconds ?? 10,
      ...(o.reconnectInitialDelayMs !== undefined && { reconnectInitialDelayMs: o.reconnectInitialDelayMs }),
      ...(o.reconnectMaxDelayMs !== undefined && { reconnectMaxDelayMs: o.reconnectMaxDelayMs }),
      onReady: () => {
        // A courtesy: a worker that misses it is seen at its next heartbeat.
        if (wake) link.publish(heartbeatBroadcast(++this.wakeups, this.now()));
      },
      onMessage: (message) => this.receive(message),
      onStatus: (status) => this.status(status),
    });
    try {
      await link.start();
    } catch (cause) {
      throw new SnapshotError('E_SNAPSHOT_BROKER', `cannot consume Celery events: ${(cause as Error).message}`, { cause });
    }
    this.link = link;
  }

  get connected(): boolean {
    return this.link?.connected ?? false;
  }

  /** Of a shared queue: every event handed to onEvents so far; null otherwise. */
  mark(): DeliveryMark | null {
    return this.link?.mark() ?? null;
  }

  /** Of a shared queue: the broker may forget every event up to `mark`. */
  acknowledge(mark: DeliveryMark | null): void {
    this.link?.acknowledge(mark);
  }

  async close(): Promise<void> {
    this.closed = true;
    const link = this.link;
    this.link = null;
    await link?.close();
  }

  private status(status: LinkStatus): void {
    const o = this.options;
    switch (status.type) {
      case 'connected': {
        const deafMs = status.reconnect && this.lostAt !== null ? this.now() - this.lostAt : null;
        this.lostAt = null;
        return o.onStatus({ type: 'connected', queue: status.source ?? '', reconnect: status.reconnect, deafMs });
      }
      case 'disconnected':
        this.lostAt ??= this.now();
        return o.onStatus(status);
      case 'reconnect-scheduled':
      case 'setup-failed':
        return o.onStatus(status);
      case 'undecodable':
        return this.problems([{ reason: 'malformed-envelope', index: null, detail: status.error.message }], status.source);
      case 'publish-failed':
        // Only the wake-up is published; see onReady.
        return;
    }
  }

  private receive(message: InboundMessage): void {
    this.messages++;
    const receivedAt = this.now();
    const decoded = decodeEvents(message.body, { contentType: message.contentType, contentEncoding: message.contentEncoding });
    this.problems(decoded.problems, message.routingKey);
    if (decoded.events.length > 0) this.options.onEvents(decoded.events, receivedAt);
  }

  private problems(problems: readonly DecodeProblem[], where: string): void {
    for (const problem of problems) this.options.onProblem(problem, where);
  }
}
