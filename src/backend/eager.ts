/**
 * Eager mode: Celery's CELERY_ALWAYS_EAGER (djcelery's test runner) for
 * celery-node. A client with the shape of celery-node's Client whose
 * sendTask() runs the registered task function in this process, with no
 * broker, and stores what a worker would through the result backend:
 * STARTED with name, args, worker and queue, then SUCCESS with the result
 * or FAILURE with the error as Celery stores it. A test hands it to the
 * code under test in place of the real client and asserts on rows and
 * results that went through the same JSON and the same table.
 *
 * Arguments and results cross JSON as they do on the wire: a Date argument
 * arrives as a string, a BigInt argument is refused at sendTask(), and a
 * result JSON cannot carry is stored as FAILURE (EncodeError), exactly as
 * in production.
 */
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import { FAILURE, READY_STATES, SUCCESS } from '../core/states.js';
import type { PrismaResultBackend } from './backend.js';
import { InvalidArgumentError, TaskFailedError, TaskTimeoutError } from './errors.js';
import { notRegisteredException, readExceptionInfo, type TaskMeta } from './meta.js';
import type { TaskDetails } from './task-write.js';

/** A task function as celery-node calls it: the message's args spread, then the kwargs object. */
export type EagerTaskFunction = (...args: never[]) => unknown;

/** Where the task functions come from: a celery-node Worker (its registered handlers), or functions by task name. */
export type EagerTasks = { readonly handlers: object; readonly conf?: { CELERY_QUEUE?: string } } | Readonly<Record<string, EagerTaskFunction>>;

export interface EagerOptions {
  /** Stored as the task's worker. Default `eager@<os hostname>`. */
  hostname?: string;
  /** Stored as the task's queue. Default the worker's queue, or `celery` for functions by name. */
  queue?: string;
}

/** What sendTask() returns: the parts of celery-node's AsyncResult a caller uses. */
export interface EagerResult {
  readonly taskId: string;
  /**
   * The result once the run has ended and is stored, read back from the
   * table (so it is what a real client would get). Rejects with
   * {@link EagerTaskFailedError} for FAILURE or REVOKED, with
   * TaskTimeoutError after `timeout` ms (the function goes on running), or
   * with the backend's error if the result could not be stored. `interval`
   * is accepted for celery-node's signature and not needed.
   */
  get(timeout?: number, interval?: number): Promise<unknown>;
  /** The stored state now (STARTED while the function runs; PENDING before anything was stored). */
  status(): Promise<string>;
  /** The stored result now (an exception's `{exc_type, exc_message, exc_module}` for FAILURE). */
  result(): Promise<unknown>;
}

/** celery-node's Task, as createTask() returns it. */
export interface EagerTask {
  delay(...args: unknown[]): EagerResult;
  applyAsync(args?: readonly unknown[], kwargs?: Readonly<Record<string, unknown>>): EagerResult;
}

/** The parts of celery-node's Client an application calls, running tasks in-process. */
export interface EagerClient {
  sendTask(name: string, args?: readonly unknown[], kwargs?: Readonly<Record<string, unknown>>, taskId?: string): EagerResult;
  createTask(name: string): EagerTask;
  /** A result by id: a run of this client, or any task in the table (get() then polls, as celery-node does). */
  asyncResult(taskId: string): EagerResult;
  /** Resolves once the backend is usable. */
  isReady(): Promise<void>;
  /** Waits for every run still going and its stores. The backend stays open: you own it. */
  disconnect(): Promise<void>;
}

/**
 * A task that ended in FAILURE or REVOKED, as eager get() rejects: a
 * TaskFailedError that also carries Celery's field names, as the Error of
 * celery-node's AsyncResult.get() does, so code written against either
 * reads it (`error.exc_type` or `error.excType`).
 */
export class EagerTaskFailedError extends TaskFailedError {
  readonly exc_type: string;
  readonly exc_message: unknown[];
  readonly exc_module: string | null;

  constructor(meta: TaskMeta) {
    const info = readExceptionInfo(meta.result);
    super(meta.task_id, meta.status, info, meta.traceback);
    this.exc_type = info.exc_type;
    this.exc_message = info.exc_message;
    this.exc_module = info.exc_module;
  }
}

interface Run {
  /** Settles (never rejects) once the final state is stored, or could not be. */
  ended: Promise<void>;
  /** Why storing failed, when it did (the database, not the result). */
  storeError?: unknown;
}

/**
 * An eager client on `tasks` (a celery-node Worker, whose handlers are
 * looked up at each call so tasks registered later are found, or an object
 * of task functions by name) storing through `backend`. No I/O until a
 * task is sent.
 */
