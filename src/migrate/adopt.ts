// `migrate adopt`: takes over a database that django-celery 2.5 created
// (syncdb or its South migrations) without losing a row. Its tables are
// brought up to our `init` (adopt-plan.ts), `init` is recorded as applied
// the way deploy records a migration, and deploy's own path applies the
// rest, all under deploy's migrate lock.
import { randomUUID } from 'node:crypto';
import { parseDatabaseUrl, type DatabaseTarget, type Provider } from '../db/url.js';
import { MigrationError } from '../errors.js';
import { parseInit, planAdoption, type ExistingSchema, type AdoptPlan } from './adopt-plan.js';
import { execute, openMigrationConnection, queryRows, type MigrationConnection } from './connection.js';
import { applyPending, asMigrationError, type MigrateOptions } from './deploy.js';
import { SQLITE_MIGRATIONS_TABLE } from './engine-applier.js';
import { DJCELERY_TABLES, MIGRATIONS_TABLE, readDatabaseHistory } from './history.js';
import { readMigrationsFolder, type MigrationsFolder } from './migrations-dir.js';
import { withMigrateLock } from './migrate-lock.js';
import { MYSQL_MIGRATIONS_TABLE } from './mysql-applier.js';

// The native engine's DDL for the history table on PostgreSQL
// (sql-schema-connector, flavour/postgres.rs): adopt writes the first row
// before the engine ever runs.
const POSTGRES_MIGRATIONS_TABLE = `CREATE TABLE "${MIGRATIONS_TABLE}" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

const MIGRATIONS_TABLE_DDL: Record<Provider, string> = {
  sqlite: SQLITE_MIGRATIONS_TABLE,
  postgresql: POSTGRES_MIGRATIONS_TABLE,
  mysql: MYSQL_MIGRATIONS_TABLE,
};

const NOW: Record<Provider, string> = { sqlite: 'CURRENT_TIMESTAMP', postgresql: 'now()', mysql: 'UTC_TIMESTAMP(3)' };

export interface AdoptResult {
  /** Every statement that brings the tables up to init (run, or only printed in a dry run). */
  statements: string[];
  /** The migrations after init that deploy applies (or would). */
  later: string[];
}

export async function adoptDatabase(url: string, options: MigrateOptions & { dryRun?: boolean } = {}): Promise<AdoptResult> {
  const log = options.log ?? (() => {});
  const target = parseDatabaseUrl(url);
  const folder = readMigrationsFolder(target.provider, options.migrationsDir);
  let connection: MigrationConnection | undefined;
  try {
    const opened = (connection = await openMigrationConnection(target));
    return await withMigrateLock(target, opened, async () => {
      const plan = await planFor(opened, target, folder);
      const later = folder.migrations.slice(1).map((m) => m.name);
      if (options.dryRun) return { statements: plan.statements, later };
      await runPlan(opened, plan);
      await recordInit(opened, folder);
      const applied = await applyPending(opened, target, folder, log);
      return { statements: plan.statements, later: applied };
    });
  } catch (error) {
    throw asMigrationError(error, `migrate adopt failed on the ${target.provider} database`);
  } finally {
    await connection?.close();
  }
}

async function planFor(connection: MigrationConnection, target: DatabaseTarget, folder: MigrationsFolder): Promise<AdoptPlan> {
  const history = await readDatabaseHistory(connection.adapter, connection.provider);
  if (history.hasTable) {
    throw new MigrationError(
      'E_ADOPT',
      `cannot adopt this database: it already has a migration history (${MIGRATIONS_TABLE}); use prisma-celery migrate deploy`,
    );
  }
  if (!history.otherTables.some((t) => DJCELERY_TABLES.includes(t))) {
    throw new MigrationError('E_ADOPT', 'cannot adopt this database: it holds no django-celery tables; use prisma-celery migrate deploy');
  }
  const init = folder.migrations[0];
  if (init === undefined) throw new MigrationError('E_MIGRATIONS_DIR', `${folder.dir} holds no migrations`);
  const schema = parseInit(target.provider, init.script);
  const existing = await readExisting(connection, history.otherTables, schema.tables.map((t) => t.name));
  return planAdoption(target.provider, schema, existing);
}

async function readExisting(connection: MigrationConnection, present: string[], ours: string[]): Promise<ExistingSchema> {
  const { adapter, provider } = connection;
  const tables = new Map<string, Map<string, string>>();
  const nonEmpty = new Set<string>();
  for (const table of ours.filter((t) => present.includes(t))) {
    const columns = await queryRows(adapter, COLUMNS_SQL[provider], [table]);
    tables.set(table, new Map(columns.map((row) => [String(row.name ?? row.NAME), String(row.type ?? row.TYPE ?? '')])));
    const [count] = await queryRows(adapter, `SELECT COUNT(*) AS n FROM ${quote(provider, table)}`);
    if (Number(count?.n ?? 0) > 0) nonEmpty.add(table);
  }
  const names = async (sql: string): Promise<Set<string>> => new Set((await queryRows(adapter, sql)).map((r) => String(r.name ?? r.NAME)));
  return { tables, nonEmpty, indexes: await names(INDEXES_SQL[provider]), foreignKeys: await names(FOREIGN_KEYS_SQL[provider]) };
}

const quote = (provider: Provider, name: string): string => (provider === 'mysql' ? `\`${name}\`` : `"${name}"`);

