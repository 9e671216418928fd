/**
 * One bare-driver connection (pg, mariadb, better-sqlite3) in autocommit,
 * behind the few calls the raw workloads need, each mapped to the driver's
 * own fastest path rather than to a common denominator.
 */
import Sqlite from 'better-sqlite3';
import mariadb from 'mariadb';
import pg from 'pg';
import { dialectOf, type Dialect } from '../src/db/dialect.js';
import type { DatabaseTarget } from '../src/db/url.js';

export interface RawConnection {
  readonly dialect: Dialect;
  /** Most parameters one statement may bind. */
  readonly maxParams: number;
  /** Runs a statement once, without keeping it prepared. */
  run(sql: string, values?: unknown[]): Promise<void>;
  /**
   * A statement kept prepared for running many times. Some drivers prepare
   * on the first run, so warm it up before timing it.
   */
  prepare(sql: string): Promise<(values: unknown[]) => Promise<void>>;
  /** The first column of the first row, as a number (counts come back as bigint or text otherwise). */
  scalar(sql: string): Promise<number>;
  close(): Promise<void>;
}

export async function openRaw(target: DatabaseTarget): Promise<RawConnection> {
  switch (target.provider) {
    case 'sqlite':
      return openSqlite(target.file);
    case 'postgresql':
      return openPostgres(target.connectionString, target.schema);
    case 'mysql':
      return openMysql(target);
  }
}

function openSqlite(file: string): RawConnection {
  const db = new Sqlite(file);
  // The floor is measured under the package's own durability settings
  // (src/db/open.ts): WAL, with an fsync of the log at every commit.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return {
    dialect: dialectOf('sqlite'),
    maxParams: 32766, // better-sqlite3's SQLITE_MAX_VARIABLE_NUMBER
    run: async (sql, values = []) => {
      db.prepare(sql).run(...values);
    },
    prepare: async (sql) => {
      const statement = db.prepare(sql);
      return async (values) => {
        statement.run(...values);
      };
    },
    scalar: async (sql) => Number(db.prepare(sql).pluck().get()),
    close: async () => {
      db.close();
    },
  };
}

async function openPostgres(connectionString: string, schema: string): Promise<RawConnection> {
  const client = new pg.Client({ connectionString, options: `-c search_path="${schema.replace(/"/g, '""')}"` });
  await client.connect();
  let statements = 0;
  return {
    dialect: dialectOf('postgresql'),
    maxParams: 65535, // the protocol's Int16 parameter count
    run: async (sql, values) => {
      await client.query(sql, values);
    },
    prepare: async (sql) => {
      // A named statement is parsed by the server on its first run only.
      const name = `bench_${++statements}`;
      return async (values) => {
        await client.query({ name, text: sql, values });
      };
    },
    scalar: async (sql) => Number(Object.values((await client.query(sql)).rows[0] ?? {})[0]),
    close: () => client.end(),
  };
}

async function openMysql(target: Extract<DatabaseTarget, { provider: 'mysql' }>): Promise<RawConnection> {
  const { host, port, user, password, database } = target;
  const conn = await mariadb.createConnection({ host, port, user, password, database });
  return {
    dialect: dialectOf('mysql'),
    // Unprepared statements go as text with the values inlined by the
    // driver: no parameter limit, only max_allowed_packet.
    maxParams: Number.POSITIVE_INFINITY,
    run: async (sql, values) => {
      await conn.query(sql, values);
    },
    prepare: async (sql) => {
      const statement = await conn.prepare(sql);
      return async (values) => {
        await statement.execute(values);
      };
    },
    scalar: async (sql) => Number(Object.values(((await conn.query(sql)) as Record<string, unknown>[])[0] ?? {})[0]),
    close: () => conn.end(),
  };
}
