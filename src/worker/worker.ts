/**
 * `prisma-celery worker` as a library: a celery-node Worker running the
 * discovered tasks with this package's result backend, Celery events and
 * remote control, consuming one or more queues on AMQP or Redis.
 *
 * celery-node 0.5.9 acks a message on receipt and takes as many as the
 * broker gives; here it is held to Celery's behaviour instead: on AMQP the
 * channel gets a prefetch count and its acks wait until the task starts
 * (or is skipped), so reserved tasks go back to the queue if the worker
 * dies or stops; on Redis its receive loop waits for room in the pool
 * before the next BRPOP, which covers every queue and priority list at
 * once, as kombu's does.
 */
import { instrumentWorker } from '../backend/celery-node.js';
import type { PrismaResultBackend } from '../backend/backend.js';
import { revokedException } from '../backend/meta.js';
import { within } from '../broker/send-policy.js';
import { parseRedisUrl, transportOf } from '../broker/url.js';
import { priorityList, PRIORITY_STEPS, queueBinding, bindingKey } from '../broker/redis/routing.js';
import { REVOKED } from '../core/states.js';
import { enableCeleryEvents, readTask, type CeleryEvents, type CeleryEventsReport } from '../snapshot/node-events/enable.js';
import { createNodeWorker, type AmqpRawMessage, type NodeWorker } from './celery-node.js';
import { WorkerError } from './errors.js';
import { TaskPool, type DeliveryInfo, type TaskContext, type TaskRequest } from './pool.js';
import { answerControl, type ControlledWorker } from './remote-control.js';
import type { TaskEntry } from './task-table.js';

export interface WorkerOptions {
  brokerUrl: string;
  backend: PrismaResultBackend;
  tasks: ReadonlyMap<string, TaskEntry>;
  /** Default ['celery']. */
  queues?: readonly string[];
  concurrency: number;
  /** The node name, already expanded (see hostname.ts). */
  hostname: string;
  /** Send task events from the start; default true. */
  taskEvents?: boolean;
  onEvent?: (event: WorkerEvent) => void;
}

export type WorkerEvent =
  | { type: 'task-started'; id: string; name: string }
  | { type: 'task-succeeded'; id: string; name: string; runtime: number }
  | { type: 'task-failed'; id: string; name: string; runtime: number; error: unknown }
  | { type: 'task-revoked'; id: string; name: string; terminated: boolean }
  | { type: 'control'; method: string; answered: boolean }
  | { type: 'shutdown-requested'; reason: string }
  | { type: 'broker-lost'; error: Error | undefined }
  | { type: 'events'; report: CeleryEventsReport };

/** Longer than celery-node's BRPOP wait (5 s), after which its receive loop sees it is closing. */
const REDIS_LOOP_END_MS = 7_000;

/** Celery's default prefetch multiplier. */
const PREFETCH_MULTIPLIER = 4;

export class CeleryWorker {
  readonly pool: TaskPool;
  readonly queues: readonly string[];
  private node: NodeWorker | null = null;
  private events: CeleryEvents | null = null;
  private current: TaskContext | null = null;
  private stopping = false;
  private startedAt = 0;
  private consuming: Promise<unknown> = Promise.resolve();
  private readonly onShutdown = new Set<(reason: string) => void>();
  /** How each message in the pool came, for the queue stored with its task. */
  private readonly deliveries = new WeakMap<object, DeliveryInfo>();

  constructor(private readonly options: WorkerOptions) {
    this.queues = options.queues?.length ? options.queues : ['celery'];
    this.pool = new TaskPool({
      concurrency: options.concurrency,
      prefetch: options.concurrency * PREFETCH_MULTIPLIER,
      onEvent: (event) => {
        if (event.type === 'started') this.emit({ type: 'task-started', id: event.request.id, name: event.request.name });
        else if (event.type === 'revoked') this.revoked(event.request, event.terminated);
      },
    });
  }

  get hostname(): string {
    return this.options.hostname;
  }

