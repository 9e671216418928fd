// One fresh database per test file and provider: a SQLite file, a
// PostgreSQL database or a MariaDB database of its own, dropped afterwards.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mariadb from 'mariadb';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { migrateDeploy } from '../../src/migrate/index.js';
import { openDatabase, type Database } from '../../src/db/open.js';
import type { Provider } from '../../src/db/url.js';
import { selectedProviders } from './providers.js';
import { missingServices } from './services.js';

export const postgresAdminUrl = process.env.TEST_POSTGRES_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const mysqlAdminUrl = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

const withDatabase = (adminUrl: string, name: string): string => {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

export async function postgresAdmin<T>(run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresAdminUrl });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

export async function mysqlAdmin<T>(run: (conn: mariadb.Connection) => Promise<T>): Promise<T> {
  const url = new URL(mysqlAdminUrl);
  const conn = await mariadb.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
    // Not the driver's 1 s: a migration running meanwhile in this thread can hold its timer up that long.
    connectTimeout: 10_000,
  });
  try {
    return await run(conn);
  } finally {
    await conn.end();
  }
}

/** A database made for one test file; `url` is valid between create and drop. */
export class TestDatabase {
  readonly provider: Provider;
  readonly name = `pc_t_${randomBytes(5).toString('hex')}`;
  #url: string | undefined;
  readonly #opened: Database[] = [];

  constructor(provider: Provider) {
    this.provider = provider;
  }

  get url(): string {
    if (!this.#url) throw new Error('test database used before beforeAll created it');
    return this.#url;
  }

  async create(): Promise<string> {
    switch (this.provider) {
      case 'sqlite': {
        const dir = join(tmpdir(), 'prisma-celery-tests');
        mkdirSync(dir, { recursive: true });
        this.#url = `file:${join(dir, `${this.name}.db`)}`;
        break;
      }
      case 'postgresql':
        await postgresAdmin((c) => c.query(`CREATE DATABASE "${this.name}"`));
        this.#url = withDatabase(postgresAdminUrl, this.name);
        break;
      case 'mysql':
        await mysqlAdmin((c) => c.query(`CREATE DATABASE \`${this.name}\``));
        this.#url = withDatabase(mysqlAdminUrl, this.name);
        break;
    }
    return this.#url;
  }

  /** Opens the package's Database on it; closed by drop(). */
  async open(): Promise<Database> {
    const db = await openDatabase(this.url);
    this.#opened.push(db);
    return db;
  }

  async drop(): Promise<void> {
    await Promise.all(this.#opened.splice(0).map((db) => db.close()));
    if (!this.#url) return;
    switch (this.provider) {
      case 'sqlite': {
        const file = this.#url.slice('file:'.length);
        for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(file + suffix, { force: true });
        break;
      }
      case 'postgresql':
        await postgresAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${this.name}" WITH (FORCE)`));
        break;
      case 'mysql':
        await mysqlAdmin((c) => c.query(`DROP DATABASE IF EXISTS \`${this.name}\``));
        break;
    }
    this.#url = undefined;
  }
}

export interface EachDatabaseOptions {
  /** Apply the package's migrations before the tests (default true). */
  migrate?: boolean;
  /** Only these of the selected databases (default all), for a suite that means nothing on the others. */
  providers?: readonly Provider[];
}

/**
 * Creates (and migrates) test databases one at a time within a test file,
 * even for suites that run side by side: a migration holds this thread for
 * a while, and several at once would hold up every timer of the file.
 */
let setups: Promise<unknown> = Promise.resolve();
function prepare(db: TestDatabase, migrate: boolean): Promise<void> {
  const done = setups.then(async () => {
    await db.create();
    if (migrate) await migrateDeploy(db.url);
  });
  setups = done.catch(() => {});
  return done;
}

/**
 * Declares the same suite once per selected database (TEST_DBS), each on a
 * database of its own. Outside CI a suite whose server is down is skipped
 * with the reason printed by the global setup.
 */
export function describeEachDatabase(
  title: string,
  body: (db: TestDatabase) => void,
  options: EachDatabaseOptions = {},
): void {
  for (const provider of selectedProviders().filter((p) => options.providers?.includes(p) ?? true)) {
    const skip = provider !== 'sqlite' && missingServices().has(provider);
    (skip ? describe.skip : describe)(`${title} [${provider}]`, () => {
      const db = new TestDatabase(provider);
      beforeAll(() => prepare(db, options.migrate ?? true));
      afterAll(() => db.drop());
      body(db);
    });
  }
}

/**
 * Every selected database (TEST_DBS) at once, each of its own, for a
 * scenario whose costly part (a worker to start, an ETA to wait for) is the
 * same whichever database records it: one run is checked on all of them.
 * Created (and migrated) in the enclosing describe's beforeAll, dropped in
 * its afterAll. Outside CI a database whose server is down is left out, as
 * the global setup printed.
 */
export function allDatabases(options: EachDatabaseOptions = {}): readonly TestDatabase[] {
  const databases = selectedProviders()
    .filter((p) => (options.providers?.includes(p) ?? true) && (p === 'sqlite' || !missingServices().has(p)))
    .map((p) => new TestDatabase(p));
  beforeAll(async () => {
    for (const db of databases) await prepare(db, options.migrate ?? true);
  });
  afterAll(() => Promise.all(databases.map((db) => db.drop())));
  return databases;
}

/**
 * `it` for a test that only means something on some providers. Elsewhere
 * it is not declared at all: it does not apply there, so it is no skip.
 */
export function itWhen(applies: boolean): (name: string, fn: () => Promise<unknown> | unknown, timeout?: number) => void {
  return applies ? (name, fn, timeout) => it(name, async () => void (await fn()), timeout) : () => {};
}
