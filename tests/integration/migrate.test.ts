// migrate deploy / status on real databases, each provider on a database of
// its own. Scenarios that need an empty namespace get a fresh one: another
// SQLite file, PostgreSQL schema or MySQL database.
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import mariadb from 'mariadb';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDatabaseUrl, type Provider } from '../../src/db/url.js';
import { MigrationError } from '../../src/errors.js';
import { deployMigrations, migrationStatus } from '../../src/migrate/deploy.js';
import { migrateDeploy, migrateStatus } from '../../src/migrate/index.js';
import { openMigrationConnection } from '../../src/migrate/connection.js';
import { packageMigrationsDir } from '../../src/migrate/migrations-dir.js';
import { EngineFailure, startSchemaEngine } from '../../src/migrate/wasm-engine.js';
import { variantPath } from '../../scripts/schema-variants.js';
import { describeEachDatabase, mysqlAdmin, postgresAdmin, type TestDatabase, itWhen } from '../support/databases.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The package's migration names for a provider, oldest first. */
const migrationNames = (provider: Provider): string[] =>
  readdirSync(packageMigrationsDir(provider), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();

/** Every @@map of the provider's schema variant: the tables the migrations must create. */
const modelTables = (provider: Provider): string[] =>
  [...readFileSync(variantPath(provider), 'utf8').matchAll(/@@map\("([^"]+)"\)/g)].map((m) => m[1]!).sort();

/** Runs SQL on the database at `url` with its plain driver (not the code under test). */
async function sql(url: string, text: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const target = parseDatabaseUrl(url);
  switch (target.provider) {
    case 'sqlite': {
      const db = new Database(target.file);
      try {
        const stmt = db.prepare(text);
        return stmt.reader ? (stmt.all(...params) as Record<string, unknown>[]) : (stmt.run(...params), []);
      } finally {
        db.close();
      }
    }
    case 'postgresql': {
      const client = new pg.Client({ connectionString: target.connectionString, options: `-c search_path="${target.schema}"` });
      await client.connect();
      try {
        return (await client.query(text, params)).rows as Record<string, unknown>[];
      } finally {
        await client.end();
      }
    }
    case 'mysql': {
      const conn = await mariadb.createConnection({ host: target.host, port: target.port, user: target.user, password: target.password, database: target.database });
      try {
        const rows: unknown = await conn.query(text, params);
        return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
      } finally {
        await conn.end();
      }
    }
  }
}

/** Base tables of the URL's namespace (the ?schema= one on PostgreSQL). */
async function tablesAt(url: string): Promise<string[]> {
  const target = parseDatabaseUrl(url);
  const rows =
    target.provider === 'sqlite'
      ? await sql(url, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
      : target.provider === 'postgresql'
        ? await sql(url, `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`, [target.schema])
        : await sql(url, `SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'`);
  return rows.map((r) => String(r.name)).sort();
}

/** A copy of the package's migrations folder that a test may change. */
function copyOfMigrations(provider: Provider): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'prisma-celery-migrations-')), provider);
  cpSync(packageMigrationsDir(provider), dir, { recursive: true });
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<MigrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MigrationError);
  return error as MigrationError;
}

/** A migration whose trigger body holds `;`s: split at those, it would not apply. */
const TRIGGER_MIGRATIONS: Record<Provider, string> = {
  sqlite: `CREATE TABLE "counter" ("id" INTEGER NOT NULL PRIMARY KEY, "n" INTEGER NOT NULL DEFAULT 0);
INSERT INTO "counter" ("id", "n") VALUES (1, 0);
CREATE TABLE "item" ("id" INTEGER NOT NULL PRIMARY KEY, "note" TEXT NOT NULL DEFAULT 'a;b');
CREATE TRIGGER "item_counter" AFTER INSERT ON "item" BEGIN
  UPDATE "counter" SET "n" = "n" + 1 WHERE "id" = 1;
  UPDATE "counter" SET "n" = "n" + 0 WHERE "id" = 1 AND NEW."note" = 'x;y';
END;
`,
  postgresql: `CREATE TABLE "counter" ("id" INTEGER NOT NULL PRIMARY KEY, "n" INTEGER NOT NULL DEFAULT 0);
INSERT INTO "counter" ("id", "n") VALUES (1, 0);
CREATE TABLE "item" ("id" INTEGER NOT NULL PRIMARY KEY, "note" TEXT NOT NULL DEFAULT 'a;b');
CREATE FUNCTION "item_counter"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE "counter" SET "n" = "n" + 1 WHERE "id" = 1;
  IF NEW."note" = 'x;y' THEN UPDATE "counter" SET "n" = "n" + 0 WHERE "id" = 1; END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER "item_counter" AFTER INSERT ON "item" FOR EACH ROW EXECUTE FUNCTION "item_counter"();
`,
  mysql: `CREATE TABLE \`counter\` (\`id\` INTEGER NOT NULL, \`n\` INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (\`id\`));
INSERT INTO \`counter\` (\`id\`, \`n\`) VALUES (1, 0);
CREATE TABLE \`item\` (\`id\` INTEGER NOT NULL, \`note\` VARCHAR(255) NOT NULL DEFAULT 'a;b', PRIMARY KEY (\`id\`));
CREATE TRIGGER \`item_counter\` AFTER INSERT ON \`item\` FOR EACH ROW
BEGIN
  DECLARE step INT DEFAULT 1;
  UPDATE \`counter\` SET \`n\` = \`n\` + step WHERE \`id\` = 1;
  IF NEW.\`note\` = 'x;y' THEN UPDATE \`counter\` SET \`n\` = \`n\` + 0 WHERE \`id\` = 1; END IF;
END;
`,
};

