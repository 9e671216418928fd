/**
 * `prisma-celery worker` as a library: a celery-node Worker running the
 * discovered tasks with this package's result backend, Celery events and
 * remote control, consuming one or more queues on AMQP or Redis
 * (consumer.ts), through a pool that runs them (pool.ts).
 */
import { instrumentWorker } from '../backend/celery-node.js';
import type { PrismaResultBackend } from '../backend/backend.js';
import { revokedException } from '../backend/meta.js';
import { within } from '../broker/send-policy.js';
import { parseRedisUrl, transportOf } from '../broker/url.js';
import { REVOKED } from '../core/states.js';
import { enableCeleryEvents, readTask, type CeleryEvents, type CeleryEventsReport } from '../snapshot/node-events/enable.js';
import { createNodeWorker, type NodeWorker } from './celery-node.js';
import { createConsumer, type Consumer, type NodeMessage } from './consumer.js';
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

/** Celery's default prefetch multiplier. */
const PREFETCH_MULTIPLIER = 4;

/** How long stopping waits for the event link to send worker-offline and close. */
const EVENTS_CLOSE_MS = 3_000;

export class CeleryWorker {
  readonly pool: TaskPool;
  readonly queues: readonly string[];
  private node: NodeWorker | null = null;
  private events: CeleryEvents | null = null;
  private current: TaskContext | null = null;
  private stopping = false;
  private startedAt = 0;
  private consumer: Consumer | null = null;
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
    const consumer = createConsumer(node, transportOf(o.brokerUrl), {
      queues: this.queues,
      pool: this.pool,
      onLost: (error) => this.emit({ type: 'broker-lost', error }),
    });
    this.consumer = consumer;
    this.gate(node);
    // Without a listener, amqplib's error on a refused declaration would end the process with a stack.
    node.broker.connect?.then((connection) => connection.on('error', () => {}), () => {});
    // The database first, so that what isReady() and consuming then fail on is the broker's.
    await o.backend.start();
    await node.isReady().catch((error: unknown) => {
      throw queueRefused(error, this.queues);
    });
    await this.events.start();
    this.startedAt = Date.now();
    await consumer.start(node.createTaskHandler() as (message: unknown) => unknown).catch((error: unknown) => {
      throw queueRefused(error, this.queues);
    });
  }

  /** Calls `listener` when remote control asks the worker to shut down. */
  onShutdownRequest(listener: (reason: string) => void): void {
    this.onShutdown.add(listener);
  }

  /**
   * Stops taking tasks, lets the running ones finish and their results be
   * stored, sends worker-offline and disconnects. Reserved tasks go back to
   * the queue on AMQP and run first on Redis (see consumer.ts).
   */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const node = this.node;
    if (node === null) return;
    await this.consumer?.stop((dropReserved) => this.pool.drain(dropReserved));
    await node.backend.disconnect();
    // worker-offline goes out if the broker is there; a link still reconnecting to a dead one is not waited for.
    await within(this.events?.close() ?? Promise.resolve(), EVENTS_CLOSE_MS);
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
        if (typeof message !== 'object' || message === null) return handle(message);
        const { ack, delivery } = (this.consumer as Consumer).receipt(message as NodeMessage);
        const task = readTask(message);
        if (task === null || !this.options.tasks.has(task.name)) {
          // Unreadable or unknown: the instrumentation stores the failure at once.
          ack();
          return handle(message);
        }
        this.deliveries.set(message, delivery);
        this.events?.taskReceived(message);
        this.pool.receive({
          id: task.id,
          name: task.name,
          args: task.args,
          kwargs: task.kwargs,
          deliveryInfo: delivery,
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

/** A refused declaration as one line: celery-node declares its queues durable and without arguments, and cannot be told otherwise. */
function queueRefused(error: unknown, queues: readonly string[]): WorkerError {
  const why = error instanceof Error ? error.message : String(error);
  const hint = /PRECONDITION.FAILED/.test(why)
    ? ': celery-node declares each queue durable and without arguments, so give it queues declared that way (not with x-max-priority or a TTL)'
    : '';
  return new WorkerError('E_WORKER_QUEUE', `the broker refused the worker's queue(s) ${queues.join(', ')}: ${why}${hint}`, { cause: error });
}
