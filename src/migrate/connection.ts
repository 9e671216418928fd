// One connection per migrate call, opened through the same Prisma driver
// adapters as the runtime, in a UTC session. SQLite and PostgreSQL also get
// a factory for the WASM schema engine that shares the connection.
import type {
  ArgType,
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
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
    case 'mysql': {
      const { PrismaMariaDb } = await import('@prisma/adapter-mariadb');
      const factory = new PrismaMariaDb(
        {
          host: target.host,
          port: target.port,
          user: target.user,
          password: target.password,
          database: target.database,
          // One connection: GET_LOCK belongs to a session.
          connectionLimit: 1,
          // The pool retries a failing connect until this runs out, and
          // only then reports why (a wrong password, say); the adapter's
          // version probe waits once more, silently. Each attempt is bounded
          // by mariadb's connectTimeout (1 s).
          acquireTimeout: 3_000,
          initSql: "SET time_zone = '+00:00'",
        },
        // DDL and anything else a migration may hold, without preparing it.
        { useTextProtocol: true },
      );
      return connection('mysql', await factory.connect(), options);
    }
  }
}

/**
 * A PostgreSQL adapter on a pool of one connection, in UTC, with the
 * target schema first on the search path (unqualified DDL lands there, and
 * so does `_prisma_migrations`).
 */
export async function openPostgres(connectionString: string, schema: string): Promise<SqlDriverAdapter> {
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const factory = new PrismaPg(
    {
      connectionString,
      max: 1,
      options: `-c TimeZone=UTC -c search_path=${quotePg(schema)}`,
      Client: CharAsTextClient,
    },
    { schema },
  );
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
