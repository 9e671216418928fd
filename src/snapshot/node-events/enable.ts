/**
 * Makes a celery-node Worker visible to Celery monitors (our camera,
 * `celery events`, Flower): it then sends worker-online, a worker-heartbeat
 * every `freq` seconds and worker-offline, and for each task
 * task-received, task-started and task-succeeded or task-failed, in the
 * format a Python worker uses.
 *
 * It hooks the worker instance without subclassing and without touching
 * its result backend, so it composes with attachBackend/instrumentWorker
 * (src/backend/celery-node.ts) in either order: both wrap
 * createTaskHandler and call what was there before. The task handler is
 * called synchronously inside celery-node's message callback, which is
 * how the wrapped handler learns which task it runs.
 */
import { createRequire } from 'node:module';
import { hostname as osHostname, loadavg, type as osType } from 'node:os';
import { ConfigError } from '../../errors.js';
import type { ControlRequest } from '../../control/pidbox.js';
import type { JsonValue } from '../../core/protocol/json-value.js';
import { EventDispatcher, type DispatcherReport } from './dispatcher.js';
import { PyFloat, type Fields } from './event-body.js';
import { argsRepr, exceptionRepr, kwargsRepr, pythonStrRepr, resultRepr, tracebackOf } from './python-repr.js';

/** What is used of a celery-node Worker; the real class fits it. */
export interface EventsWorker {
  readonly conf: { CELERY_BROKER: string; CELERY_QUEUE: string };
  readonly handlers: Record<string, (...args: unknown[]) => Promise<unknown>>;
  createTaskHandler(): unknown;
  run(): Promise<unknown>;
  disconnect(): Promise<unknown>;
}

export interface CeleryEventsOptions {
  /** Default the worker's own broker URL: amqp(s):// or redis(s)://, as celery-node takes. */
  brokerUrl?: string;
  /** The worker's nodename; default `celery-node@<os hostname>`. Give each process its own. */
  hostname?: string;
  /** Seconds between heartbeats; default 2.0, as Celery's worker. 0.1–3600. */
  freq?: number;
  /** Send task events as task.multi arrays, as a Python worker; default true. */
  batch?: boolean;
  /** Start with the worker's run() and stop (worker-offline) with its disconnect(); default true. */
  auto?: boolean;
  /** Default `celeryev`. */
  exchange?: string;
  /** Send task events from the start (a Python worker's -E); default true. Worker events are always sent. */
  taskEvents?: boolean;
  /** Remote-control requests other than heartbeat, with the way to answer one that asks (see EventDispatcher). */
  onControl?: (request: ControlRequest, reply: (answer: JsonValue) => boolean) => void;
  /** Problems and connection changes; a throwing listener is ignored. */
  onReport?: (report: CeleryEventsReport) => void;
}

export type CeleryEventsReport = DispatcherReport | { type: 'start-failed'; error: unknown } | { type: 'hook-error'; error: unknown };

export interface CeleryEvents extends AsyncDisposable {
  /** Connects and sends worker-online; heartbeats follow every freq seconds. */
  start(): Promise<void>;
  /** Sends worker-offline and closes the connection. */
  close(): Promise<void>;
  readonly hostname: string;
  /** Turns task events on or off (remote control's enable_events/disable_events); false when that was already so. */
  setTaskEvents(on: boolean): boolean;
  /**
   * task-received for a message now, for a worker that holds messages
   * before it hands them to the handler (a Python worker's reserved
   * tasks); the handler then sends no second one.
   */
  taskReceived(message: unknown): void;
  /** task-revoked, as a Python worker sends when it skips a revoked task or terminates one. */
  taskRevoked(taskId: string, terminated: boolean): void;
  stats(): { sent: number; messages: number; dropped: number; active: number; processed: number };
}

const hooked = new WeakSet<object>();

function softwareInfo(): Fields {
  let version = 'unknown';
  try {
    version = (createRequire(import.meta.url)('celery-node/package.json') as { version: string }).version;
  } catch {
    // celery-node is an optional peer; the version is only shown by monitors.
  }
  const system = osType() === 'Windows_NT' ? 'Windows' : osType();
  return [
    ['sw_ident', 'celery-node'],
    ['sw_ver', version],
    ['sw_sys', system],
  ];
}

