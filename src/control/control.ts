/**
 * Celery's remote control from Node (what `celery control` and `celery
 * inspect` do): broadcasts a command on `celery.pidbox` and gathers the
 * workers' answers from a reply queue of its own, until the timeout or until
 * every addressed worker answered. One connection serves any number of
 * calls, concurrent ones included: answers are told apart by ticket.
 */
import { randomUUID } from 'node:crypto';
import { openFanoutLink, type FanoutLink, type InboundMessage, type LinkStatus } from '../broker/fanout-link.js';
import type { JsonObject, JsonValue } from '../core/protocol/json-value.js';
import { ControlError } from './errors.js';
import {
  commands,
  PIDBOX_EXCHANGE,
  parseReply,
  REPLY_EXCHANGE,
  REPLY_QUEUE_EXPIRES_MS,
  REPLY_QUEUE_TTL_MS,
  replyQueueName,
  requestMessage,
  type AddConsumerOptions,
  type ControlCommand,
  type RevokeOptions,
} from './pidbox.js';
import type { ActionReply, QueryTaskReply, QueueInfo, ScheduledTask, TaskInfo } from './replies.js';

export interface ControlOptions {
  brokerUrl: string;
  /** How long a call waits for answers, in ms; default 1000, as Celery's. */
  timeoutMs?: number;
  /** Shown by the broker's connection list; default `prisma-celery control`. */
  connectionName?: string;
  /** Connection trouble after start(), for a log. */
  onStatus?: (status: LinkStatus) => void;
  /** For tests. */
  now?: () => number;
}

export interface CallOptions {
  /** Only these workers (hostnames, `celery@host`) act and answer; default every worker. */
  destination?: string | readonly string[];
  /** Overrides the Control's timeout for this call. */
  timeoutMs?: number;
}

/** What one call gathered. */
export interface Gathered<T> {
  /** Each answering worker's answer, by hostname. */
  replies: Record<string, T>;
  /** Addressed workers (`destination`) that did not answer in time; none for a command never answered. */
  missing: string[];
  /** Messages on the reply queue during the call that were no worker's answer: ignored. */
  malformed: number;
  elapsedMs: number;
}

interface Collector {
  replies: Record<string, JsonValue>;
  awaited: Set<string> | null;
  malformed: number;
  done: () => void;
}

export class Control implements AsyncDisposable {
  /** This client's mailbox id: the routing key of its reply queue. */
  readonly oid = randomUUID();
  /** Malformed answers ignored since start. */
  malformedReplies = 0;
  private link: FanoutLink | null = null;
  private closed = false;
  private clock = 0;
  private readonly collectors = new Map<string, Collector>();
  private readonly timeoutMs: number;
  private readonly now: () => number;

