/**
 * Which database errors say "try again later" rather than "these rows are
 * wrong", by code (never by message text): lost or refused connections,
 * timeouts, SQLite busy or locked, deadlocks, serialization failures, lock
 * waits. Recognised whether Prisma or the adapter itself threw (see
 * adapter-error.ts); plus the bounded retry loop with backoff. Used by the
 * result backend (which retries) and the camera's snapshot store (which
 * keeps rows for the next snapshot).
 */
import { isSocketTrouble } from '../core/socket-fault.js';
import { adapterCauses, type AdapterCause } from './adapter-error.js';

// The adapters map some driver errors to a kind of their own: SQLite's
// SQLITE_BUSY arrives as SocketTimeout, PostgreSQL's 40001/40P01 and
// MySQL's 1213 as TransactionWriteConflict, PostgreSQL's 53300 and MySQL's
// 1040 as TooManyConnections, refused connections as DatabaseNotReachable.
const TRANSIENT_KINDS = new Set(['ConnectionClosed', 'SocketTimeout', 'TransactionWriteConflict', 'DatabaseNotReachable', 'TooManyConnections']);

const PG_TRANSIENT = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57P01', // admin_shutdown (pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '53300', // too_many_connections
]);

const MYSQL_TRANSIENT = new Set([
  1205, // ER_LOCK_WAIT_TIMEOUT
  1213, // ER_LOCK_DEADLOCK
  1040, // ER_CON_COUNT_ERROR
  1053, // ER_SERVER_SHUTDOWN
  1927, // ER_CONNECTION_KILLED (MariaDB)
  2006, // CR_SERVER_GONE_ERROR
  2013, // CR_SERVER_LOST
  45009, // the mariadb connector's "socket has unexpectedly been closed"
  45028, // the mariadb connector's pool timeout: no connection could be made in time
]);

// SQLite primary result codes (the low byte of an extended code).
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

// Prisma's own codes for an unreachable server, a timed-out connection or
// pool, a closed connection and a write conflict or deadlock.
const PRISMA_TRANSIENT = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2034']);

export function isTransient(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 6; depth++) {
    const code = (e as { code?: unknown }).code;
    if (isSocketTrouble(code) || (typeof code === 'string' && PRISMA_TRANSIENT.has(code))) return true;
    e = (e as { cause?: unknown }).cause;
  }
  for (const cause of adapterCauses(error)) if (causeIsTransient(cause)) return true;
  return false;
}

function causeIsTransient(cause: AdapterCause): boolean {
  if (typeof cause.kind === 'string' && TRANSIENT_KINDS.has(cause.kind)) return true;
  if (isSocketTrouble(cause.originalCode)) return true;
  switch (cause.kind) {
    case 'postgres':
      // Class 08: connection exceptions.
      return typeof cause.code === 'string' && (PG_TRANSIENT.has(cause.code) || cause.code.startsWith('08'));
    case 'mysql':
      return (
        (typeof cause.code === 'number' && MYSQL_TRANSIENT.has(cause.code)) ||
        (typeof cause.state === 'string' && (cause.state.startsWith('08') || cause.state === '40001'))
      );
    case 'sqlite': {
      const primary = typeof cause.extendedCode === 'number' ? cause.extendedCode & 0xff : -1;
      return primary === SQLITE_BUSY || primary === SQLITE_LOCKED;
    }
    default:
      return false;
  }
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  readonly attempts: number;
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
}

export interface RetryNotice {
  readonly attempt: number;
  readonly delayMs: number;
  readonly error: unknown;
}

/**
 * Runs `operation` until it succeeds, fails with a non-transient error, or
 * has been tried `attempts` times. Waits grow exponentially from
 * `minDelayMs` to `maxDelayMs`, with full jitter so that writers that failed
 * together do not retry together. `transient` says which errors are worth
 * another try; by default the database's (another store passes its own).
 */
export async function withRetry<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  onRetry: (notice: RetryNotice) => void,
  random: () => number = Math.random,
  transient: (error: unknown) => boolean = isTransient,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= policy.attempts || !transient(error)) throw error;
      const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.max(policy.minDelayMs, Math.round(ceiling * random()));
      onRetry({ attempt, delayMs, error });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