/** Installs the hooks (no I/O); with `auto` the events start with worker.start() and stop with worker.disconnect(). */
export function enableCeleryEvents(worker: EventsWorker, options: CeleryEventsOptions = {}): CeleryEvents {
  if (typeof worker !== 'object' || worker === null || typeof worker.createTaskHandler !== 'function') {
    throw new ConfigError('enableCeleryEvents needs a celery-node Worker');
  }
  if (hooked.has(worker)) throw new ConfigError('Celery events are already enabled on this worker');
  const freq = options.freq ?? 2.0;
  if (!(freq >= 0.1 && freq <= 3600)) throw new ConfigError(`freq must be between 0.1 and 3600 seconds, got ${freq}`);
  const hostname = options.hostname ?? `celery-node@${osHostname()}`;
  const software = softwareInfo();
  const report = (r: CeleryEventsReport): void => {
    try {
      options.onReport?.(r);
    } catch {
      // ignored by contract
    }
  };
  const dispatcher = new EventDispatcher({
    brokerUrl: options.brokerUrl ?? worker.conf.CELERY_BROKER,
    hostname,
    exchange: options.exchange,
    batch: options.batch,
    software,
    onReport: report,
    ...(options.onControl && { onControl: (request: ControlRequest) => options.onControl?.(request, (answer) => dispatcher.reply(request, answer)) }),
  });
  let taskEvents = options.taskEvents ?? true;
  const sendTaskEvent = (type: string, fields: Fields): void => {
    if (taskEvents) dispatcher.send(type, fields);
  };
  let active = 0;
  let processed = 0;
  let phase: 'new' | 'running' | 'closed' = 'new';
  let timer: NodeJS.Timeout | null = null;

  const workerFields = (): Fields => [
    ['freq', new PyFloat(freq)],
    ['active', active],
    ['processed', processed],
    ['loadavg', loadavg().map((n) => new PyFloat(Math.round(n * 100) / 100))],
    ...software,
  ];
  const safely = (what: () => void): void => {
    try {
      what();
    } catch (error) {
      report({ type: 'hook-error', error });
    }
  };

  // Messages whose task-received went out when they arrived, before they reached the handler.
  const announced = new WeakSet<object>();
  const sendReceived = (task: ReceivedTask): void =>
    sendTaskEvent('task-received', [
      ['uuid', task.id],
      ['name', task.name],
      ['args', task.argsrepr ?? argsRepr(task.args)],
      ['kwargs', task.kwargsrepr ?? kwargsRepr(task.kwargs)],
      ['root_id', task.rootId],
      ['parent_id', task.parentId],
      ['retries', task.retries],
      ['eta', task.eta],
      ['expires', task.expires],
    ]);
  const events: CeleryEvents = {
    hostname,
    async start() {
      if (phase !== 'new') return;
      phase = 'running';
      await dispatcher.start();
      dispatcher.send('worker-online', workerFields());
      timer = setInterval(() => dispatcher.send('worker-heartbeat', workerFields()), freq * 1000);
      timer.unref();
    },
    async close() {
      if (phase === 'closed') return;
      const wasRunning = phase === 'running';
      phase = 'closed';
      if (timer !== null) clearInterval(timer);
      if (wasRunning) dispatcher.send('worker-offline', workerFields());
      await dispatcher.close();
    },
    setTaskEvents(on) {
      const changed = taskEvents !== on;
      taskEvents = on;
      return changed;
    },
    taskReceived(message) {
      const task = phase === 'running' ? readTask(message) : null;
      if (task === null || typeof message !== 'object' || message === null) return;
      announced.add(message);
      safely(() => sendReceived(task));
    },
    taskRevoked(taskId, terminated) {
      if (phase === 'running') sendTaskEvent('task-revoked', [['uuid', taskId], ['terminated', terminated], ['signum', terminated ? 15 : null], ['expired', false]]);
    },
    stats: () => ({ ...dispatcher.counts, active, processed }),
    [Symbol.asyncDispose]: () => events.close(),
  };

  // The task about to run, set around celery-node's synchronous call of the handler.
  let current: { id: string; started: bigint } | null = null;

  const wrapHandler = (name: string): void => {
    const handler = worker.handlers[name];
    if (handler === undefined || hooked.has(handler)) return;
    const wrapped = (...args: unknown[]): Promise<unknown> => {
      const task = current;
      current = null;
      if (task === null || phase !== 'running') return handler(...args);
      active++;
      safely(() => sendTaskEvent('task-started', [['uuid', task.id]]));
      const settle = (): number => {
        active--;
        processed++;
        return Number(process.hrtime.bigint() - task.started) / 1e9;
      };
      return handler(...args).then(
        (result) => {
          const runtime = settle();
          safely(() => sendTaskEvent('task-succeeded', [['uuid', task.id], ['result', resultRepr(result)], ['runtime', new PyFloat(runtime)]]));
          return result;
        },
        (error: unknown) => {
          settle();
          safely(() => sendTaskEvent('task-failed', [['uuid', task.id], ['exception', exceptionRepr(error)], ['traceback', tracebackOf(error)]]));
          throw error;
        },
      );
    };
    hooked.add(wrapped);
    worker.handlers[name] = wrapped;
  };

  const original = worker.createTaskHandler.bind(worker);
  (worker as { createTaskHandler(): unknown }).createTaskHandler = () => {
    const handle = original() as (message: unknown) => unknown;
    return (message: unknown) => {
      const task = phase === 'running' ? readTask(message) : null;
      if (task === null) return handle(message);
      if (Object.hasOwn(worker.handlers, task.name)) {
        safely(() => {
          if (!announced.has(message as object)) sendReceived(task);
          wrapHandler(task.name);
        });
      } else {
        // As a Python worker does for a task it does not know (Consumer.on_unknown_task).
        safely(() => sendTaskEvent('task-failed', [['uuid', task.id], ['exception', `NotRegistered(${pythonStrRepr(task.name)})`], ['traceback', null]]));
      }
      current = { id: task.id, started: process.hrtime.bigint() };
      try {
        return handle(message);
      } finally {
        current = null;
      }
    };
  };

  if (options.auto ?? true) {
    const run = worker.run.bind(worker);
    (worker as { run(): Promise<unknown> }).run = async () => {
      await events.start().catch((error: unknown) => report({ type: 'start-failed', error }));
      return run();
    };
    const disconnect = worker.disconnect.bind(worker);
    (worker as { disconnect(): Promise<unknown> }).disconnect = async () => {
      await events.close();
      return disconnect();
    };
  }
  hooked.add(worker);
  return events;
}

