import type { SqlDriverAdapterFactory, SqlQuery } from '@prisma/driver-adapter-utils';
import { ConfigError } from '../errors.js';
import { capturingFactory } from './capture.js';
import type { PrismaClient } from './generated/sqlite/client.js';
import { dialectOf, type Dialect } from './dialect.js';
import { checkSqliteDirectory } from './preflight.js';
import { sqlChannel, StatementNames, type AdapterSlot, type SqlChannel } from './sql.js';
import { parseDatabaseUrl, type DatabaseTarget, type Provider } from './url.js';

/**
 * The Prisma client type the package programs against. The three generated
 * clients (one per provider) expose the same models and calls; the SQLite
 * one stands for all of them in types.
 */
export type CeleryPrisma = PrismaClient;

/**
 * Prepared statements each MySQL/MariaDB connection keeps (the mariadb
 * driver's own default; Prisma's adapter lowers it to 0, which makes every
 * statement a prepare, an execute and a close: three round trips). Our
 * statements are a handful of fixed texts (the coalesced upsert has one per
 * row count), so a cache makes each one round trip. The server caps all
 * connections together at max_prepared_stmt_count (16382 by default).
 */
const MYSQL_PREPARE_CACHE = 256;

export interface Database extends AsyncDisposable {
  readonly provider: Provider;
  readonly target: DatabaseTarget;
  readonly prisma: CeleryPrisma;
  readonly dialect: Dialect;
  /**
   * Raw statements for hot paths, straight to the connected driver adapter
   * (through Prisma's raw calls when there is none, as with useDatabase).
   */
  readonly sql: SqlChannel;
  /** Disconnects the client; only a Database opened from a URL owns one. */
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Most connections in the pool (PostgreSQL, MySQL), opened as needed. Default 10. */
  poolSize?: number;
  /** Milliseconds SQLite waits on a locked file before failing. Default 5000. */
  sqliteBusyTimeoutMs?: number;
  /**
   * Keep statements prepared on each connection: db.sql's small statements
   * as named statements on PostgreSQL, every statement in MySQL's prepare
   * cache. Default true. Turn off behind a pooler that cannot carry
   * prepared statements from one transaction to the next (PgBouncer in
   * transaction mode before 1.21).
   */
  preparedStatements?: boolean;
}

/**
 * Opens our tables' database from a URL, with the client and driver adapter
 * of its provider. Sessions always run in UTC: PostgreSQL's adapter sends
 * dates as UTC text without an offset and MySQL's DATETIME has no zone, so a
 * non-UTC session would store wrong instants while reading them back "right".
 */
export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  const target = parseDatabaseUrl(url);
  if (options.preparedStatements !== undefined && typeof options.preparedStatements !== 'boolean') {
    throw new ConfigError(`preparedStatements must be true or false, got ${String(options.preparedStatements)}`);
  }
  checkSqliteDirectory(target);
  const slot: AdapterSlot = { current: undefined };
  const names = target.provider === 'postgresql' && options.preparedStatements !== false ? new StatementNames() : undefined;
  const prisma = await createClient(target, options, slot, names);
  // Connected now, so db.sql has its adapter from the first call. This does
  // no I/O on PostgreSQL (a pool is made); MySQL's adapter asks the server
  // its version, and carries on without it when the server is down.
  await prisma.$connect();
  if (target.provider === 'sqlite' && target.file !== ':memory:') {
    // WAL lets beat, the camera and result writers share one file without
    // readers blocking the writer. better-sqlite3 is built to relax WAL
    // commits to synchronous=NORMAL (no fsync); a stored result must survive
    // a power cut, so ask for FULL. It is per connection, and the adapter
    // holds one.
    await prisma.$queryRawUnsafe('PRAGMA journal_mode = WAL');
    await prisma.$executeRawUnsafe('PRAGMA synchronous = FULL');
  }
  return wrap(target, prisma, slot, true, names);
}

/**
 * Wraps a client the caller opened (and keeps owning) as a Database. Its
 * adapter is out of reach, so db.sql goes through Prisma's raw calls.
 */
export function useDatabase(prisma: CeleryPrisma, url: string): Database {
  return wrap(parseDatabaseUrl(url), prisma, { current: undefined }, false);
}

function wrap(target: DatabaseTarget, prisma: CeleryPrisma, slot: AdapterSlot, owned: boolean, names?: StatementNames): Database {
  const close = async (): Promise<void> => {
    if (owned) await prisma.$disconnect();
  };
  return {
    provider: target.provider,
    target,
    prisma,
    dialect: dialectOf(target.provider),
    sql: sqlChannel(prisma, slot, names),
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function createClient(
  target: DatabaseTarget,
  options: OpenOptions,
  slot: AdapterSlot,
  names: StatementNames | undefined,
): Promise<CeleryPrisma> {
  const capture = (factory: SqlDriverAdapterFactory) => capturingFactory(factory, slot);
  const poolSize = options.poolSize ?? 10;
  switch (target.provider) {
    case 'sqlite': {
      const [{ PrismaClient }, { PrismaBetterSqlite3 }] = await Promise.all([
        import('./generated/sqlite/client.js'),
        import('@prisma/adapter-better-sqlite3'),
      ]);
      const adapter = new PrismaBetterSqlite3({ url: target.file, timeout: options.sqliteBusyTimeoutMs ?? 5000 });
      return new PrismaClient({ adapter: capture(adapter) });
    }
    case 'postgresql': {
      const [{ PrismaClient }, { PrismaPg }] = await Promise.all([
        import('./generated/postgresql/client.js'),
        import('@prisma/adapter-pg'),
      ]);
      const adapter = new PrismaPg(
        {
          connectionString: target.connectionString,
          max: poolSize,
          options: `-c TimeZone=UTC -c search_path=${pgSearchPath(target.schema)}`,
        },
        {
          schema: target.schema,
          // pg runs a query without a name unprepared; the type wants a string regardless.
          ...(names && { statementNameGenerator: (query: SqlQuery) => names.nameOf(query) as string }),
        },
      );
      return new PrismaClient({ adapter: capture(adapter) }) as unknown as CeleryPrisma;
    }
    case 'mysql': {
      const [{ PrismaClient }, { PrismaMariaDb }] = await Promise.all([
        import('./generated/mysql/client.js'),
        import('@prisma/adapter-mariadb'),
      ]);
      const adapter = new PrismaMariaDb({
        host: target.host,
        port: target.port,
        user: target.user,
        password: target.password,
        database: target.database,
        connectionLimit: poolSize,
        // The driver fills the pool to its limit at once (minimumIdle
        // defaults to connectionLimit): 10 connections per process, 40 for
        // four workers, before any are needed. One idle connection, and
        // more only while every one is busy, as PostgreSQL's pool does;
        // extra ones close after idleTimeout (30 min). Not 0: this driver
        // then never opens one, and every query times out.
        minimumIdle: 1,
        prepareCacheLength: options.preparedStatements === false ? 0 : MYSQL_PREPARE_CACHE,
        initSql: "SET time_zone = '+00:00'",
      });
      return new PrismaClient({ adapter: capture(adapter) }) as unknown as CeleryPrisma;
    }
  }
}

/** `-c search_path=…` value: the schema, quoted so any name survives. */
const pgSearchPath = (schema: string): string => `"${schema.replace(/"/g, '""')}"`;
