/**
 * Which database errors are worth another try, by code (never by message
 * text), and the bounded retry loop around a statement. A failed statement
 * arrives in one of two wrappings around the same adapter description
 * ({kind, code, …}): Prisma's error (meta.driverAdapterError.cause) from
 * its raw calls, or the adapter's own DriverAdapterError (cause) from
 * db.sql's direct path. Both are read the same way.
 */

// Prisma's driver adapters map some driver errors to a kind of their own
// (SQLite's SQLITE_BUSY arrives as SocketTimeout, PostgreSQL's 40001/40P01
// as TransactionWriteConflict).
const TRANSIENT_KINDS = new Set([
  'ConnectionClosed',
  'SocketTimeout',
  'TransactionWriteConflict',
  'DatabaseNotReachable',
  'TooManyConnections',
]);

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
]);

// SQLite primary result codes (the low byte of an extended code).
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

const SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED']);

interface AdapterCause {
  kind?: unknown;
  originalMessage?: unknown;
  code?: unknown;
  originalCode?: unknown;
  state?: unknown;
  extendedCode?: unknown;
}

/** The adapter's description of a failed query: in Prisma's meta, or the cause of a DriverAdapterError. */
function adapterCause(error: unknown): AdapterCause | undefined {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const meta = (e as { meta?: { driverAdapterError?: { cause?: AdapterCause } } }).meta;
    if (meta?.driverAdapterError?.cause) return meta.driverAdapterError.cause;
    const cause = (e as { cause?: unknown }).cause;
    if (typeof cause === 'object' && cause !== null && 'kind' in cause) return cause as AdapterCause;
    e = cause;
  }
  return undefined;
}

export function isTransient(error: unknown): boolean {
  const cause = adapterCause(error);
  if (cause === undefined) {
    const code = (error as { code?: unknown } | null)?.code;
    return typeof code === 'string' && SOCKET_CODES.has(code);
  }
  if (typeof cause.kind === 'string' && TRANSIENT_KINDS.has(cause.kind)) return true;
  if (typeof cause.originalCode === 'string' && SOCKET_CODES.has(cause.originalCode)) return true;
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

/** The database's own words for a failed statement (Prisma wraps them in several lines of its own). */
export function describeDatabaseError(error: unknown): string {
  const cause = adapterCause(error);
  if (typeof cause?.originalMessage === 'string') {
    const code = typeof cause.originalCode === 'string' ? ` (${cause.originalCode})` : '';
    return `${cause.originalMessage}${code}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A missing table or column: our migrations were not applied. */
export function isMissingSchema(error: unknown): boolean {
  const kind = adapterCause(error)?.kind;
  return kind === 'TableDoesNotExist' || kind === 'ColumnNotFound';
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
 * together do not retry together.
 */
export async function withRetry<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  onRetry: (notice: RetryNotice) => void,
  random: () => number = Math.random,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= policy.attempts || !isTransient(error)) throw error;
      const ceiling = Math.min(policy.maxDelayMs, policy.minDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.max(policy.minDelayMs, Math.round(ceiling * random()));
      onRetry({ attempt, delayMs, error });
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
