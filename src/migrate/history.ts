// The migration history as Prisma keeps it (`_prisma_migrations`), read the
// same way on every provider, and compared with a migrations folder.
import type { SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import type { Provider } from '../db/url.js';
import { MigrationError } from '../errors.js';
import { queryRows } from './connection.js';
import { createdTables, type MigrationFile, type MigrationsFolder } from './migrations-dir.js';

export const MIGRATIONS_TABLE = '_prisma_migrations';

/** One `_prisma_migrations` row. */
export interface MigrationRecord {
  id: string;
  name: string;
  checksum: string;
  finished: boolean;
  rolledBack: boolean;
  startedAt: string;
  logs: string | null;
}

export interface DatabaseHistory {
  /** Whether `_prisma_migrations` exists (in the target schema on PostgreSQL). */
  hasTable: boolean;
  records: MigrationRecord[];
  /** Tables other than `_prisma_migrations` in the target namespace. */
  otherTables: string[];
}

export interface HistoryComparison {
  /** Finished, not rolled back, in the order they were started. */
  applied: string[];
  /** In the folder, with no live (not rolled back) record. */
  pending: MigrationFile[];
  /** Started, neither finished nor rolled back. */
  failed: MigrationRecord[];
  /** Applied, but migration.sql no longer has the checksum recorded. */
  modified: string[];
}

// Tables a database may hold without being "ours" (Prisma ignores them too).
const IGNORED_TABLES: Record<Provider, (name: string) => boolean> = {
  sqlite: (name) => name.startsWith('sqlite_'),
  postgresql: (name) => name === 'spatial_ref_sys',
  mysql: () => false,
};

const TABLES_SQL: Record<Provider, string> = {
  sqlite: `SELECT name FROM sqlite_master WHERE type = 'table'`,
  postgresql: `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')`,
  mysql: `SELECT table_name AS name FROM information_schema.tables
          WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE'`,
};

export async function readDatabaseHistory(adapter: SqlDriverAdapter, provider: Provider): Promise<DatabaseHistory> {
  const tables = (await queryRows(adapter, TABLES_SQL[provider])).map((row) => String(row.name ?? row.NAME));
  const hasTable = tables.includes(MIGRATIONS_TABLE);
  const otherTables = tables.filter((t) => t !== MIGRATIONS_TABLE && !IGNORED_TABLES[provider](t)).sort();
  const records = hasTable ? await readRecords(adapter) : [];
  return { hasTable, records, otherTables };
}

async function readRecords(adapter: SqlDriverAdapter): Promise<MigrationRecord[]> {
  const rows = await queryRows(
    adapter,
    `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at
     FROM ${MIGRATIONS_TABLE} ORDER BY started_at, migration_name`,
  );
  return rows.map((row) => ({
    id: String(row.id),
    name: String(row.migration_name),
    checksum: String(row.checksum),
    finished: row.finished_at != null,
    rolledBack: row.rolled_back_at != null,
    startedAt: String(row.started_at),
    logs: row.logs == null ? null : String(row.logs),
  }));
}

export function compareHistory(folder: MigrationsFolder, history: DatabaseHistory): HistoryComparison {
  const live = history.records.filter((r) => !r.rolledBack);
  const liveNames = new Set(live.map((r) => r.name));
  const byName = new Map(folder.migrations.map((m) => [m.name, m]));
  return {
    applied: live.filter((r) => r.finished).map((r) => r.name),
    pending: folder.migrations.filter((m) => !liveNames.has(m.name)),
    failed: live.filter((r) => !r.finished),
    modified: live
      .filter((r) => r.finished)
      .filter((r) => {
        const file = byName.get(r.name);
        return file !== undefined && file.checksum !== r.checksum;
      })
      .map((r) => r.name),
  };
}

/**
 * The tables of django-celery 2.5 (its TaskMeta and TaskSetMeta keep
 * Celery's own `celery_` names): a database holding any of them without
 * our history is named as such when deploy refuses it.
 */
export const DJCELERY_TABLES: readonly string[] = [
  'celery_taskmeta',
  'celery_tasksetmeta',
  'djcelery_crontabschedule',
  'djcelery_intervalschedule',
  'djcelery_periodictask',
  'djcelery_periodictasks',
  'djcelery_taskstate',
  'djcelery_workerstate',
];

/**
 * The refusals of `prisma migrate deploy`, in its order: a database without
 * history that already holds a table our migrations would create (P3005;
 * unlike Prisma, other apps' tables, such as Django's, are fine beside
 * ours), failed migrations (P3009); and one of ours: an applied migration
 * whose file has changed since.
 */
export function assertDeployable(folder: MigrationsFolder, history: DatabaseHistory, comparison: HistoryComparison): void {
  if (!history.hasTable) {
    const ours = new Set(createdTables(folder));
    const clashing = history.otherTables.filter((t) => ours.has(t));
    if (clashing.length > 0) {
      const shown = clashing.slice(0, 5).join(', ') + (clashing.length > 5 ? ', …' : '');
      const djcelery = clashing.some((t) => DJCELERY_TABLES.includes(t));
      throw new MigrationError(
        'P3005',
        `The database already holds ${shown} but no migration history of prisma-celery (${MIGRATIONS_TABLE}): ` +
          (djcelery
            ? 'a django-celery database: take it over with prisma-celery migrate adopt, or ' + namespaceHint(folder.provider)
            : `drop those tables, or ${namespaceHint(folder.provider)}`),
      );
    }
  }
  if (comparison.failed.length > 0) {
    const details = comparison.failed
      .map((r) => {
        const logs = r.logs?.trim() ? ` with the following logs:\n${r.logs.trim()}` : '';
        return `The \`${r.name}\` migration started at ${r.startedAt} failed${logs}`;
      })
      .join('\n');
    throw new MigrationError(
      'P3009',
      'migrate found failed migrations in the target database, new migrations will not be applied. ' +
        'Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve\n' +
        details,
      { migration: comparison.failed[0]?.name },
    );
  }
  assertUnmodified(folder, comparison);
}

/** Applied migrations must match their files (sha256 of migration.sql). */
export function assertUnmodified(folder: MigrationsFolder, comparison: HistoryComparison): void {
  if (comparison.modified.length > 0) {
    const names = comparison.modified.map((n) => `\`${n}\``).join(', ');
    throw new MigrationError(
      'E_MIGRATION_MODIFIED',
      `The migration(s) ${names} changed after they were applied: the checksum recorded in ${MIGRATIONS_TABLE} ` +
        `is not the sha256 of ${folder.dir}/<name>/migration.sql. Applied migrations must never be edited; ` +
        'add a new migration instead.',
      { migration: comparison.modified[0] },
    );
  }
}

function namespaceHint(provider: Provider): string {
  switch (provider) {
    case 'postgresql':
      return "give prisma-celery a schema of its own, e.g. add '?schema=celery' to the URL.";
    case 'mysql':
      return 'give prisma-celery a database of its own.';
    case 'sqlite':
      return 'give prisma-celery a SQLite file of its own.';
  }
}
