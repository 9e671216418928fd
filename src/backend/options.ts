/**
 * The result backend's one options object: every field with its default,
 * resolved and checked once, with messages that say what is allowed.
 */
import { printProblem } from '../core/log-line.js';
import { parseDuration } from '../config/duration.js';
import { layoutOption, type Layout } from '../db/layout.js';
import type { OpenOptions } from '../db/open.js';
import { ConfigError } from '../errors.js';
import type { RetryPolicy } from '../db/transient.js';

/** What the backend reports that no caller's promise can carry. */
export type BackendEvent =
  /** A transient database error; the statement is tried again after `delayMs`. */
  | { type: 'retry'; operation: string; attempt: number; delayMs: number; error: unknown }
  /** A store nobody awaited failed for good (celery-node's Worker does not await its stores). */
  | { type: 'store-failed'; taskId: string; state: string; error: unknown }
  /** A read nobody can be told about failed (celery-node polls without handling errors); the poll reads null. */
  | { type: 'read-failed'; taskId: string; error: unknown }
  /** A celery-node worker received a task it has no handler for; it was stored as FAILURE (NotRegistered). */
  | { type: 'unregistered-task'; taskId: string; name: string }
  /** A celery-node worker could not handle a message at all (no task id, undecodable body…). */
  | { type: 'message-error'; taskId: string | null; error: unknown }
  /** args/kwargs were over maxResultBytes and were stored as null; the task itself was stored. */
  | { type: 'args-dropped'; taskId: string; bytes: number }
  /** Redis backend: the SUBSCRIBE connection could not be opened; waits poll until one can (each wait tries again). */
  | { type: 'subscribe-failed'; error: unknown };

export interface RedactInput {
  readonly taskId: string;
  readonly name: string | null;
  readonly args: unknown;
  readonly kwargs: unknown;
}

export interface ResultBackendOptions {
  /**
   * Largest result stored, in bytes of JSON (UTF-8). A bigger result is
   * stored as FAILURE (ResultTooLargeError) and the store rejects; tracebacks
   * are cut to it; args/kwargs over it are stored as null. Default 1 MiB;
   * between 1 KiB and 64 MiB (MySQL's max_allowed_packet must exceed it).
   */
  maxResultBytes?: number;
  /** Store task args and kwargs (name, worker, queue… are always stored). Default true. */
  storeArgs?: boolean;
  /** Rewrites args/kwargs before they are stored, e.g. to mask secrets. Default: stored as given. */
  redactArgs?: (input: RedactInput) => { args: unknown; kwargs: unknown };
  /** Most task writes per multi-row statement when concurrent writes are coalesced. Default 256; 1 to 1000. */
  maxBatchRows?: number;
  /**
   * Retrying transient database errors (lost connection, deadlock,
   * serialization failure, SQLite busy, lock wait timeout). Defaults:
   * 6 attempts in all, waits from 20 ms doubling up to 2000 ms, with jitter.
   * When a statement fails and the database does not answer at all, the
   * call waits for it up to `waitForDatabaseMs` (probing it twice a second)
   * and goes on the moment it answers, so stores made during an outage are
   * written once it ends. Default 60000; 0 to 3600000; 0 fails at once.
   */
  retry?: { attempts?: number; minDelayMs?: number; maxDelayMs?: number; waitForDatabaseMs?: number };
  /**
   * waitFor()'s longest poll interval in ms when the call gives none, for
   * when the database pushes nothing: polls start a few ms after a read and
   * double up to it. Default 500 (Celery's); 1 to 60000.
   */
  pollInterval?: number;
  /**
   * PostgreSQL: waiters LISTEN (one connection per process) for the ids
   * stores make ready, so a wait ends the moment the result is committed
   * and idle waiters send no queries. Default true. Set false behind
   * PgBouncer in transaction mode, where LISTEN cannot work (it is also
   * detected, and waits then poll). Stores NOTIFY either way, for waiters
   * in other processes. Ignored on MySQL and SQLite.
   */
  notify?: boolean;
  /**
   * Ids in a cleanup statement's batch at first; cleanup doubles the batch
   * (up to 16×) while statements take under 50 ms and halves it (down to ⅛)
   * after one over 200 ms, so no statement holds locks for long. Default
   * 5000; 100 to 100000.
   */
  cleanupBatchSize?: number;
  /** Receives {@link BackendEvent}s. Default: failures and unregistered tasks go to console.error, the rest is dropped. */
  onEvent?: (event: BackendEvent) => void;
  /** Pool size and SQLite busy timeout for a database opened from a URL; ignored when you pass a Database. */
  database?: OpenOptions;
  /**
   * Whose tables hold the results: `djcelery` (ours, celery_taskmeta and
   * celery_tasksetmeta; the default) or `django` (django-celery-results'
   * django_celery_results_taskresult and _groupresult, made by Django's
   * migrations, in the encoding its backend uses, so Python workers with
   * result_backend = 'django-db' and this backend read each other's results).
   */
  layout?: Layout;
}

