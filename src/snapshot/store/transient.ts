/**
 * Database errors that say "try again later" rather than "these rows are
 * wrong", by code (never by message text): lost or refused connections,
 * timeouts, SQLite busy, deadlocks and serialization failures. The same
 * codes the result backend retries on; both should move to src/db.
 */
const TRANSIENT_KINDS = new Set(['ConnectionClosed', 'SocketTimeout', 'TransactionWriteConflict', 'DatabaseNotReachable', 'TooManyConnections']);
const PG_TRANSIENT = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03', '53300']);
const MYSQL_TRANSIENT = new Set([1205, 1213, 1040, 1053, 1927, 2006, 2013, 45009]);
const SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH']);
// Prisma's own codes for an unreachable server, a timed-out connection and pool.
const PRISMA_TRANSIENT = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2034']);
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

interface AdapterCause {
  kind?: unknown;
  code?: unknown;
  originalCode?: unknown;
  state?: unknown;
  extendedCode?: unknown;
}

export function isTransientDbError(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 6; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (SOCKET_CODES.has(code) || PRISMA_TRANSIENT.has(code))) return true;
    const meta = (e as { meta?: { driverAdapterError?: { cause?: AdapterCause } } }).meta;
    const cause = meta?.driverAdapterError?.cause ?? ('kind' in e ? (e as AdapterCause) : undefined);
    if (cause !== undefined && causeIsTransient(cause)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

function causeIsTransient(cause: AdapterCause): boolean {
  if (typeof cause.kind === 'string' && TRANSIENT_KINDS.has(cause.kind)) return true;
  if (typeof cause.originalCode === 'string' && SOCKET_CODES.has(cause.originalCode)) return true;
  switch (cause.kind) {
    case 'postgres':
      return typeof cause.code === 'string' && (PG_TRANSIENT.has(cause.code) || cause.code.startsWith('08'));
    case 'mysql':
      return (
        (typeof cause.code === 'number' && MYSQL_TRANSIENT.has(cause.code)) ||
        (typeof cause.state === 'string' && (cause.state.startsWith('08') || cause.state === '40001'))
      );
    case 'sqlite': {
      const primary = typeof cause.extendedCode === 'number' ? cause.extendedCode & 0xff : undefined;
      return primary === SQLITE_BUSY || primary === SQLITE_LOCKED;
    }
    default:
      return false;
  }
}
