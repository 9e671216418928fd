/**
 * createHandler's one options object: every field with its default,
 * resolved and checked once, with bounded, human messages.
 */
import type { ResultBackend } from '../backend/contract.js';
import type { QueueStats } from '../broker/queue-stats.js';
import type { Control } from '../control/index.js';
import { formatLine, printProblem } from '../core/log-line.js';
import { layoutOption, type Layout } from '../db/layout.js';
import type { Database } from '../db/open.js';
import { ConfigError } from '../errors.js';
import { DEFAULT_MAX_BODY_BYTES } from './http/body.js';
import type { ErrorLog } from './http/errors.js';
import type { LiveFeed } from './live/live-feed.js';
import type { Metrics } from './metrics/metrics.js';
import type { Liveness } from './monitor/workers.js';
import type { ApplyOptions, Publisher } from './views/apply.js';
import type { DeclaredTasks } from './views/registered.js';

export interface MonitorOptions {
  /** Seconds between the workers' heartbeats (Celery's worker_heartbeat). Default 2; 0.1–3600. */
  heartbeatFreq?: number;
  /**
   * Seconds the camera may take to write a heartbeat it received: its
   * `--freq`, plus up to a second for its throttle of heartbeat writes.
   * Default 2 (the camera's default freq of 1, plus 1); 0.01–3600.
   */
  cameraFreq?: number;
  /** Seconds a worker has to answer the monitor's remote control (worker detail, actions). Default 1, as Celery's; 0.1–60. */
  controlTimeout?: number;
  /** Queues the queues view always lists, beside those the tables name (and the default queue). Default none. */
  queues?: readonly string[];
}

export interface WebHandlerOptions {
  /** The tables' database (openDatabase or useDatabase). The handler reads through it and never closes it. */
  database: Database;
  /** Whose tables hold results and periodic tasks: `djcelery` (ours; the default) or `django` (django-celery-results' and django-celery-beat's). */
  layout?: Layout;
  /**
   * Where /tasks/:id/status and /tasks/:id/done read results: any
   * ResultBackend, e.g. a RedisResultBackend (you keep owning it: close it
   * yourself). Default: the database's celery_taskmeta. The monitor's
   * results pages read the database's table either way.
   */
  resultBackend?: ResultBackend;
  /** Where the handler is mounted: with '/celery' it answers '/celery/tasks/…'. Default '' (the root). */
  basePath?: string;
  /** Your app's task names, for the registered-tasks view. Default: only the names periodic tasks send. */
  tasks?: DeclaredTasks;
  /** Turns the apply view on for the names listed (needs `token`). Default off: every name answers 403. */
  apply?: ApplyOptions;
  /** Sends tasks for apply and the monitor's "run now": a started publisher (createTaskPublisher), which you keep owning. */
  publisher?: Publisher;
  /**
   * Celery's remote control for the worker detail, revoke and the worker
   * actions: a started Control (which you keep owning), or a function that
   * gives one, called on each use (start it on the first). Default: none.
   */
  control?: ControlSource;
  /**
   * Pushes "something changed" events to the monitor page at /api/live
   * (a LiveFeed, which you keep owning: close it before your server). Default
   * none: the page refreshes on its timer.
   */
  live?: LiveFeed;
  /** Counts the messages and consumers of each queue for the monitor (createQueueStats), which you keep owning. Default: names only. */
  queueStats?: QueueStats;
  /**
   * Bearer token that every route that changes something requires (apply,
   * and the monitor's periodic-task actions). Without it the monitor is
   * read-only, and apply is off unless `apply.unsafeOpen` opens it to
   * whoever reaches it, as djcelery's was.
   */
  token?: string;
  /**
   * Serves GET /metrics (Prometheus text): `true` for the tables' and the
   * queues' families read through this handler's database and queueStats,
   * or a Metrics you made (to add a camera's or a backend's counters).
   * Default false.
   */
  metrics?: boolean | Metrics;
  /**
   * Who the token stands for: the audit trail of schedule changes names
   * changes made through the monitor `web:<tokenLabel>`. Default `monitor`.
   */
  tokenLabel?: string;
  /** Serves the monitor page and its JSON API under `/` and `/api/`. Default false. */
  monitor?: boolean | MonitorOptions;
  /** Largest request body in bytes; larger ones get 413. Default 65536; 1 to 10485760. */
  maxBodyBytes?: number;
  /** Where unexpected errors go. Default console.error. */
  onError?: ErrorLog;
  /** Receives one line per change made through the monitor (what was done, to what). Default: stderr, in the package's log format. */
  onAction?: ActionLog;
  /** The clock. Default: the system's. */
  now?: () => Date;
}

/** A started Control, or a function that gives one (started on first use). */
export type ControlSource = Control | (() => Promise<Control>);

/** One change made through the monitor, described; the logger adds when. */
export type ActionLog = (message: string) => void;

