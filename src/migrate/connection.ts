// One connection per migrate call, opened through the same Prisma driver
// adapters as the runtime, in a UTC session. SQLite and PostgreSQL also get
// a factory for the WASM schema engine that shares the connection.
//
// On PostgreSQL and MySQL it is one database session for the whole call,
// never replaced: the migrate lock belongs to that session (migrate-lock.ts).
// A pool would open a new session after a lost one and carry on without
// the lock; here every statement after the loss fails instead.
import type {
  ArgType,
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
import pg from 'pg';
import type { DatabaseTarget, Provider } from '../db/url.js';
import { CharAsTextClient, execFallback, sharedConnectionFactory, wholeScripts } from './adapter-fixes.js';

export interface MigrationConnection extends AsyncDisposable {
  readonly provider: Provider;
  /** Our own queries; the engine's go through `engineFactory` to the same session. */
  readonly adapter: SqlDriverAdapter;
  /** For the WASM schema engine (SQLite, PostgreSQL only). */
  readonly engineFactory: SqlMigrationAwareDriverAdapterFactory | undefined;
  /** The last error the connection threw at the engine, if any (and forgets it). */
  takeEngineError(): unknown;
  /** Whether the session still answers (always true for SQLite, which has no server session). */
  sessionAlive(): Promise<boolean>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Where the engine replays migrations when it needs a shadow database. */
  openShadow?: () => Promise<SqlDriverAdapter>;
}

export async function openMigrationConnection(
  target: DatabaseTarget,
  options: ConnectOptions = {},
): Promise<MigrationConnection> {
  switch (target.provider) {
    case 'sqlite': {
      const { PrismaBetterSqlite3 } = await import('@prisma/adapter-better-sqlite3');
      const raw = await new PrismaBetterSqlite3({ url: target.file, timeout: 10_000 }).connect();
      return connection('sqlite', execFallback(raw), options);
    }
    case 'postgresql': {
      return connection('postgresql', await openPostgres(target.connectionString, target.schema), options);
    }
    case 'mysql':
      return connection('mysql', await openMysqlSession(target), options);
  }
}

/**
 * A MariaDB adapter on one connection taken from a pool of one and never
 * given back: the adapter sees a pool-shaped view of that connection, so
 * nothing can replace it. A connection killed while idle reports it at the
 * next statement.
 */
async function openMysqlSession(target: Extract<DatabaseTarget, { provider: 'mysql' }>): Promise<SqlDriverAdapter> {
  const { PrismaMariaDb } = await import('@prisma/adapter-mariadb');
  const pooled = await new PrismaMariaDb({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
    connectionLimit: 1,
    // The pool retries a failing connect until this runs out, and only then
    // reports why (a wrong password, say); the adapter's version probe waits
    // once more, silently. Each attempt is bounded by mariadb's
    // connectTimeout (1 s).
    acquireTimeout: 3_000,
    initSql: "SET time_zone = '+00:00'",
  }).connect();
  const pool = pooled.underlyingDriver();
  let session: Awaited<ReturnType<typeof pool.getConnection>>;
  try {
    session = await pool.getConnection();
  } catch (error) {
    await pooled.dispose();
    throw error;
  }
  // A session killed while idle is reported as an event; the next statement fails on its own.
  session.on('error', () => {});
  const view = {
    query: session.query.bind(session),
    execute: session.execute.bind(session),
    getConnection: () => Promise.reject(new Error('the migration connection runs no transactions')),
    end: async () => {
      await session.release().catch(() => {}); // a lost session has nothing to give back
      await pooled.dispose();
    },
  } as unknown as typeof pool;
  // DDL and anything else a migration may hold, without preparing it.
  return new PrismaMariaDb(view, { useTextProtocol: true, disposeExternalPool: true }).connect();
}

/**
 * A PostgreSQL adapter on one session, in UTC, with the target schema first
 * on the search path (unqualified DDL lands there, and so does
 * `_prisma_migrations`).
 */
export async function openPostgres(connectionString: string, schema: string): Promise<SqlDriverAdapter> {
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const pool = new OneSessionPool({
    connectionString,
    max: 1,
    options: `-c TimeZone=UTC -c search_path=${quotePg(schema)}`,
    Client: CharAsTextClient,
  });
  const factory = new PrismaPg(pool, { schema, disposeExternalPool: true });
  return wholeScripts(await factory.connect());
}

/** Creates the URL's schema if it is missing (deploy does, under the migrate lock; status does not). */
export async function ensurePostgresSchema(adapter: SqlDriverAdapter, schema: string): Promise<void> {
  const found = await queryRows(adapter, `SELECT 1 AS found FROM pg_namespace WHERE nspname = $1`, [schema]);
  // Created only when missing: CREATE SCHEMA IF NOT EXISTS still needs the
  // CREATE privilege on the database, which a user of an existing schema may lack.
  if (found.length === 0) await adapter.executeRaw({ sql: `CREATE SCHEMA IF NOT EXISTS ${quotePg(schema)}`, args: [], argTypes: [] });
}

export const quotePg = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/**
 * A pg pool that runs everything in one client, taken on first use and
 * never given back until the pool ends. pg-pool's own query() hands a
 * client back after each statement, and drops it when the statement failed
 * (any SQL error) or the session died; the next statement then opens a new
 * session, without the session's advisory lock.
 */
class OneSessionPool extends pg.Pool {
  #held: Promise<pg.PoolClient> | undefined;

  constructor(config: pg.PoolConfig) {
    super(config);
    this.query = ((...args: unknown[]) =>
      this.#client().then((client) => (client.query as (...a: unknown[]) => unknown)(...args))) as typeof this.query;
    // Transactions get the same client, which they "release" without letting go of it.
    this.connect = (() =>
      this.#client().then(
        (client) =>
          new Proxy(client, {
            get: (target, key) => (key === 'release' ? () => {} : bound(target, key)),
          }),
      )) as typeof this.connect;
    const end = this.end.bind(this) as () => Promise<void>;
    this.end = (async () => {
      // Dropped, not given back: end() waits for every client out of the pool.
      const held = await this.#held?.catch(() => undefined);
      held?.release(true);
      await end();
    }) as typeof this.end;
  }

  #client(): Promise<pg.PoolClient> {
    this.#held ??= super.connect().then((client) => {
      // A session killed while idle is reported as an event; the next statement fails on its own.
      client.on('error', () => {});
      return client;
    });
    return this.#held;
  }
}

