/**
 * The bench's own databases, created if missing, so a run never touches a
 * database an application or the test suite uses.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mariadb from 'mariadb';
import pg from 'pg';
import { parseDatabaseUrl, type DatabaseTarget, type Provider } from '../src/db/url.js';

export const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export interface BenchDatabase {
  readonly provider: Provider;
  /** The URL `openDatabase` takes. */
  readonly url: string;
  /** The same URL taken apart, for the bare drivers. */
  readonly target: DatabaseTarget;
}

const urls: Record<Provider, () => string> = {
  sqlite: () => `file:${resolve(process.env.BENCH_SQLITE_FILE ?? resolve(projectRoot, '.bench/bench.sqlite'))}`,
  postgresql: () => process.env.BENCH_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/prisma_celery_bench',
  mysql: () => process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/prisma_celery_bench',
};

/** Creates the provider's bench database (or schema, or file folder) if missing. */
export async function prepareDatabase(provider: Provider): Promise<BenchDatabase> {
  const url = urls[provider]();
  const target = parseDatabaseUrl(url);
  switch (target.provider) {
    case 'sqlite':
      mkdirSync(dirname(target.file), { recursive: true });
      break;
    case 'postgresql':
      await createPostgres(target.connectionString, target.schema);
      break;
    case 'mysql':
      await createMysql(target);
      break;
  }
  return { provider, url: target.url, target };
}

const pgIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

async function createPostgres(connectionString: string, schema: string): Promise<void> {
  // CREATE DATABASE needs a connection to another database of the server;
  // `test` is the one this machine's PostgreSQL is known to have.
  const admin = new URL(connectionString);
  const database = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = '/test';
  await withPg(admin.toString(), async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${pgIdent(database)}`);
  });
  if (schema !== 'public') {
    await withPg(connectionString, (client) => client.query(`CREATE SCHEMA IF NOT EXISTS ${pgIdent(schema)}`));
  }
}

async function withPg(connectionString: string, body: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    await body(client);
  } finally {
    await client.end();
  }
}

async function createMysql(target: Extract<DatabaseTarget, { provider: 'mysql' }>): Promise<void> {
  const { host, port, user, password, database } = target;
  const conn = await mariadb.createConnection({ host, port, user, password });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database.replace(/`/g, '``')}\` CHARACTER SET utf8mb4`);
  } finally {
    await conn.end();
  }
}

/**
 * A namespace for the package's tables beside the bench's own (migrations
 * refuse a database holding W0's table): a sibling SQLite file, a schema of
 * its own on PostgreSQL, a database of its own on MySQL, named by `suffix`.
 */
export async function sideDatabaseUrl(bench: BenchDatabase, suffix: string): Promise<string> {
  const target = bench.target;
  switch (target.provider) {
    case 'sqlite':
      return `file:${target.file.replace(/(\.[^./]*)?$/, `-${suffix}$1`)}`;
    case 'postgresql': {
      const url = new URL(target.url);
      url.searchParams.set('schema', `prisma_celery_${suffix}`);
      return url.toString();
    }
    case 'mysql': {
      const { host, port, user, password } = target;
      const name = `${target.database}_${suffix}`;
      const conn = await mariadb.createConnection({ host, port, user, password });
      try {
        await conn.query(`CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4`);
      } finally {
        await conn.end();
      }
      const url = new URL(target.url);
      url.pathname = `/${name}`;
      return url.toString();
    }
  }
}
