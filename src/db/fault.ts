/**
 * What a database error means for the person who set the URL, read from
 * codes (Node's socket codes, PostgreSQL's SQLSTATE, MySQL's error number,
 * the driver adapter's kind, SQLite's result code; never message text),
 * whether the driver, the adapter or Prisma threw it.
 */
import { socketFault } from '../core/socket-fault.js';
import { PrismaCeleryError } from '../errors.js';
import { adapterCauses, firstLine } from './adapter-error.js';
import type { DatabaseTarget } from './url.js';

export type FaultKind =
  /** A SQLite path in a directory that does not exist. */
  | 'no-directory'
  /** A SQLite file that does not exist, where creating it would only leave an empty file behind. */
  | 'no-file'
  /** DNS does not know the host. */
  | 'host-not-found'
  /** Nothing answers at host:port, or the connection was cut while opening. */
  | 'unreachable'
  /** No answer in time. */
  | 'timeout'
  /** The server refused the user or password. */
  | 'access-denied'
  /** The server has no database of that name. */
  | 'no-database'
  /** Our tables are missing: migrations not applied, or applied elsewhere. */
  | 'no-tables'
  /** The file is there but is not a SQLite database. */
  | 'not-sqlite';

export interface Fault {
  readonly kind: FaultKind;
  /** The database's or driver's own words, on one line. */
  readonly detail: string;
}

const ADAPTER_FAULTS: Readonly<Record<string, FaultKind>> = {
  DatabaseNotReachable: 'unreachable',
  ConnectionClosed: 'unreachable',
  SocketTimeout: 'timeout',
  DatabaseAccessDenied: 'access-denied',
  AuthenticationFailed: 'access-denied',
  DatabaseDoesNotExist: 'no-database',
  TableDoesNotExist: 'no-tables',
  ColumnNotFound: 'no-tables',
};

function pgFault(state: string): FaultKind | undefined {
  if (state === '28000' || state === '28P01' || state === '42501') return 'access-denied';
  if (state === '3D000') return 'no-database';
  if (state === '42P01' || state === '42703' || state === '3F000') return 'no-tables';
  if (state.startsWith('08') || state === '57P03') return 'unreachable';
  return undefined;
}

const MYSQL_FAULTS: Readonly<Record<number, FaultKind>> = {
  1044: 'access-denied', // ER_DBACCESS_DENIED_ERROR
  1045: 'access-denied', // ER_ACCESS_DENIED_ERROR
  1698: 'access-denied', // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
  1049: 'no-database', // ER_BAD_DB_ERROR
  1146: 'no-tables', // ER_NO_SUCH_TABLE
  1054: 'no-tables', // ER_BAD_FIELD_ERROR
  45012: 'timeout', // the mariadb connector's connect timeout
  45028: 'timeout', // the mariadb connector's pool timeout
};

// Prisma's own codes, for errors that reach us without the adapter's description.
const PRISMA_FAULTS: Readonly<Record<string, FaultKind>> = {
  P1000: 'access-denied',
  P1001: 'unreachable',
  P1002: 'timeout',
  P1003: 'no-database',
  P1010: 'access-denied',
  P1017: 'unreachable',
  P2021: 'no-tables',
  P2022: 'no-tables',
};

// SQLite primary result codes.
const SQLITE_NOTADB = 26;
const SQLITE_CANTOPEN = 14;

/** The database at `target` cannot serve: `fault` says why, in terms of the URL. */
export class DatabaseFaultError extends PrismaCeleryError {
  readonly fault: Fault;
  readonly target: DatabaseTarget;
  /** For no-tables: the table missing, and the schemas (PostgreSQL) or databases (MySQL) that do have it. */
  readonly missing: { table: string; foundIn: readonly string[] } | undefined;

  constructor(target: DatabaseTarget, fault: Fault, options?: { cause?: unknown; missing?: { table: string; foundIn: readonly string[] } }) {
    super('E_DATABASE', `${fault.kind}: ${fault.detail}`, options);
    this.fault = fault;
    this.target = target;
    this.missing = options?.missing;
  }
}

const MAX_DEPTH = 8;

/**
 * The most telling fault along the error's cause chain: the innermost one,
 * since a pool's "timeout" wraps the refusal that caused it.
 */
export function databaseFault(error: unknown): Fault | undefined {
  let found: Fault | undefined;
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < MAX_DEPTH; depth++) {
    const kind = ownFault(e as Record<string, unknown>);
    if (kind !== undefined) found = { kind, detail: ownDetail(e as Record<string, unknown>) };
    e = (e as { cause?: unknown }).cause;
  }
  for (const cause of adapterCauses(error)) {
    const kind = adapterFault(cause as Record<string, unknown>);
    if (kind !== undefined && found === undefined) found = { kind, detail: ownDetail(cause as Record<string, unknown>) };
  }
  return found;
}

function ownFault(e: Record<string, unknown>): FaultKind | undefined {
  const { code, errno } = e;
  if (typeof code === 'string') {
    const socket = socketFault(code);
    if (socket !== undefined) return socket;
    if (Object.hasOwn(PRISMA_FAULTS, code)) return PRISMA_FAULTS[code];
    if (code === 'SQLITE_NOTADB') return 'not-sqlite';
    // pg's DatabaseError carries the SQLSTATE as `code` and a `severity`.
    if (typeof e.severity === 'string' && /^[0-9A-Z]{5}$/.test(code)) return pgFault(code);
  }
  // The mariadb connector's SqlError: the server's error number as `errno`, with a `sqlState`.
  if (typeof errno === 'number' && typeof e.sqlState === 'string') return MYSQL_FAULTS[errno];
  return undefined;
}

function adapterFault(cause: Record<string, unknown>): FaultKind | undefined {
  const { kind, code, originalCode, extendedCode } = cause;
  if (typeof kind === 'string' && Object.hasOwn(ADAPTER_FAULTS, kind)) return ADAPTER_FAULTS[kind];
  const socket = socketFault(originalCode);
  if (socket !== undefined) return socket;
  if (kind === 'postgres' && typeof code === 'string') return pgFault(code);
  if (kind === 'mysql' && typeof code === 'number') return MYSQL_FAULTS[code];
  if (kind === 'sqlite' && typeof extendedCode === 'number') {
    const primary = extendedCode & 0xff;
    if (primary === SQLITE_NOTADB) return 'not-sqlite';
    if (primary === SQLITE_CANTOPEN) return 'unreachable';
  }
  return undefined;
}

function ownDetail(e: Record<string, unknown>): string {
  const text =
    typeof e.originalMessage === 'string' ? e.originalMessage
    : typeof e.sqlMessage === 'string' ? e.sqlMessage
    : typeof e.message === 'string' && e.message !== '' ? e.message
    : typeof e.kind === 'string' ? e.kind
    : String(e);
  return firstLine(text);
}