export interface ResolvedOptions {
  readonly maxResultBytes: number;
  readonly storeArgs: boolean;
  readonly redactArgs: ResultBackendOptions['redactArgs'];
  readonly maxBatchRows: number;
  readonly retry: RetryPolicy & { readonly waitForDatabaseMs: number };
  readonly pollInterval: number;
  readonly notify: boolean;
  readonly cleanupBatchSize: number;
  readonly onEvent: (event: BackendEvent) => void;
  readonly database: OpenOptions;
  readonly layout: Layout;
}

const KiB = 1024;
const MiB = 1024 * KiB;

export function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number between ${min} and ${max}, got ${String(value)}`);
  }
  return value;
}

function callback<F>(name: string, value: unknown): F | undefined {
  if (value === undefined || typeof value === 'function') return value as F | undefined;
  throw new ConfigError(`${name} must be a function, got ${typeof value}`);
}

export function defaultOnEvent(event: BackendEvent): void {
  switch (event.type) {
    case 'store-failed':
      printProblem('error', 'backend', `storing ${event.state} for task ${event.taskId} failed`, event.error);
      break;
    case 'read-failed':
      printProblem('error', 'backend', `reading task ${event.taskId} failed`, event.error);
      break;
    case 'message-error':
      printProblem('error', 'backend', `a celery-node worker could not handle task ${event.taskId ?? '(no id)'}`, event.error);
      break;
    case 'unregistered-task':
      printProblem('error', 'backend', `task ${event.taskId} names "${event.name}", which this worker has no handler for; stored as FAILURE`);
      break;
    case 'subscribe-failed':
      printProblem('warn', 'backend', 'waits poll Redis: the SUBSCRIBE connection could not be opened', event.error);
      break;
    default:
      break;
  }
}

export function resolveOptions(options: ResultBackendOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new ConfigError('result backend options must be an object');
  const retry = options.retry ?? {};
  const minDelayMs = integer('retry.minDelayMs', retry.minDelayMs, 20, 1, 60_000);
  const maxDelayMs = integer('retry.maxDelayMs', retry.maxDelayMs, Math.max(2000, minDelayMs), minDelayMs, 300_000);
  for (const name of ['storeArgs', 'notify'] as const) {
    if (options[name] !== undefined && typeof options[name] !== 'boolean') {
      throw new ConfigError(`${name} must be true or false, got ${String(options[name])}`);
    }
  }
  return {
    maxResultBytes: integer('maxResultBytes', options.maxResultBytes, MiB, KiB, 64 * MiB),
    storeArgs: options.storeArgs ?? true,
    redactArgs: callback('redactArgs', options.redactArgs),
    maxBatchRows: integer('maxBatchRows', options.maxBatchRows, 256, 1, 1000),
    retry: {
      attempts: integer('retry.attempts', retry.attempts, 6, 1, 20),
      minDelayMs,
      maxDelayMs,
      waitForDatabaseMs: integer('retry.waitForDatabaseMs', retry.waitForDatabaseMs, 60_000, 0, 3_600_000),
    },
    pollInterval: integer('pollInterval', options.pollInterval, 500, 1, 60_000),
    notify: options.notify ?? true,
    cleanupBatchSize: integer('cleanupBatchSize', options.cleanupBatchSize, 5000, 100, 100_000),
    onEvent: callback('onEvent', options.onEvent) ?? defaultOnEvent,
    database: options.database ?? {},
    layout: layoutOption(options.layout),
  };
}

/**
 * An expiry age in ms: a number of ms, or a duration as the CLI takes it
 * (`1d`, `12h`, `90s`). Bare numbers in text are seconds, as in the CLI.
 */
export function resolveExpires(expires: unknown, name = 'expires'): number {
  if (typeof expires === 'number' && Number.isFinite(expires) && expires >= 0) return expires;
  if (typeof expires === 'string') {
    const seconds = parseDuration(expires);
    if (seconds !== undefined) return seconds * 1000;
  }
  throw new ConfigError(
    `${name} must be a number of milliseconds (0 or more) or a duration such as "1d", "12h" or "90s", got ${JSON.stringify(expires) ?? String(expires)}`,
  );
}
