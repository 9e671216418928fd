/**
 * The camera's one options object: every field with its default, resolved
 * and checked once, with bounded, human messages.
 */
import type { Database } from '../../db/open.js';
import { transportOf } from '../../broker/url.js';
import { ConfigError } from '../../errors.js';
import { DEFAULT_EXPIRY, type ExpiryLimits } from '../store/cleanup.js';
import type { CameraEvent } from './events.js';
import { parseRate } from './rate-limit.js';

export interface CameraOptions {
  /** Where the tables are. The camera uses it and never closes it. */
  database: Database;
  /** The Celery workers' broker: amqp(s):// (RabbitMQ) or redis(s):// / redis+socket:// (Redis), as Celery's broker_url. */
  brokerUrl: string;
  /** Seconds between snapshots; default 1.0, as `celery events --camera` (`--freq`). 0.01–3600. */
  freq?: number;
  /** At most this many snapshots: `100/m`, `5/s`, `10/h` or per second; default none (Celery's `--maxrate`). */
  maxrate?: string | number | null;
  /** Seconds a SUCCESS row is kept; default 1 day; null keeps them. */
  expireSuccess?: number | null;
  /** Seconds a FAILURE or REVOKED row is kept; default 3 days; null keeps them. */
  expireError?: number | null;
  /** Seconds a row in any other state (unfinished: PENDING, RECEIVED, STARTED, RETRY, REJECTED, custom) is kept; default 5 days; null keeps them. */
  expirePending?: number | null;
  /** Seconds between cleanups; default 3600, as djcelery's camera. 1–86400. */
  cleanupInterval?: number;
  /** Rows the first cleanup statement covers (it adapts to keep each statement short); default 1000. 1–100000. */
  cleanupBatchSize?: number;
  /**
   * Seconds between reconciliations with celery_taskmeta (tasks whose final
   * events were missed); default 60; null turns it off. It also runs after
   * the first snapshot and after each broker reconnection.
   */
  reconcileInterval?: number | null;
  /** Seconds between heartbeat writes of one worker (liveness changes are written at once); default 1. 0–3600. */
  workerWriteInterval?: number;
  /** Tasks kept in memory; default 10000, as Celery's State. */
  maxTasks?: number;
  /** Workers kept in memory; default 5000. */
  maxWorkers?: number;
  /**
   * Task changes held for the database while it is down; default 100000.
   * Past it the oldest are dropped, counted and reported (`changes-dropped`).
   */
  maxPendingTasks?: number;
  /**
   * Task rows per statement, each statement its own transaction; default
   * 5000. 1–100000. Also what a snapshot waits for under load: once this
   * many task changes are pending, they are written without waiting for
   * the next `freq` tick (unless `maxrate` is set).
   */
  rowsPerStatement?: number;
  /** Celery's event_exchange; default `celeryev`. */
  exchange?: string;
  /**
   * AMQP only: consume the events from this named queue, shared with every
   * camera given the same name (each event goes to one of them), instead of
   * a queue of its own; events are acknowledged once their snapshot is
   * written. Default none.
   */
  sharedQueue?: string | null;
  /** Event queue x-message-ttl, ms; default 5000 (AMQP: Redis keeps no queue for events). */
  queueTtlMs?: number;
  /** Event queue x-expires, ms; default 60000 (AMQP). */
  queueExpiresMs?: number;
  /** Broadcast the `heartbeat` wake-up on each connection, as `celery events` does; default true. */
  wakeUpWorkers?: boolean;
  /** Reconnect backoff, ms: first delay (default 500) and longest (default 1000, so the camera is back within a second of the broker). */
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** Everything the camera does and every problem it meets; a throwing listener is counted, not fatal. */
  onEvent?: (event: CameraEvent) => void;
  /** Local clock, epoch ms; default Date.now. */
  now?: () => number;
}

export interface ResolvedCameraOptions {
  sharedQueue: string | null;
  freqMs: number;
  maxrate: number | null;
  expiry: ExpiryLimits;
  cleanupIntervalMs: number;
  cleanupBatchSize: number;
  reconcileIntervalMs: number | null;
  workerWriteIntervalMs: number;
  maxTasks: number;
  maxWorkers: number;
  maxPendingTasks: number;
  rowsPerStatement: number;
}

function within(name: string, value: number, min: number, max: number, unit = ''): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max}${unit}, got ${value}`);
  }
  return value;
}

function integer(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value)) throw new ConfigError(`${name} must be a whole number, got ${value}`);
  return within(name, value, min, max);
}

function expiry(name: string, value: number | null | undefined, fallback: number | null): number | null {
  if (value === undefined) return fallback;
  if (value === null) return null;
  return within(name, value, 1, 100 * 365 * 86_400, ' seconds');
}

export function resolveCameraOptions(o: CameraOptions): ResolvedCameraOptions {
  const maxrate = o.maxrate === undefined || o.maxrate === null ? null : typeof o.maxrate === 'number' ? o.maxrate : parseRate(o.maxrate);
  if (maxrate !== null && !(maxrate > 0 && Number.isFinite(maxrate))) throw new ConfigError(`maxrate must be more than zero, got ${maxrate}`);
  const reconcile = o.reconcileInterval === undefined ? 60 : o.reconcileInterval;
  const sharedQueue = o.sharedQueue ?? null;
  if (sharedQueue !== null) {
    if (sharedQueue.trim() === '' || sharedQueue.length > 255) throw new ConfigError(`sharedQueue must be a queue name of 1 to 255 characters, got "${sharedQueue}"`);
    if (transportOf(o.brokerUrl) === 'redis') {
      throw new ConfigError(
        'a shared event queue needs an AMQP broker: on Redis, Celery events are PUB/SUB messages that every subscriber receives and none can share; run one camera there',
      );
    }
  }
  return {
    sharedQueue,
    freqMs: within('freq', o.freq ?? 1, 0.01, 3600, ' seconds') * 1000,
    maxrate,
    expiry: {
      success: expiry('expireSuccess', o.expireSuccess, DEFAULT_EXPIRY.success),
      error: expiry('expireError', o.expireError, DEFAULT_EXPIRY.error),
      pending: expiry('expirePending', o.expirePending, DEFAULT_EXPIRY.pending),
    },
    cleanupIntervalMs: within('cleanupInterval', o.cleanupInterval ?? 3600, 1, 86_400, ' seconds') * 1000,
    cleanupBatchSize: integer('cleanupBatchSize', o.cleanupBatchSize ?? 1000, 1, 100_000),
    reconcileIntervalMs: reconcile === null ? null : within('reconcileInterval', reconcile, 1, 86_400, ' seconds') * 1000,
    workerWriteIntervalMs: within('workerWriteInterval', o.workerWriteInterval ?? 1, 0, 3600, ' seconds') * 1000,
    maxTasks: integer('maxTasks', o.maxTasks ?? 10_000, 1, 10_000_000),
    maxWorkers: integer('maxWorkers', o.maxWorkers ?? 5_000, 1, 1_000_000),
    maxPendingTasks: integer('maxPendingTasks', o.maxPendingTasks ?? 100_000, 100, 100_000_000),
    rowsPerStatement: integer('rowsPerStatement', o.rowsPerStatement ?? 5000, 1, 100_000),
  };
}