  /** Connects, then consumes; resolves once consuming. */
  async start(): Promise<void> {
    if (this.node !== null) throw new WorkerError('E_WORKER_STATE', 'the worker is already started');
    const o = this.options;
    const node = await createNodeWorker(o.brokerUrl, this.queues[0] as string);
    this.node = node;
    for (const entry of o.tasks.values()) node.register(entry.name, (...args) => this.call(entry, args));
    instrumentWorker(node, o.backend, { hostname: o.hostname, queueOf: (message) => this.deliveries.get(message as object)?.routing_key });
    this.storeTerminatedAsRevoked(node);
    this.events = enableCeleryEvents(node, {
      brokerUrl: o.brokerUrl,
      hostname: o.hostname,
      auto: false,
      taskEvents: o.taskEvents ?? true,
      onControl: (request, reply) => {
        const outcome = answerControl(this.controlled(), request.method, request.arguments, Date.now());
        const answered = outcome.reply !== undefined && request.reply !== null && reply(outcome.reply);
        this.emit({ type: 'control', method: request.method, answered });
      },
      onReport: (report) => this.emit({ type: 'events', report }),
    });
    this.gate(node);
    await node.isReady();
    await this.events.start();
    this.startedAt = Date.now();
    await this.consume(node);
  }

  /** Calls `listener` when remote control asks the worker to shut down. */
  onShutdownRequest(listener: (reason: string) => void): void {
    this.onShutdown.add(listener);
  }

  /**
   * Stops taking tasks, lets the running ones finish and their results be
   * stored, sends worker-offline and disconnects. Reserved tasks go back to
   * the queue on AMQP and run first on Redis (celery-node took them off their list).
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const node = this.node;
    if (node === null) return;
    const amqp = transportOf(this.options.brokerUrl) === 'amqp';
    const brokerClosed = amqp ? Promise.resolve() : node.broker.disconnect().catch(() => {});
    await this.pool.drain(amqp);
    // AMQP: after the running tasks were acked; closing requeues the reserved ones.
    if (amqp) await node.broker.disconnect().catch(() => {});
    // celery-node's Redis loop ends within its 5 s BRPOP, or never once its server is gone: then the socket is dropped.
    if (!(await within(Promise.all([brokerClosed, this.consuming.catch(() => {})]), REDIS_LOOP_END_MS))) node.broker.redis?.disconnect();
    await node.backend.disconnect();
    await this.events?.close();
  }

  private emit(event: WorkerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch {
      // A throwing listener must not stop the worker.
    }
  }

  /** What celery-node calls for a task: the function with its args, kwargs and the task's context. */
  private call(entry: TaskEntry, args: unknown[]): unknown {
    const context = this.current;
    this.current = null;
    const began = process.hrtime.bigint();
    const runtime = (): number => Number(process.hrtime.bigint() - began) / 1e9;
    const id = context?.id ?? '?';
    return Promise.resolve()
      .then(() => entry.fn(...args, context))
      .then(
        (result) => {
          if (!this.pool.wasTerminated(id)) this.emit({ type: 'task-succeeded', id, name: entry.name, runtime: runtime() });
          return result;
        },
        (error: unknown) => {
          if (!this.pool.wasTerminated(id)) this.emit({ type: 'task-failed', id, name: entry.name, runtime: runtime(), error });
          throw error;
        },
      );
  }

  /** Whatever a terminated task's function ends with, its result is REVOKED, as a Python worker's. */
  private storeTerminatedAsRevoked(node: NodeWorker): void {
    const backend = node.backend;
    const store = backend.storeResult.bind(backend);
    backend.storeResult = (taskId, result, state) =>
      this.pool.wasTerminated(taskId) ? store(taskId, revokedException('terminated'), REVOKED) : store(taskId, result, state);
  }

  private revoked(request: TaskRequest, terminated: boolean): void {
    this.emit({ type: 'task-revoked', id: request.id, name: request.name, terminated });
    this.events?.taskRevoked(request.id, terminated);
    if (terminated) return;
    void this.node?.backend.storeResult(request.id, revokedException('revoked'), REVOKED);
  }

  /** Puts the pool between celery-node's consumer and its task handler (outermost, so the others run when the task starts). */
  private gate(node: NodeWorker): void {
    const original = node.createTaskHandler.bind(node);
    (node as { createTaskHandler(): unknown }).createTaskHandler = () => {
      const handle = original() as (message: unknown) => unknown;
      return (message: unknown) => {
        const m = message as { headers?: Record<string, unknown>; properties?: Record<string, unknown> } | null;
        const { ack, delivery } = this.takeAck(m);
        const task = readTask(message);
        if (task === null || !this.options.tasks.has(task.name)) {
          // Unreadable or unknown: the instrumentation stores the failure at once.
          ack();
          return handle(message);
        }
        const deliveryInfo = delivery ?? deliveryOfRedis(m?.properties);
        if (m !== null) this.deliveries.set(m, deliveryInfo);
        this.pool.receive({
          id: task.id,
          name: task.name,
          args: task.args,
          kwargs: task.kwargs,
          deliveryInfo,
          ack,
          run: (context) => {
            this.current = context;
            try {
              return Promise.resolve(handle(message));
            } finally {
              this.current = null;
            }
          },
        });
        return undefined;
      };
    };
  }