function bound(target: object, key: string | symbol): unknown {
  const value: unknown = Reflect.get(target, key, target);
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
}

function connection(provider: Provider, adapter: SqlDriverAdapter, options: ConnectOptions): MigrationConnection {
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await adapter.dispose();
  };
  let engineError: unknown;
  const engineFactory =
    provider === 'mysql'
      ? undefined
      : sharedConnectionFactory(adapter, { openShadow: options.openShadow, onError: (error) => (engineError = error) });
  return {
    provider,
    adapter,
    engineFactory,
    takeEngineError: () => {
      const error = engineError;
      engineError = undefined;
      return error;
    },
    sessionAlive: async () => {
      if (provider === 'sqlite') return true;
      try {
        await adapter.queryRaw({ sql: 'SELECT 1', args: [], argTypes: [] });
        return true;
      } catch {
        return false;
      }
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

const stringArg: ArgType = { scalarType: 'string', arity: 'scalar' };

/** Rows as objects keyed by column name; arguments are strings or null. */
export async function queryRows(
  adapter: SqlDriverAdapter,
  sql: string,
  args: (string | null)[] = [],
): Promise<Record<string, unknown>[]> {
  const result = await adapter.queryRaw({ sql, args, argTypes: args.map(() => stringArg) });
  return result.rows.map((row) => Object.fromEntries(result.columnNames.map((name, i) => [name, row[i]])));
}

export async function execute(adapter: SqlDriverAdapter, sql: string, args: (string | number | null)[] = []): Promise<number> {
  return adapter.executeRaw({
    sql,
    args,
    argTypes: args.map((a) => (typeof a === 'number' ? { scalarType: 'int', arity: 'scalar' } : stringArg)),
  });
}
