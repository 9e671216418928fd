/**
 * A quick look at a database before a command relies on it: one connection
 * of the driver's own, with a short connect timeout, that checks the file or
 * server, the login, the database and our tables. A pool would retry a
 * failing connect until its acquire timeout (10 s) and then report a
 * timeout instead of the reason; this answers with the reason in
 * milliseconds, or within the timeout when nothing answers.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { causeLine } from './adapter-error.js';
import { databaseFault, DatabaseFaultError, type FaultKind } from './fault.js';
import { parseDatabaseUrl, type DatabaseTarget } from './url.js';

export interface DatabaseNeeds {
  /** Tables the caller uses; the first one missing is reported. Empty: only connect. */
  readonly tables: readonly string[];
  /** False: a missing SQLite file is reported instead of being created empty. */
  readonly create: boolean;
  /**
   * How long the connection may take. Default 2500 ms: a server on the
   * network answers in milliseconds, and a command must answer within 5 s
   * of being started, Node's own start-up included.
   */
  readonly timeoutMs?: number;
}

/** Throws a DatabaseFaultError when the database at `url` cannot serve `needs`; resolves otherwise. */
export async function checkDatabase(url: string, needs: DatabaseNeeds): Promise<void> {
  const target = parseDatabaseUrl(url);
  const timeoutMs = needs.timeoutMs ?? 2500;
  const started = performance.now();
  const fail = (kind: FaultKind, detail: string, cause?: unknown): never => {
    throw new DatabaseFaultError(target, { kind, detail }, { cause });
  };
  let found: readonly Located[];
  try {
    const listing = listTables(target, needs, timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    // A backstop for what the drivers' own timeouts do not cover (a DNS lookup that hangs).
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DatabaseFaultError(target, { kind: 'timeout', detail: `no answer within ${timeoutMs} ms` })), timeoutMs + 500);
    });
    try {
      found = await Promise.race([listing, late]);
    } finally {
      clearTimeout(timer);
    }
  } catch (error) {
    if (error instanceof DatabaseFaultError) throw error;
    const fault = databaseFault(error);
    // pg says a connect timeout in words only; the clock says it too.
    const timedOut = performance.now() - started >= timeoutMs;
    return fail(fault?.kind ?? (timedOut ? 'timeout' : 'unreachable'), fault?.detail ?? causeLine(error), error);
  }
  const here = target.provider === 'postgresql' ? target.schema : target.provider === 'mysql' ? target.database : undefined;
  for (const table of needs.tables) {
    if (found.some((t) => t.name === table && (here === undefined || t.container === here))) continue;
    const foundIn = [...new Set(found.filter((t) => t.name === table && t.container !== undefined).map((t) => t.container as string))];
    const where = here === undefined ? '' : ` in ${target.provider === 'postgresql' ? 'schema' : 'database'} ${here}`;
    throw new DatabaseFaultError(target, { kind: 'no-tables', detail: `table ${table} not found${where}` }, { missing: { table, foundIn } });
  }
}

/** A table seen, and the schema (PostgreSQL) or database (MySQL) holding it. */
interface Located {
  readonly name: string;
  readonly container: string | undefined;
}

async function listTables(target: DatabaseTarget, needs: DatabaseNeeds, timeoutMs: number): Promise<readonly Located[]> {
  switch (target.provider) {
    case 'sqlite':
      return sqliteTables(target.file, needs);
    case 'postgresql':
      return postgresTables(target.connectionString, needs.tables, timeoutMs);
    case 'mysql':
      return mysqlTables(target, needs.tables, timeoutMs);
  }
}

/** Throws when a SQLite file's directory is missing (the driver would say so in a TypeError with a stack of its own). */
export function checkSqliteDirectory(target: DatabaseTarget): void {
  if (target.provider !== 'sqlite' || target.file === ':memory:') return;
  const directory = dirname(target.file);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw new DatabaseFaultError(target, { kind: 'no-directory', detail: `directory ${directory} does not exist` });
  }
}

async function sqliteTables(file: string, needs: DatabaseNeeds): Promise<readonly Located[]> {
  if (file === ':memory:') return needs.tables.map((name) => ({ name, container: undefined }));
  checkSqliteDirectory(parseDatabaseUrl(`file:${file}`));
  if (!existsSync(file)) {
    if (needs.create) return [];
    throw new DatabaseFaultError(parseDatabaseUrl(`file:${file}`), { kind: 'no-file', detail: `no file ${file}` });
  }
  const { default: Sqlite } = await import('better-sqlite3');
  const db = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[];
    return rows.map(({ name }) => ({ name, container: undefined }));
  } finally {
    db.close();
  }
}

async function postgresTables(connectionString: string, tables: readonly string[], timeoutMs: number): Promise<readonly Located[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  // A connection cut later reports here, not as an unhandled 'error' event.
  client.on('error', () => {});
  try {
    await client.connect();
    const { rows } = await client.query<{ schema: string; name: string }>(
      'SELECT table_schema AS schema, table_name AS name FROM information_schema.tables WHERE table_name = ANY($1)',
      [[...tables]],
    );
    return rows.map((row) => ({ name: row.name, container: row.schema }));
  } finally {
    void client.end().catch(() => {});
  }
}

async function mysqlTables(
  target: Extract<DatabaseTarget, { provider: 'mysql' }>,
  tables: readonly string[],
  timeoutMs: number,
): Promise<readonly Located[]> {
  const { default: mariadb } = await import('mariadb');
  const { host, port, user, password, database } = target;
  const connection = await mariadb.createConnection({ host, port, user, password, database, connectTimeout: timeoutMs, queryTimeout: timeoutMs });
  try {
    if (tables.length === 0) return [];
    const rows = (await connection.query(
      'SELECT table_schema AS `schema`, table_name AS name FROM information_schema.tables WHERE table_name IN (?)',
      [tables],
    )) as { schema: string; name: string }[];
    return rows.map((row) => ({ name: row.name, container: row.schema }));
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}