describeEachDatabase(
  'migrate',
  (db: TestDatabase) => {
    const names = migrationNames(db.provider);
    const cleanups: (() => Promise<void> | void)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    /** A URL to an empty namespace of its own, beside the test database. */
    async function freshUrl(label: string): Promise<string> {
      switch (db.provider) {
        case 'sqlite': {
          const file = join(dirname(db.url.slice('file:'.length)), `${db.name}_${label}.db`);
          cleanups.push(() => {
            for (const suffix of ['', '-wal', '-shm', '-journal', '-migrate.lock']) rmSync(file + suffix, { force: true });
          });
          return `file:${file}`;
        }
        case 'postgresql': {
          const url = new URL(db.url);
          url.searchParams.set('schema', label);
          return url.toString();
        }
        case 'mysql': {
          const name = `${db.name}_${label}`;
          await mysqlAdmin((c) => c.query(`CREATE DATABASE \`${name}\``));
          cleanups.push(() => mysqlAdmin((c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``)).then(() => {}));
          const url = new URL(db.url);
          url.pathname = `/${name}`;
          return url.toString();
        }
      }
    }

    it('has migrations with the same names as the other providers', () => {
      expect(names.length).toBeGreaterThan(0);
      for (const other of ['sqlite', 'postgresql', 'mysql'] as const) expect(migrationNames(other)).toEqual(names);
    });

    it('deploys every table to a fresh database, then reports it up to date', async () => {
      expect(await migrateStatus(db.url)).toEqual({ applied: [], pending: names, failed: [], upToDate: false });

      const lines: string[] = [];
      const started = performance.now();
      const { applied } = await migrateDeploy(db.url, { log: (line) => lines.push(line) });
      const elapsed = performance.now() - started;

      expect(applied).toEqual(names);
      expect(await tablesAt(db.url)).toEqual([...modelTables(db.provider), '_prisma_migrations'].sort());
      expect(await migrateStatus(db.url)).toEqual({ applied: names, pending: [], failed: [], upToDate: true });
      expect(lines.join('\n')).toContain(names[0]);
      // Seconds at most, even on a loaded machine; the bound only catches a
      // stall (a lock wait, the engine's 10 s lock timer keeping it busy).
      expect(elapsed).toBeLessThan(8000);
    });

    it('applies nothing the second time', async () => {
      const lines: string[] = [];
      expect(await migrateDeploy(db.url, { log: (line) => lines.push(line) })).toEqual({ applied: [] });
      expect(lines).toEqual(['No pending migrations to apply.']);
      expect(await migrateStatus(db.url)).toEqual({ applied: names, pending: [], failed: [], upToDate: true });
    });

    it('records each migration as Prisma does: sha256 of migration.sql, finished, one step, no logs', async () => {
      const rows = await sql(db.url, 'SELECT * FROM _prisma_migrations ORDER BY migration_name');
      expect(rows.map((r) => r.migration_name)).toEqual(names);
      for (const row of rows) {
        const file = readFileSync(join(packageMigrationsDir(db.provider), String(row.migration_name), 'migration.sql'), 'utf8');
        expect(row.checksum).toBe(sha256(file));
        expect(String(row.id)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(row.finished_at).not.toBeNull();
        expect(row.rolled_back_at).toBeNull();
        expect(row.logs).toBeNull();
        expect(Number(row.applied_steps_count)).toBe(1);
      }
    });

    it('applies each migration once when deploys run at the same time', async () => {
      const url = await freshUrl('concurrent');
      const results = await Promise.all([migrateDeploy(url), migrateDeploy(url), migrateDeploy(url)]);
      expect(results.flatMap((r) => r.applied).sort()).toEqual(names);
      expect(await migrateStatus(url)).toEqual({ applied: names, pending: [], failed: [], upToDate: true });
    });

    it('refuses, in one line, a table of ours without our history, naming a django-celery one (P3005)', async () => {
      const url = await freshUrl('nonempty');
      const target = parseDatabaseUrl(url);
      if (target.provider === 'postgresql') await sql(url, `CREATE SCHEMA "${target.schema}"`);
      await sql(url, 'CREATE TABLE users_own_table (id INTEGER PRIMARY KEY)');
      await sql(url, 'CREATE TABLE celery_taskmeta (id INTEGER PRIMARY KEY)');

      const error = await rejection(migrateDeploy(url));
      expect(error.code).toBe('P3005');
      expect(error.message).not.toContain('\n');
      expect(error.message).toMatch(/^The database already holds celery_taskmeta but no migration history .*a django-celery database: take it over with prisma-celery migrate adopt, or .* of its own/);
      expect(await tablesAt(url)).toEqual(['celery_taskmeta', 'users_own_table']);
      expect(await migrateStatus(url)).toEqual({ applied: [], pending: names, failed: [], upToDate: false });
    });

    it('deploys beside tables of other apps, leaving them alone', async () => {
      const url = await freshUrl('beside');
      const target = parseDatabaseUrl(url);
      if (target.provider === 'postgresql') await sql(url, `CREATE SCHEMA "${target.schema}"`);
      await sql(url, 'CREATE TABLE users_own_table (id INTEGER PRIMARY KEY)');
      await sql(url, 'INSERT INTO users_own_table (id) VALUES (7)');

      expect((await migrateDeploy(url)).applied).toEqual(names);
      expect(await tablesAt(url)).toEqual([...modelTables(db.provider), '_prisma_migrations', 'users_own_table'].sort());
      expect(await sql(url, 'SELECT id FROM users_own_table')).toEqual([{ id: 7 }]);
    });

    it('names a failed migration, records it, and refuses to go on until it is rolled back (P3018, P3009)', async () => {
      const url = await freshUrl('failing');
      const dir = copyOfMigrations(db.provider);
      cleanups.push(() => rmSync(dirname(dir), { recursive: true, force: true }));
      const broken = '29991231000000_broken';
      mkdirSync(join(dir, broken));
      writeFileSync(join(dir, broken, 'migration.sql'), 'CREATE TABLE broken_first (id INTEGER);\nINSERT INTO no_such_table VALUES (1);\n');

      const failure = await rejection(deployMigrations(url, { migrationsDir: dir }));
      expect(failure.code).toBe('P3018');
      expect(failure.migration).toBe(broken);
      expect(failure.message).toContain(broken);
      expect(failure.message).toContain('no_such_table');
      expect(failure.cause).toBeDefined();

      const [row] = await sql(url, `SELECT * FROM _prisma_migrations WHERE migration_name = '${broken}'`);
      expect(row?.finished_at).toBeNull();
      expect(String(row?.logs)).toContain('no_such_table');
      expect(await migrationStatus(url, { migrationsDir: dir })).toEqual({ applied: names, pending: [], failed: [broken], upToDate: false });

      const refusal = await rejection(deployMigrations(url, { migrationsDir: dir }));
      expect(refusal.code).toBe('P3009');
      expect(refusal.message).toContain(broken);

      // What `prisma migrate resolve --rolled-back` does, then a fixed file.
      await sql(url, `UPDATE _prisma_migrations SET rolled_back_at = CURRENT_TIMESTAMP WHERE migration_name = '${broken}'`);
      writeFileSync(join(dir, broken, 'migration.sql'), 'CREATE TABLE IF NOT EXISTS broken_first (id INTEGER);\n');
      expect(await deployMigrations(url, { migrationsDir: dir })).toEqual({ applied: [broken] });
      expect(await migrationStatus(url, { migrationsDir: dir })).toEqual({ applied: [...names, broken], pending: [], failed: [], upToDate: true });
    });

    it('applies trigger and function bodies whole, semicolons inside and all', async () => {
      const url = await freshUrl('triggers');
      const dir = copyOfMigrations(db.provider);
      cleanups.push(() => rmSync(dirname(dir), { recursive: true, force: true }));
      const name = '29991231000000_triggers';
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'migration.sql'), TRIGGER_MIGRATIONS[db.provider]);

      expect(await deployMigrations(url, { migrationsDir: dir })).toEqual({ applied: [...names, name] });
      await sql(url, "INSERT INTO item (id, note) VALUES (1, 'x;y')");
      expect((await sql(url, 'SELECT n FROM counter WHERE id = 1')).map((r) => Number(r.n))).toEqual([1]);
    });

    it('refuses when an applied migration file has changed since', async () => {
      const url = await freshUrl('edited');
      const dir = copyOfMigrations(db.provider);
      cleanups.push(() => rmSync(dirname(dir), { recursive: true, force: true }));
      await deployMigrations(url, { migrationsDir: dir });
      appendFileSync(join(dir, names[0]!, 'migration.sql'), '\n-- edited after it was applied\n');

      for (const attempt of [() => deployMigrations(url, { migrationsDir: dir }), () => migrationStatus(url, { migrationsDir: dir })]) {
        const error = await rejection(attempt());
        expect(error.code).toBe('E_MIGRATION_MODIFIED');
        expect(error.migration).toBe(names[0]);
        expect(error.message).toContain(names[0]);
      }
    });

    itWhen(db.provider === 'sqlite')('status leaves a missing SQLite file uncreated', async () => {
      const url = await freshUrl('missing');
      expect(await migrateStatus(url)).toEqual({ applied: [], pending: names, failed: [], upToDate: false });
      expect(existsSync(url.slice('file:'.length))).toBe(false);
    });

    itWhen(db.provider === 'sqlite')('recovers from an engine panic: the next deploy gets a fresh engine', async () => {
      const url = await freshUrl('panic');
      const connection = await openMigrationConnection(parseDatabaseUrl(url));
      try {
        const engine = await startSchemaEngine(connection.engineFactory!);
        const panic = await engine.call('debugPanic', async (e) => e.debugPanic()).then(() => undefined, (e: unknown) => e);
        expect(panic).toBeInstanceOf(EngineFailure);
        expect((panic as Error).message).toContain('debugPanic artificial panic');
        engine.free();
      } finally {
        await connection.close();
      }
      expect(await migrateDeploy(url)).toEqual({ applied: names });
    });

    it('reports an unreachable database as a MigrationError naming the cause', async () => {
      const url =
        db.provider === 'sqlite'
          ? 'file:/nonexistent-dir-for-prisma-celery/x.db'
          : db.provider === 'postgresql'
            ? 'postgresql://postgres@127.0.0.1:1/x'
            : 'mysql://root@127.0.0.1:1/x';
      const error = await rejection(migrateDeploy(url));
      expect(error.code).toBe('E_MIGRATION_DATABASE');
      expect(error.message).toContain(`failed on the ${db.provider} database`);
      expect(error.cause).toBeDefined();
    });

    itWhen(db.provider === 'postgresql')(
      'puts the tables and _prisma_migrations in the ?schema= schema, beside a public schema that is not empty',
      async () => {
        // A database of its own, so that "public" holds only the user's table.
        const name = `${db.name}_schemas`;
        await postgresAdmin((c) => c.query(`CREATE DATABASE "${name}"`));
        cleanups.push(() => postgresAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}));
        const publicUrl = new URL(db.url);
        publicUrl.pathname = `/${name}`;
        await sql(publicUrl.toString(), 'CREATE TABLE users_own_table (id INTEGER PRIMARY KEY)');
        const url = new URL(publicUrl);
        url.searchParams.set('schema', 'celery_x');

        // status reads only: the schema does not exist before the deploy.
        expect(await migrateStatus(url.toString())).toEqual({ applied: [], pending: names, failed: [], upToDate: false });
        expect(await sql(publicUrl.toString(), `SELECT 1 FROM pg_namespace WHERE nspname = 'celery_x'`)).toEqual([]);

        expect(await migrateDeploy(url.toString())).toEqual({ applied: names });
        expect(await tablesAt(url.toString())).toEqual([...modelTables(db.provider), '_prisma_migrations'].sort());
        expect(await tablesAt(publicUrl.toString())).toEqual(['users_own_table']);
        expect(await migrateStatus(url.toString())).toEqual({ applied: names, pending: [], failed: [], upToDate: true });
      },
    );
  },
  { migrate: false },
);

describe('migrate (no database)', () => {
  it('refuses a migrations folder locked to another provider (P3019)', async () => {
    const dir = copyOfMigrations('sqlite');
    try {
      writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
      const error = await rejection(deployMigrations(`file:${join(dir, 'never-created.db')}`, { migrationsDir: dir }));
      expect(error.code).toBe('P3019');
    } finally {
      rmSync(dirname(dir), { recursive: true, force: true });
    }
  });
});
