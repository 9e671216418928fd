// Applying the package's migrations to the user's database, as
// `prisma migrate deploy` would, without the Prisma CLI or its native
// engine (the CLI cannot download it offline and is not a runtime
// dependency). See deploy.ts for how each provider is handled.
import { adoptDatabase, type AdoptResult } from './adopt.js';
import { deployMigrations, migrationStatus, type MigrationStatus } from './deploy.js';

export type { AdoptResult, MigrationStatus };

/**
 * Applies every pending migration of the package to the database at `url`
 * (file:, postgresql://…[?schema=…], mysql:// or mariadb://), as
 * `prisma migrate deploy` would: one deploy at a time per database (the
 * native engine's locks), `_prisma_migrations` kept as Prisma keeps it.
 * Idempotent: a database that is up to date is left alone. On PostgreSQL
 * the URL's schema is created if missing and holds `_prisma_migrations`.
 *
 * Throws MigrationError, classified by `code`:
 * - P3005: the database (schema) has no migration history of ours but
 *   already holds a table our migrations create (other apps' tables,
 *   such as Django's, are left alone);
 * - P3009: a failed migration is recorded; resolve it first;
 * - P3018: a migration failed to apply (`migration` names it; the cause is
 *   the database's error);
 * - P3019: the migrations folder is locked to another provider;
 * - E_MIGRATION_MODIFIED: an applied migration's file has changed since;
 * - E_MIGRATION_LOCK: another deploy held the lock for 10 s;
 * - E_MIGRATION_LOCK_LOST: the session holding the lock was lost (cut or
 *   killed) during the deploy, which stopped there;
 * - E_MIGRATION_DATABASE: the database could not be used (unreachable,
 *   refused, missing privilege…; the cause is the driver's error);
 * - E_MIGRATIONS_DIR: the package's migrations cannot be read;
 * - E_MIGRATION_ENGINE (or the engine's own P-code): the schema engine
 *   failed outside any one migration.
 */
export async function migrateDeploy(
  url: string,
  options?: { log?: (line: string) => void },
): Promise<{ applied: string[] }> {
  return deployMigrations(url, { log: options?.log });
}

/**
 * Which of the package's migrations the database at `url` has applied,
 * lacks, or failed. Reads only (creates no schema, file or table). Throws
 * MigrationError E_MIGRATION_MODIFIED when an applied migration's file has
 * changed, E_MIGRATION_DATABASE when the database cannot be read.
 */
export async function migrateStatus(url: string): Promise<MigrationStatus> {
  return migrationStatus(url);
}

/**
 * Takes over a database that django-celery 2.5 created: adds what our
 * first migration has beyond its tables (columns, tables, indexes, foreign
 * keys) without touching a row, records that migration as applied, and
 * deploys the rest. With `dryRun` it only returns the statements and the
 * later migrations' names. Throws MigrationError E_ADOPT (one line) when
 * the database has a history already, holds no django-celery table, or has
 * a column it cannot reconcile; otherwise as migrateDeploy.
 */
export async function migrateAdopt(
  url: string,
  options?: { log?: (line: string) => void; dryRun?: boolean },
): Promise<AdoptResult> {
  return adoptDatabase(url, { log: options?.log, dryRun: options?.dryRun });
}
