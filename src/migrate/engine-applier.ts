// SQLite and PostgreSQL: pending migrations applied by Prisma's own schema
// engine (WASM build), exactly as `prisma migrate deploy` applies them: it
// takes the engine's lock, writes the `_prisma_migrations` rows, and runs
// each migration.sql.
import type { MigrationConnection } from './connection.js';
import { MIGRATIONS_TABLE } from './history.js';
import { toEngineMigrationList, type MigrationsFolder } from './migrations-dir.js';
import { startSchemaEngine } from './wasm-engine.js';

// The engine's own DDL for SQLite's history table (sql-schema-connector,
// flavour/sqlite.rs). The WASM SQLite connector raises P1014 instead of
// creating the table, so we create it as the native engine would.
export const SQLITE_MIGRATIONS_TABLE = `CREATE TABLE "${MIGRATIONS_TABLE}" (
    "id"                    TEXT PRIMARY KEY NOT NULL,
    "checksum"              TEXT NOT NULL,
    "finished_at"           DATETIME,
    "migration_name"        TEXT NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        DATETIME,
    "started_at"            DATETIME NOT NULL DEFAULT current_timestamp,
    "applied_steps_count"   INTEGER UNSIGNED NOT NULL DEFAULT 0
);`;

/**
 * Applies the folder's pending migrations; returns the names applied.
 * `otherApps` are tables of other apps (Django's…) that deploy has let
 * stand: the engine is told they are external, or its own emptiness check
 * would refuse the database.
 */
export async function applyWithEngine(
  connection: MigrationConnection,
  folder: MigrationsFolder,
  hasMigrationsTable: boolean,
  otherApps: string[] = [],
): Promise<string[]> {
  const factory = connection.engineFactory;
  if (!factory) throw new Error(`the schema engine has no ${connection.provider} connector`);
  if (connection.provider === 'sqlite' && !hasMigrationsTable) {
    await connection.adapter.executeScript(SQLITE_MIGRATIONS_TABLE);
  }
  const engine = await startSchemaEngine(factory);
  try {
    const output = await engine.call('applyMigrations', (e) =>
      e.applyMigrations({
        migrationsList: toEngineMigrationList(folder),
        filters: { externalTables: otherApps, externalEnums: [] },
      }),
    );
    return output.appliedMigrationNames;
  } finally {
    engine.free();
  }
}
