/**
 * celery-node (0.5.x) on this backend. Typed against the shape of its
 * Worker and Client rather than by importing it, so this module loads where
 * celery-node (an optional peer) is not installed.
 *
 * celery-node creates its backend lazily behind `get backend()` (from
 * `_backend`); attaching fills `_backend` before anything reads it, which
 * works on `new Worker(...)` and on `createWorker(...)` alike.
 */
import { hostname as osHostname } from 'node:os';
import { FAILURE, STARTED } from '../core/states.js';
import type { ResultBackend } from './contract.js';
import { InvalidArgumentError, TaskTimeoutError } from './errors.js';
import { readyMetaOf, reportTo } from './hooks.js';
import { notRegisteredException, type TaskMeta } from './meta.js';
import type { TaskDetails } from './task-write.js';

/** What the helpers use of a celery-node Worker or Client; the real classes fit it. */
export interface CeleryNodeApp {
  readonly conf: { CELERY_QUEUE: string };
}

/** What the worker helper uses of a celery-node Worker. */
export interface CeleryNodeWorker extends CeleryNodeApp {
  readonly handlers: object;
  createTaskHandler(): unknown;
}

/** celery-node's backend contract, as this package fulfils it for an attached app. */
export interface CeleryNodeBackend {
  isReady(): Promise<void>;
  /** Waits for this app's stores; leaves the result backend open (you own it: close it yourself). */
  disconnect(): Promise<void>;
  /** Never rejects (celery-node does not await it): a failure is retried, then reported through onEvent. */
  storeResult(taskId: string, result: unknown, state: string): Promise<void>;
  /** Never rejects (celery-node polls it without a catch): a failed read is reported and reads as null, so polling goes on. */
  getTaskMeta(taskId: string): Promise<TaskMeta | null>;
}

export interface InstrumentOptions {
  /** Stored as the task's worker. Default `celery-node@<os hostname>`. */
  hostname?: string;
  /**
   * The queue a message came from, stored as the task's queue (Celery
   * stores the delivery's routing key); default the worker's CELERY_QUEUE.
   * For a worker that consumes several queues.
   */
  queueOf?: (message: unknown) => string | null | undefined;
}

const adapters = new WeakMap<object, { backend: ResultBackend; adapter: Tracker }>();

/** The adapter plus the stores it has not seen settle. */
class Tracker implements CeleryNodeBackend {
  readonly #backend: ResultBackend;
  readonly #pending = new Set<Promise<void>>();

  constructor(backend: ResultBackend) {
    this.#backend = backend;
  }

  isReady(): Promise<void> {
    return this.#backend.start();
  }