export interface ReceivedTask {
  id: string;
  name: string;
  args: unknown;
  kwargs: unknown;
  argsrepr: string | null;
  kwargsrepr: string | null;
  rootId: string | null;
  parentId: string | null;
  retries: number;
  eta: string | null;
  expires: string | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** The task in a celery-node Message (protocol 2 headers + [args, kwargs, embed], or a protocol 1 body); null if unreadable. */
export function readTask(message: unknown): ReceivedTask | null {
  try {
    const m = message as { headers?: Record<string, unknown>; decode(): unknown } | null;
    if (m === null || typeof m !== 'object' || typeof m.decode !== 'function') return null;
    const headers = m.headers ?? {};
    const body = m.decode();
    const v2 = typeof headers.task === 'string' && Array.isArray(body);
    const source = (v2 ? headers : body) as Record<string, unknown> | null;
    if (source === null || typeof source !== 'object') return null;
    const id = text(source.id);
    const name = text(source.task);
    if (id === null || name === null) return null;
    const [args, kwargs] = v2 ? (body as unknown[]) : [source.args, source.kwargs];
    return {
      id,
      name,
      args,
      kwargs,
      argsrepr: text(source.argsrepr),
      kwargsrepr: text(source.kwargsrepr),
      rootId: text(source.root_id),
      parentId: text(source.parent_id),
      retries: typeof source.retries === 'number' ? source.retries : 0,
      eta: text(source.eta),
      expires: text(source.expires),
    };
  } catch {
    return null;
  }
}