  // AMQP: celery-node acks each message just before handing it over; that ack is kept here until the task starts.
  private unacked: AmqpRawMessage | null = null;
  private ackRaw: ((raw: AmqpRawMessage) => void) | null = null;

  private takeAck(message: { headers?: unknown } | null): { ack: () => void; delivery: DeliveryInfo | null } {
    const raw = this.unacked;
    this.unacked = null;
    const ackRaw = this.ackRaw;
    if (raw === null || ackRaw === null || message === null || raw.properties.headers !== message.headers) return { ack: () => {}, delivery: null };
    const ack = (): void => {
      try {
        ackRaw(raw);
      } catch {
        // The channel is gone: the broker requeues the message itself.
      }
    };
    const delivery = { exchange: raw.fields.exchange, routing_key: raw.fields.routingKey, priority: raw.properties.priority ?? null, redelivered: raw.fields.redelivered };
    return { ack, delivery };
  }

  private async consume(node: NodeWorker): Promise<void> {
    const onMessage = node.createTaskHandler() as (message: unknown) => unknown;
    const broker = node.broker;
    if (transportOf(this.options.brokerUrl) === 'amqp') {
      const channel = await (broker.channel as NonNullable<typeof broker.channel>);
      const connection = await (broker.connect as NonNullable<typeof broker.connect>);
      connection.on('error', () => {});
      connection.on('close', (error) => {
        if (!this.stopping) this.emit({ type: 'broker-lost', error });
      });
      await channel.prefetch(this.pool.prefetch);
      this.ackRaw = channel.ack.bind(channel);
      channel.ack = (raw) => {
        this.unacked = raw;
      };
      for (const queue of this.queues) await broker.subscribe(queue, onMessage);
      return;
    }
    const redis = broker.redis as NonNullable<typeof broker.redis>;
    redis.on('error', (error) => {
      if (!this.stopping) this.emit({ type: 'broker-lost', error });
    });
    // As kombu declares a queue: the binding a publisher to exchange <queue> looks up.
    for (const queue of this.queues) {
      const { exchange, member } = queueBinding(queue);
      await redis.sadd(bindingKey(exchange), member);
    }
    const receiveOne = (broker.receiveOne as NonNullable<typeof broker.receiveOne>).bind(broker);
    broker.receiveOne = async (lists) => {
      await this.pool.room();
      return this.stopping ? null : receiveOne(lists);
    };
    // One BRPOP over every queue's priority lists, in kombu's order (priority first); ioredis spreads the array.
    const lists = PRIORITY_STEPS.flatMap((step) => this.queues.map((queue) => priorityList(queue, step)));
    this.consuming = broker.subscribe(lists, onMessage);
  }

  private controlled(): ControlledWorker {
    const url = this.options.brokerUrl;
    const transport = transportOf(url);
    const target = transport === 'redis' ? parseRedisUrl(url) : null;
    const amqpUrl = target === null ? new URL(url) : null;
    return {
      hostname: this.options.hostname,
      pool: this.pool,
      taskNames: [...this.options.tasks.keys()],
      queues: this.queues,
      startedAt: this.startedAt,
      broker: {
        transport,
        hostname: target?.host ?? amqpUrl?.hostname ?? '',
        port: target?.port ?? (amqpUrl?.port ? Number(amqpUrl.port) : 5672),
        virtual_host: target !== null ? String(target.db) : decodeURIComponent(amqpUrl?.pathname.slice(1) || '/'),
      },
      setTaskEvents: (on) => this.events?.setTaskEvents(on) ?? false,
      shutdown: (reason) => {
        this.emit({ type: 'shutdown-requested', reason });
        for (const listener of this.onShutdown) listener(reason);
      },
    };
  }
}

/** A Redis message's delivery_info, as kombu put it in the envelope's properties. */
function deliveryOfRedis(properties: Record<string, unknown> | undefined): DeliveryInfo {
  const info = (properties?.delivery_info ?? {}) as { exchange?: unknown; routing_key?: unknown };
  return {
    exchange: typeof info.exchange === 'string' ? info.exchange : '',
    routing_key: typeof info.routing_key === 'string' ? info.routing_key : '',
    priority: typeof properties?.priority === 'number' ? properties.priority : null,
    redelivered: false,
  };
}