  async disconnect(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  storeResult(taskId: string, result: unknown, state: string): Promise<void> {
    return this.track(this.#backend.storeResult(taskId, result, state), taskId, state);
  }

  getTaskMeta(taskId: string): Promise<TaskMeta | null> {
    return this.#backend.getTaskMeta(taskId).catch((error: unknown) => {
      reportTo(this.#backend, { type: 'read-failed', taskId: String(taskId), error });
      return null;
    });
  }

  /** Settles when `store` does, never rejecting: a failure goes to onEvent. */
  track(store: Promise<void>, taskId: string, state: string): Promise<void> {
    const settled = store.catch((error: unknown) => {
      reportTo(this.#backend, { type: 'store-failed', taskId: String(taskId), state, error });
    });
    this.#pending.add(settled);
    void settled.then(() => this.#pending.delete(settled));
    return settled;
  }
}

/**
 * Makes a celery-node Worker or Client store and read results through
 * `backend`. Call it before the app's first start(), sendTask() or
 * asyncResult(): those create celery-node's own backend.
 */
export function attachBackend<T extends CeleryNodeApp>(app: T, backend: ResultBackend): T {
  attach(app, backend);
  return app;
}

function attach(app: CeleryNodeApp, backend: ResultBackend): Tracker {
  if (typeof app !== 'object' || app === null || typeof app.conf !== 'object') {
    throw new InvalidArgumentError('attachBackend needs a celery-node Worker or Client');
  }
  const known = adapters.get(app);
  if (known) {
    if (known.backend !== backend) throw new InvalidArgumentError('this celery-node app already uses another result backend');
    return known.adapter;
  }
  const slot = app as unknown as { _backend?: unknown };
  if (slot._backend !== undefined) {
    throw new InvalidArgumentError(
      'the celery-node app has already created its own backend: attach before start(), sendTask() or asyncResult()',
    );
  }
  const adapter = new Tracker(backend);
  slot._backend = adapter;
  adapters.set(app, { backend, adapter });
  wakeResults(app, backend);
  return adapter;
}

/** celery-node's AsyncResult, as much as get() needs. */
interface CeleryNodeResult {
  readonly taskId: string;
  get(timeout?: number, interval?: number): Promise<unknown>;
}

const ERROR_STATES = new Set(['FAILURE', 'REVOKED']);

/**
 * A Client's results wait as waitFor() does (woken by the store, not a
 * setInterval of reads), settling as celery-node's get() does: the result,
 * or an Error named for the state carrying the stored exception's fields
 * (`TIMEOUT` after `timeout` ms; 0 or none waits for good).
 */
function wakeResults(app: CeleryNodeApp, backend: ResultBackend): void {
  const client = app as unknown as Record<'sendTask' | 'asyncResult', unknown>;
  for (const method of ['sendTask', 'asyncResult'] as const) {
    const original = client[method];
    if (typeof original !== 'function') continue;
    client[method] = (...args: unknown[]): unknown => {
      const result = (original as (...a: unknown[]) => unknown).apply(app, args) as CeleryNodeResult;
      result.get = async (timeout?: number, interval?: number) => {
        const options = { ...(timeout ? { timeout } : {}), ...(interval ? { interval } : {}) };
        const meta = await readyMetaOf(backend, result.taskId, options).catch((error: unknown) => {
          if (error instanceof TaskTimeoutError) throw new Error('TIMEOUT');
          throw error;
        });
        if (ERROR_STATES.has(meta.status)) throw Object.assign(new Error(meta.status), meta.result);
        return meta.result;
      };
      return result;
    };
  }
}

/** A received message, as much of celery-node's Message as is read here. */
interface Message {
  readonly headers?: Record<string, unknown>;
  decode(): unknown;
}

interface ReceivedTask {
  id: string;
  name: string;
  args: unknown;
  kwargs: unknown;
  retries: number;
}

/** The task in a message, read the way celery-node's Worker reads it (protocol 2 headers, or a protocol 1 body). */
function readTask(message: Message): ReceivedTask {
  const headers = message.headers ?? {};
  const body = message.decode();
  const v1 = typeof headers.task !== 'string' || !Array.isArray(body);
  const source = (v1 ? body : headers) as Record<string, unknown> | null;
  const [args, kwargs] = v1 ? [source?.args ?? [], source?.kwargs ?? {}] : (body as unknown[]);
  const id = source?.id;
  const name = source?.task;
  if (typeof id !== 'string' || typeof name !== 'string') throw new InvalidArgumentError('the message names no task id or task name');
  const retries = typeof source?.retries === 'number' ? source.retries : 0;
  return { id, name, args, kwargs, retries };
}

const headerId = (message: Message): string | null => {
  const id = message.headers?.id;
  return typeof id === 'string' ? id : null;
};

/**
 * Attaches `backend` to a celery-node Worker and records what celery-node
 * does not: STARTED with name, args, kwargs, worker, queue and retries when
 * a task begins. A message naming a task the worker has no handler for is
 * stored as FAILURE (Celery's NotRegistered) instead of throwing inside the
 * consumer, which in celery-node 0.5.9 kills the process after the message
 * was already acked. Call it before worker.start().
 */
export function instrumentWorker<T extends CeleryNodeWorker>(
  worker: T,
  backend: ResultBackend,
  options: InstrumentOptions = {},
): T {
  const tracker = attach(worker, backend);
  if (typeof worker.createTaskHandler !== 'function') throw new InvalidArgumentError('instrumentWorker needs a celery-node Worker');
  const hostname = options.hostname ?? `celery-node@${osHostname()}`;
  const original = worker.createTaskHandler.bind(worker);
  const patched = worker as { createTaskHandler(): unknown };
  patched.createTaskHandler = () => {
    const handle = original() as (message: unknown) => unknown;
    return (message: Message | null | undefined) => {
      if (message === null || message === undefined) return handle(message);
      let task: ReceivedTask;
      try {
        task = readTask(message);
      } catch (error) {
        reportTo(backend, { type: 'message-error', taskId: headerId(message), error });
        return Promise.resolve();
      }
      const details: TaskDetails = {
        name: task.name,
        args: task.args,
        kwargs: task.kwargs,
        worker: hostname,
        queue: options.queueOf?.(message) ?? worker.conf.CELERY_QUEUE,
        retries: task.retries,
      };
      if (!Object.hasOwn(worker.handlers, task.name)) {
        reportTo(backend, { type: 'unregistered-task', taskId: task.id, name: task.name });
        return tracker.track(backend.storeResult(task.id, notRegisteredException(task.name), FAILURE, details), task.id, FAILURE);
      }
      void tracker.track(backend.markStarted(task.id, details), task.id, STARTED);
      try {
        return handle(message);
      } catch (error) {
        // Whatever celery-node throws before running the handler would kill the process.
        reportTo(backend, { type: 'message-error', taskId: task.id, error });
        return tracker.track(backend.markFailed(task.id, error, details), task.id, FAILURE);
      }
    };
  };
  return worker;
}
