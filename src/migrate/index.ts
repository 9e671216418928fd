// Applying the package's migrations to the user's database, as
// `prisma migrate deploy` would, without the Prisma CLI or its native
// engine (the CLI cannot download it offline and is not a runtime
// dependency). See deploy.ts for how each provider is handled.
import { deployMigrations, migrationStatus, type MigrationStatus } from './deploy.js';

export type { MigrationStatus };

/**
 * Applies every pending migration of the package to the database at `url`
 * (file:, postgresql://…[?schema=…], mysql:// or mariadb://). Idempotent:
 * a database that is up to date is left alone. Throws MigrationError: P3005
 * for a non-empty database without migration history, P3009 while a failed
 * migration is recorded, P3018 when a migration fails (naming it, with the
 * database's error as cause), E_MIGRATION_MODIFIED when an applied
 * migration's file has changed.
 */
export async function migrateDeploy(
  url: string,
  options?: { log?: (line: string) => void },
): Promise<{ applied: string[] }> {
  return deployMigrations(url, { log: options?.log });
}

/** Which of the package's migrations the database at `url` has applied, lacks, or failed. */
export async function migrateStatus(url: string): Promise<MigrationStatus> {
  return migrationStatus(url);
}