export function createEagerClient(tasks: EagerTasks, backend: PrismaResultBackend, options: EagerOptions = {}): EagerClient {
  if (typeof tasks !== 'object' || tasks === null) {
    throw new InvalidArgumentError('createEagerClient needs a celery-node Worker or an object of task functions by name');
  }
  const hostname = text('hostname', options.hostname) ?? `eager@${osHostname()}`;
  const fromWorker = isWorker(tasks);
  const queue = text('queue', options.queue) ?? (fromWorker ? tasks.conf?.CELERY_QUEUE : undefined) ?? 'celery';
  const table: object = fromWorker ? tasks.handlers : tasks;
  // Every run of this client, kept so a later get() knows a run whose store failed.
  const runs = new Map<string, Run>();

  const lookup = (name: string): EagerTaskFunction | undefined => {
    if (!Object.hasOwn(table, name)) return undefined;
    const found = (table as Record<string, unknown>)[name];
    return typeof found === 'function' ? (found as EagerTaskFunction) : undefined;
  };

  const execute = async (run: Run, id: string, name: string, args: unknown[], kwargs: Record<string, unknown>): Promise<void> => {
    const details: TaskDetails = { name, args, kwargs, worker: hostname, queue, retries: 0 };
    const fn = lookup(name);
    try {
      if (fn === undefined) {
        // As a worker does for a message naming a task it has no handler for.
        await backend.storeResult(id, notRegisteredException(name), FAILURE, details);
        return;
      }
      await backend.markStarted(id, details);
    } catch (error) {
      run.storeError = error;
      return;
    }
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await (fn as (...values: unknown[]) => unknown)(...args, kwargs) };
    } catch (error) {
      outcome = { ok: false, error };
    }
    try {
      if (outcome.ok) await backend.storeResult(id, outcome.value, SUCCESS, details);
      else await backend.markFailed(id, outcome.error, details);
    } catch (error) {
      // A result JSON cannot carry was stored as FAILURE (EncodeError) already; get() reads it.
      run.storeError = error;
    }
  };

  const resultFor = (id: string): EagerResult => ({
    taskId: id,
    async get(timeout?: number) {
      const run = runs.get(id);
      if (run === undefined) return backend.waitFor(id, { timeout }).catch(rethrow(backend, id));
      if (timeout !== undefined) await within(run.ended, id, timeout);
      else await run.ended;
      const meta = await backend.getTaskMeta(id);
      if (READY_STATES.has(meta.status)) return settle(meta);
      throw run.storeError ?? new TaskTimeoutError(id, timeout ?? 0, meta.status);
    },
    async status() {
      return (await backend.getTaskMeta(id)).status;
    },
    async result() {
      return (await backend.getTaskMeta(id)).result;
    },
  });

  const client: EagerClient = {
    sendTask(name, args = [], kwargs = {}, taskId) {
      if (typeof name !== 'string' || name === '') throw new InvalidArgumentError('sendTask needs a task name');
      if (!Array.isArray(args)) throw new InvalidArgumentError('args must be an array');
      if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) throw new InvalidArgumentError('kwargs must be an object');
      const id = taskId ?? randomUUID();
      if (runs.has(id)) throw new InvalidArgumentError(`task id ${id} was sent by this client already`);
      const wire = overTheWire(name, args, kwargs);
      const run: Run = { ended: Promise.resolve() };
      run.ended = execute(run, id, name, wire.args, wire.kwargs).catch((error: unknown) => {
        run.storeError = error;
      });
      runs.set(id, run);
      return resultFor(id);
    },
    createTask(name) {
      return {
        delay: (...args) => client.sendTask(name, args),
        applyAsync: (args, kwargs) => client.sendTask(name, args, kwargs),
      };
    },
    asyncResult: (taskId) => resultFor(taskId),
    isReady: () => backend.start(),
    async disconnect() {
      // Runs may send tasks of their own: wait until no new run appeared.
      for (let seen = -1; seen !== runs.size; ) {
        seen = runs.size;
        await Promise.all([...runs.values()].map((run) => run.ended));
      }
    },
  };
  return client;
}

function isWorker(tasks: EagerTasks): tasks is Extract<EagerTasks, { handlers: object }> {
  const handlers = (tasks as { handlers?: unknown }).handlers;
  return typeof handlers === 'object' && handlers !== null;
}

function text(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw new InvalidArgumentError(`${name} must be a non-empty string`);
  return value;
}

/** args and kwargs as a worker receives them: through JSON, as celery-node's client sends them. */
function overTheWire(name: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>) {
  try {
    return JSON.parse(JSON.stringify({ args, kwargs })) as { args: unknown[]; kwargs: Record<string, unknown> };
  } catch (error) {
    throw new InvalidArgumentError(`${name}: args and kwargs must be JSON, as they would be sent: ${(error as Error).message}`);
  }
}

function settle(meta: TaskMeta): unknown {
  if (meta.status === SUCCESS) return meta.result;
  throw new EagerTaskFailedError(meta);
}

/** waitFor()'s TaskFailedError with Celery's field names too. */
const rethrow = (backend: PrismaResultBackend, id: string) => async (error: unknown): Promise<never> => {
  if (error instanceof TaskFailedError) throw new EagerTaskFailedError(await backend.getTaskMeta(id));
  throw error;
};

async function within(ended: Promise<void>, id: string, timeout: number): Promise<void> {
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0) {
    throw new InvalidArgumentError(`timeout must be a number of milliseconds, 0 or more, got ${String(timeout)}`);
  }
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), timeout);
  });
  try {
    if ((await Promise.race([ended, expired])) === 'expired') throw new TaskTimeoutError(id, timeout, 'STARTED');
  } finally {
    clearTimeout(timer);
  }
}