export interface ResolvedWebOptions {
  readonly database: Database;
  readonly layout: Layout;
  readonly resultBackend: ResultBackend | undefined;
  readonly basePath: string;
  readonly tasks: DeclaredTasks | undefined;
  readonly allowed: ReadonlySet<string>;
  readonly queue: string | undefined;
  /** apply.unsafeOpen: GET as well as POST, and no token needed when none is set. */
  readonly applyOpen: boolean;
  readonly publisher: Publisher | undefined;
  readonly token: string | undefined;
  /** Who the audit trail names for changes made through the monitor: `web:<tokenLabel>`. */
  readonly actor: string;
  readonly monitor: Liveness | null;
  /** The queues the monitor lists whatever the tables say: the configured ones and the default queue. */
  readonly monitorQueues: readonly string[];
  readonly queueStats: QueueStats | undefined;
  readonly live: LiveFeed | undefined;
  readonly control: ControlSource | undefined;
  readonly controlTimeoutMs: number;
  readonly maxBodyBytes: number;
  readonly onError: ErrorLog;
  readonly onAction: ActionLog;
  readonly now: () => Date;
}

export function within(name: string, value: number, min: number, max: number, unit: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max} ${unit}, got ${String(value)}`);
  }
  return value;
}

function basePathOf(path: string | undefined): string {
  if (path === undefined || path === '' || path === '/') return '';
  if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new ConfigError(`basePath must be a path such as "/celery", got ${JSON.stringify(path)}`);
  }
  return path.replace(/\/+$/, '');
}

function allowList(apply: ApplyOptions | undefined, token: string | undefined): ReadonlySet<string> {
  if (apply === undefined) return new Set();
  if (!Array.isArray(apply.allow) || !apply.allow.every((name) => typeof name === 'string' && name !== '')) {
    throw new ConfigError('apply.allow must be a list of task names');
  }
  if (apply.queue !== undefined && (typeof apply.queue !== 'string' || apply.queue === '')) {
    throw new ConfigError(`apply.queue must be a queue name, got ${JSON.stringify(apply.queue)}`);
  }
  if (apply.unsafeOpen !== undefined && typeof apply.unsafeOpen !== 'boolean') {
    throw new ConfigError(`apply.unsafeOpen must be true or false, got ${JSON.stringify(apply.unsafeOpen)}`);
  }
  if (apply.allow.length > 0 && token === undefined && apply.unsafeOpen !== true) {
    throw new ConfigError(
      'apply sends tasks for whoever asks: set a token, which apply then requires, ' +
        "or apply.unsafeOpen: true for djcelery's open GET and POST (any web page your users visit could send these tasks)",
    );
  }
  return new Set(apply.allow);
}

/** Celery's task_default_queue. */
const DEFAULT_QUEUE = 'celery';

function queueList(queues: readonly string[] | undefined): readonly string[] {
  if (queues === undefined) return [];
  if (!Array.isArray(queues) || !queues.every((queue) => typeof queue === 'string' && queue !== '')) {
    throw new ConfigError('monitor.queues must be a list of queue names');
  }
  return queues;
}

export function resolveWebOptions(options: WebHandlerOptions): ResolvedWebOptions {
  const { database } = options;
  if (typeof database !== 'object' || database === null || !('prisma' in database)) {
    throw new ConfigError('createHandler needs { database } from openDatabase() or useDatabase()');
  }
  if (options.token !== undefined && (typeof options.token !== 'string' || options.token.length < 16)) {
    throw new ConfigError('token must be at least 16 characters (e.g. openssl rand -hex 32)');
  }
  const label = options.tokenLabel ?? 'monitor';
  if (typeof label !== 'string' || label.trim() === '' || label.length > 200) {
    throw new ConfigError(`tokenLabel must be a name of 1 to 200 characters, got ${JSON.stringify(label)}`);
  }
  const monitor = options.monitor === true ? {} : options.monitor === false || options.monitor === undefined ? null : options.monitor;
  if (options.resultBackend !== undefined && (typeof options.resultBackend !== 'object' || typeof options.resultBackend?.getTaskMeta !== 'function')) {
    throw new ConfigError('resultBackend must be a result backend (PrismaResultBackend, RedisResultBackend)');
  }
  return {
    database,
    layout: layoutOption(options.layout),
    resultBackend: options.resultBackend,
    basePath: basePathOf(options.basePath),
    tasks: options.tasks,
    allowed: allowList(options.apply, options.token),
    queue: options.apply?.queue,
    applyOpen: options.apply?.unsafeOpen === true,
    publisher: options.publisher,
    token: options.token,
    actor: `web:${label.trim()}`,
    monitor:
      monitor === null
        ? null
        : {
            heartbeatFreq: within('monitor.heartbeatFreq', monitor.heartbeatFreq ?? 2, 0.1, 3600, 'seconds'),
            cameraFreq: within('monitor.cameraFreq', monitor.cameraFreq ?? 2, 0.01, 3600, 'seconds'),
          },
    monitorQueues: [...queueList(monitor?.queues), options.apply?.queue ?? DEFAULT_QUEUE],
    queueStats: options.queueStats,
    live: options.live,
    control: options.control,
    controlTimeoutMs: within('monitor.controlTimeout', monitor?.controlTimeout ?? 1, 0.1, 60, 'seconds') * 1000,
    maxBodyBytes: within('maxBodyBytes', options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, 1, 10 * 1024 * 1024, 'bytes'),
    onAction: options.onAction ?? ((message) => process.stderr.write(`${formatLine(new Date(), 'info', 'web', message)}\n`)),
    onError: options.onError ?? ((message, error) => printProblem('error', 'web', message, error)),
    now: options.now ?? (() => new Date()),
  };
}
