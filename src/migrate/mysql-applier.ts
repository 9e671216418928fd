// MySQL / MariaDB: the WASM schema engine has no MySQL connector, so this
// does what the native engine's `migrate deploy` does, with the same
// bookkeeping, so that the real Prisma CLI reads our history as its own:
// - the advisory lock GET_LOCK('prisma_migrate', 10) for the whole run
//   (migrate-lock.ts);
// - `_prisma_migrations` created with the engine's DDL (flavour/mysql.rs);
// - per migration: a row (uuid, sha256 checksum, started_at) inserted
//   before the script, applied_steps_count + 1 and finished_at after it;
//   on failure the row keeps finished_at NULL and gets the error as `logs`,
//   which makes the next deploy refuse (P3009) until it is resolved.
import { randomUUID } from 'node:crypto';
import type { SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import { MigrationError } from '../errors.js';
import { execute } from './connection.js';
import { MIGRATIONS_TABLE } from './history.js';
import { applyMigrationErrorText, databaseErrorOf } from './migration-failure.js';
import type { MigrationFile } from './migrations-dir.js';
import { splitMysqlStatements } from './sql-statements.js';

export const MYSQL_MIGRATIONS_TABLE = `CREATE TABLE ${MIGRATIONS_TABLE} (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             DATETIME(3),
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          DATETIME(3),
    started_at              DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    applied_steps_count     INTEGER UNSIGNED NOT NULL DEFAULT 0
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`;

/** Applies `pending` in order; call it under the lock. Returns the names applied. */
export async function applyMysqlMigrations(
  adapter: SqlDriverAdapter,
  pending: MigrationFile[],
  hasMigrationsTable: boolean,
  log: (line: string) => void,
): Promise<string[]> {
  if (!hasMigrationsTable) await execute(adapter, MYSQL_MIGRATIONS_TABLE);
  const applied: string[] = [];
  for (const migration of pending) {
    log(`Applying migration \`${migration.name}\``);
    const id = randomUUID();
    await execute(
      adapter,
      `INSERT INTO ${MIGRATIONS_TABLE} (id, checksum, started_at, migration_name) VALUES (?, ?, UTC_TIMESTAMP(3), ?)`,
      [id, migration.checksum, migration.name],
    );
    const statements = splitMysqlStatements(migration.script);
    for (const [index, statement] of statements.entries()) {
      try {
        await execute(adapter, statement);
      } catch (cause) {
        const logs = applyMigrationErrorText(migration.name, databaseErrorOf(cause), index);
        await execute(adapter, `UPDATE ${MIGRATIONS_TABLE} SET logs = ? WHERE id = ?`, [logs, id]);
        throw new MigrationError('P3018', logs, { cause, migration: migration.name });
      }
    }
    await execute(adapter, `UPDATE ${MIGRATIONS_TABLE} SET applied_steps_count = applied_steps_count + 1 WHERE id = ?`, [id]);
    await execute(adapter, `UPDATE ${MIGRATIONS_TABLE} SET finished_at = UTC_TIMESTAMP(3) WHERE id = ?`, [id]);
    applied.push(migration.name);
  }
  return applied;
}