  /** No I/O until start(). */
  constructor(private readonly options: ControlOptions) {
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** Connects and declares the reply queue; rejects with E_CONTROL_BROKER when the broker cannot be used. */
  async start(): Promise<void> {
    if (this.link !== null || this.closed) throw new ControlError('E_CONTROL_STATE', 'Control already started; create another to start again');
    let ready: () => void = () => {};
    const connected = new Promise<void>((resolve) => (ready = resolve));
    const link = openFanoutLink({
      brokerUrl: this.options.brokerUrl,
      connectionName: this.options.connectionName ?? 'prisma-celery control',
      listen: {
        exchange: REPLY_EXCHANGE,
        bindingKey: this.oid,
        queue: () => replyQueueName(this.oid),
        queueTtlMs: REPLY_QUEUE_TTL_MS,
        queueExpiresMs: REPLY_QUEUE_EXPIRES_MS,
      },
      declare: [PIDBOX_EXCHANGE],
      onMessage: (message) => this.receive(message),
      onStatus: (status) => {
        if (status.type === 'connected') ready();
        if (status.type === 'undecodable') this.countMalformed();
        this.options.onStatus?.(status);
      },
    });
    try {
      await link.start();
    } catch (cause) {
      throw new ControlError('E_CONTROL_BROKER', `cannot reach the broker for remote control: ${(cause as Error).message}`, { cause });
    }
    this.link = link;
    await connected;
  }

  /**
   * Broadcasts `command` and gathers answers: for `timeoutMs`, or until
   * every worker in `destination` answered. A command no worker answers
   * (shutdown) resolves once sent.
   */
  async broadcast(command: ControlCommand, options: CallOptions = {}): Promise<Gathered<JsonValue>> {
    const link = this.link;
    if (link === null) throw new ControlError('E_CONTROL_STATE', this.closed ? 'Control is closed' : 'call Control.start() first');
    const destination = options.destination === undefined ? [] : typeof options.destination === 'string' ? [options.destination] : [...options.destination];
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const started = this.now();
    const ticket = randomUUID();
    const message = requestMessage(command, {
      destination,
      reply: command.expectsReply ? { ticket, oid: this.oid } : null,
      clock: ++this.clock,
      nowMs: started,
      timeoutMs,
    });
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const collector: Collector = { replies: {}, awaited: destination.length > 0 ? new Set(destination) : null, malformed: 0, done: finish };
    if (command.expectsReply) this.collectors.set(ticket, collector);
    if (!link.publish(message)) {
      this.collectors.delete(ticket);
      throw new ControlError('E_CONTROL_SEND', `the broker connection is down; ${command.method} was not sent`);
    }
    if (command.expectsReply) {
      const timer = setTimeout(finish, timeoutMs);
      await finished;
      clearTimeout(timer);
      this.collectors.delete(ticket);
    }
    return {
      replies: collector.replies,
      missing: command.expectsReply ? destination.filter((host) => !(host in collector.replies)) : [],
      malformed: collector.malformed,
      elapsedMs: this.now() - started,
    };
  }

  /** Revokes tasks: workers skip them when they come; `terminate` also kills a running one. */
  revoke(ids: string | readonly string[], options: RevokeOptions & CallOptions = {}): Promise<Gathered<ActionReply>> {
    return this.call(commands.revoke(typeof ids === 'string' ? [ids] : ids, options), options);
  }
  enableEvents(options?: CallOptions): Promise<Gathered<ActionReply>> {
    return this.call(commands.enableEvents(), options);
  }
  disableEvents(options?: CallOptions): Promise<Gathered<ActionReply>> {
    return this.call(commands.disableEvents(), options);
  }
  /** `rate`: `'10/m'`, `'5/s'`, a number of tasks per second; null lifts the limit. */
  rateLimit(task: string, rate: string | number | null, options?: CallOptions): Promise<Gathered<ActionReply>> {
    return this.call(commands.rateLimit(task, rate), options);
  }
  /** Seconds. */
  timeLimit(task: string, limits: { soft?: number | null; hard?: number | null }, options?: CallOptions): Promise<Gathered<ActionReply>> {
    return this.call(commands.timeLimit(task, limits), options);
  }
  poolGrow(n = 1, options?: CallOptions): Promise<Gathered<ActionReply>> {
    return this.call(commands.poolGrow(n), options);
  }
  poolShrink(n = 1, options?: CallOptions): Promise<Gathered<ActionReply>> {
    return this.call(commands.poolShrink(n), options);
  }
  autoscale(max: number, min: number, options?: CallOptions): Promise<Gathered<ActionReply>> {
    return this.call(commands.autoscale(max, min), options);
  }
  addConsumer(queue: string, options: AddConsumerOptions & CallOptions = {}): Promise<Gathered<ActionReply>> {
    return this.call(commands.addConsumer(queue, options), options);
  }
  cancelConsumer(queue: string, options?: CallOptions): Promise<Gathered<ActionReply>> {
    return this.call(commands.cancelConsumer(queue), options);
  }
  /** Workers exit without answering: this resolves once the command is sent. */
  shutdown(options?: CallOptions): Promise<Gathered<never>> {
    return this.call(commands.shutdown(), options);
  }
  ping(options?: CallOptions): Promise<Gathered<ActionReply>> {
    return this.call(commands.ping(), options);
  }
  active(options?: CallOptions): Promise<Gathered<TaskInfo[]>> {
    return this.call(commands.active(), options);
  }
  reserved(options?: CallOptions): Promise<Gathered<TaskInfo[]>> {
    return this.call(commands.reserved(), options);
  }
  scheduled(options?: CallOptions): Promise<Gathered<ScheduledTask[]>> {
    return this.call(commands.scheduled(), options);
  }
  /** Task names; with `taskinfoitems` (e.g. `['rate_limit']`) each name is followed by those attributes. */
  registered(options: CallOptions & { taskinfoitems?: readonly string[] } = {}): Promise<Gathered<string[]>> {
    return this.call(commands.registered(options.taskinfoitems), options);
  }
  stats(options?: CallOptions): Promise<Gathered<JsonObject>> {
    return this.call(commands.stats(), options);
  }
  activeQueues(options?: CallOptions): Promise<Gathered<QueueInfo[]>> {
    return this.call(commands.activeQueues(), options);
  }
  queryTask(ids: string | readonly string[], options?: CallOptions): Promise<Gathered<QueryTaskReply>> {
    return this.call(commands.queryTask(typeof ids === 'string' ? [ids] : ids), options);
  }
  /** Ids of the tasks the worker holds as revoked. */
  revoked(options?: CallOptions): Promise<Gathered<string[]>> {
    return this.call(commands.revoked(), options);
  }
  /** The worker's settings that differ from Celery's defaults (all of them with `withDefaults`). */
  conf(options: CallOptions & { withDefaults?: boolean } = {}): Promise<Gathered<JsonObject>> {
    return this.call(commands.conf(options.withDefaults), options);
  }

  /** Stops waiting calls (they resolve with what they gathered), removes the reply queue and disconnects. */
  async close(): Promise<void> {
    this.closed = true;
    for (const collector of this.collectors.values()) collector.done();
    const link = this.link;
    this.link = null;
    await link?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private call<T>(command: ControlCommand, options: CallOptions = {}): Promise<Gathered<T>> {
    return this.broadcast(command, options) as Promise<Gathered<T>>;
  }

  private receive(message: InboundMessage): void {
    const ticket = message.headers.ticket;
    const reply = parseReply(message, typeof ticket === 'string' ? ticket : '');
    if (reply.type !== 'reply') return this.countMalformed();
    this.clock = Math.max(this.clock, reply.clock) + 1;
    // None: the answer to a call that gave up waiting already.
    const collector = this.collectors.get(ticket as string);
    if (collector === undefined) return;
    collector.replies[reply.hostname] = reply.result;
    collector.awaited?.delete(reply.hostname);
    if (collector.awaited?.size === 0) collector.done();
  }

  private countMalformed(): void {
    this.malformedReplies++;
    for (const collector of this.collectors.values()) collector.malformed++;
  }
}