const COLUMNS_SQL: Record<Provider, string> = {
  sqlite: 'SELECT name, type FROM pragma_table_info(?)',
  postgresql: `SELECT column_name AS name, data_type AS type FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = $1`,
  mysql: `SELECT column_name AS name, column_type AS type FROM information_schema.columns
          WHERE table_schema = DATABASE() AND table_name = ?`,
};

const INDEXES_SQL: Record<Provider, string> = {
  sqlite: `SELECT name FROM sqlite_master WHERE type = 'index'`,
  postgresql: 'SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()',
  mysql: 'SELECT DISTINCT index_name AS name FROM information_schema.statistics WHERE table_schema = DATABASE()',
};

// SQLite's foreign keys have no names of their own: adopt rebuilds the tables that should have one.
const FOREIGN_KEYS_SQL: Record<Provider, string> = {
  sqlite: `SELECT '' AS name WHERE 0`,
  postgresql: `SELECT c.conname AS name FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
               WHERE n.nspname = current_schema() AND c.contype = 'f'`,
  mysql: `SELECT constraint_name AS name FROM information_schema.table_constraints
          WHERE table_schema = DATABASE() AND constraint_type = 'FOREIGN KEY'`,
};

/**
 * PostgreSQL and SQLite run the plan in one transaction (SQLite with
 * foreign keys off while tables are rebuilt, as Prisma's own table
 * redefinitions do); MySQL commits each DDL statement on its own.
 */
async function runPlan(connection: MigrationConnection, plan: AdoptPlan): Promise<void> {
  const { adapter, provider } = connection;
  if (provider === 'mysql') {
    for (const statement of plan.statements) await execute(adapter, statement);
    return;
  }
  if (provider === 'sqlite') await execute(adapter, 'PRAGMA foreign_keys = OFF');
  await execute(adapter, 'BEGIN');
  try {
    for (const statement of plan.statements) await execute(adapter, statement);
    await execute(adapter, 'COMMIT');
  } catch (error) {
    await execute(adapter, 'ROLLBACK').catch(() => {});
    throw error;
  } finally {
    if (provider === 'sqlite') await execute(adapter, 'PRAGMA foreign_keys = ON');
  }
}

/** `_prisma_migrations` with init's row, as deploy leaves it once init is applied. */
async function recordInit(connection: MigrationConnection, folder: MigrationsFolder): Promise<void> {
  const { adapter, provider } = connection;
  const init = folder.migrations[0];
  if (init === undefined) return;
  await execute(adapter, MIGRATIONS_TABLE_DDL[provider]);
  const placeholders = provider === 'postgresql' ? ['$1', '$2', '$3'] : ['?', '?', '?'];
  await execute(
    adapter,
    `INSERT INTO ${MIGRATIONS_TABLE} (id, checksum, migration_name, started_at, finished_at, applied_steps_count)
     VALUES (${placeholders.join(', ')}, ${NOW[provider]}, ${NOW[provider]}, 1)`,
    [randomUUID(), init.checksum, init.name],
  );
}
