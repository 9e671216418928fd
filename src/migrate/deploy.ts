// `migrate deploy` and `migrate status` over any of the three providers.
// The history checks are ours and the same everywhere; applying is done by
// Prisma's schema engine (SQLite, PostgreSQL) or our MySQL applier.
import { existsSync } from 'node:fs';
import { parseDatabaseUrl, type DatabaseTarget } from '../db/url.js';
import { MigrationError } from '../errors.js';
import { ensurePostgresSchema, openMigrationConnection, type MigrationConnection } from './connection.js';
import { applyWithEngine } from './engine-applier.js';
import {
  assertDeployable,
  assertUnmodified,
  compareHistory,
  readDatabaseHistory,
  type DatabaseHistory,
  type HistoryComparison,
  type MigrationRecord,
} from './history.js';
import { applyMigrationErrorText, databaseErrorOf, describeError, withoutSpanTrace } from './migration-failure.js';
import { readMigrationsFolder, type MigrationsFolder } from './migrations-dir.js';
import { withMigrateLock } from './migrate-lock.js';
import { applyMysqlMigrations } from './mysql-applier.js';
import { EngineFailure } from './wasm-engine.js';

export interface MigrateOptions {
  /** Receives one human-readable line per step. Default: silent. */
  log?: (line: string) => void;
  /**
   * The provider's migrations folder. Default: the package's own
   * prisma/migrations/<provider>. Tests point it elsewhere.
   */
  migrationsDir?: string;
}

export interface MigrationStatus {
  /** Names recorded as applied (finished, not rolled back), oldest first. */
  applied: string[];
  /** Names in the migrations folder the database has not applied yet. */
  pending: string[];
  /** Names recorded as started but neither finished nor rolled back. */
  failed: string[];
  /** Nothing pending and nothing failed. */
  upToDate: boolean;
}

export async function deployMigrations(url: string, options: MigrateOptions = {}): Promise<{ applied: string[] }> {
  const log = options.log ?? (() => {});
  const target = parseDatabaseUrl(url);
  const folder = readMigrationsFolder(target.provider, options.migrationsDir);
  let connection: MigrationConnection | undefined;
  try {
    const opened = (connection = await openMigrationConnection(target));
    const applied = await withMigrateLock(target, opened, async () => {
      if (target.provider === 'postgresql') await ensurePostgresSchema(opened.adapter, target.schema);
      return applyPending(opened, target, folder, log);
    });
    return { applied };
  } catch (error) {
    throw asMigrationError(error, `migrate deploy failed on the ${target.provider} database`);
  } finally {
    await connection?.close();
  }
}

/** Under the migrate lock: check the history, then apply what is pending. */
export async function applyPending(
  connection: MigrationConnection,
  target: DatabaseTarget,
  folder: MigrationsFolder,
  log: (line: string) => void,
): Promise<string[]> {
  const history = await readDatabaseHistory(connection.adapter, connection.provider);
  const comparison = compareHistory(folder, history);
  assertDeployable(folder, history, comparison);
  if (comparison.pending.length === 0) {
    log('No pending migrations to apply.');
    return [];
  }
  log(`${comparison.pending.length} migration(s) to apply: ${comparison.pending.map((m) => m.name).join(', ')}`);
  const applied =
    connection.provider === 'mysql'
      ? await applyMysqlMigrations(connection.adapter, comparison.pending, history.hasTable, log)
      : await applyViaEngine(connection, folder, history.hasTable, otherApps(target, history), comparison);
  if (connection.provider !== 'mysql') for (const name of applied) log(`Applied migration \`${name}\``);
  log(`Applied ${applied.length} migration(s).`);
  return applied;
}

/**
 * Tables of other apps that assertDeployable let stand, named as the
 * engine's external-tables filter names them (schema-qualified on
 * PostgreSQL). Once our history exists the engine no longer checks.
 */
function otherApps(target: DatabaseTarget, history: DatabaseHistory): string[] {
  if (history.hasTable) return [];
  return target.provider === 'postgresql' ? history.otherTables.map((t) => `${target.schema}.${t}`) : history.otherTables;
}

/** Errors of our own pass through; anything else (unreachable server, missing privilege…) is wrapped. */
export function asMigrationError(error: unknown, context: string): MigrationError {
  if (error instanceof MigrationError) return error;
  return new MigrationError('E_MIGRATION_DATABASE', `${context}: ${describeError(error)}`, { cause: error });
}

async function applyViaEngine(
  connection: MigrationConnection,
  folder: MigrationsFolder,
  hasTable: boolean,
  otherApps: string[],
  before: HistoryComparison,
): Promise<string[]> {
  connection.takeEngineError();
  try {
    return await applyWithEngine(connection, folder, hasTable, otherApps);
  } catch (error) {
    if (!(error instanceof EngineFailure)) throw error;
    const databaseError = connection.takeEngineError();
    // The engine recorded the failed migration (finished_at NULL, logs):
    // name it, with the database's own error where the adapter saw one.
    const failed = await failedRecord(connection, folder, before);
    if (failed) {
      const info =
        databaseError !== undefined
          ? databaseErrorOf(databaseError)
          : { code: 'none', message: withoutSpanTrace(failed.logs?.trim() || error.message) };
      throw new MigrationError('P3018', applyMigrationErrorText(failed.name, info), {
        cause: databaseError ?? error,
        migration: failed.name,
      });
    }
    const code = error.code ?? 'E_MIGRATION_ENGINE';
    throw new MigrationError(code, `The schema engine could not apply the migrations: ${withoutSpanTrace(error.message)}`, {
      cause: error,
    });
  }
}

async function failedRecord(
  connection: MigrationConnection,
  folder: MigrationsFolder,
  before: HistoryComparison,
): Promise<MigrationRecord | undefined> {
  try {
    const pendingNames = new Set(before.pending.map((m) => m.name));
    const after = compareHistory(folder, await readDatabaseHistory(connection.adapter, connection.provider));
    return after.failed.find((r) => pendingNames.has(r.name));
  } catch {
    return undefined;
  }
}

export async function migrationStatus(url: string, options: Pick<MigrateOptions, 'migrationsDir'> = {}): Promise<MigrationStatus> {
  const target = parseDatabaseUrl(url);
  const folder = readMigrationsFolder(target.provider, options.migrationsDir);
  if (target.provider === 'sqlite' && target.file !== ':memory:' && !existsSync(target.file)) {
    // Opening would create the file: status only reads.
    const pending = folder.migrations.map((m) => m.name);
    return { applied: [], pending, failed: [], upToDate: pending.length === 0 };
  }
  let connection: MigrationConnection | undefined;
  try {
    connection = await openMigrationConnection(target);
    const history = await readDatabaseHistory(connection.adapter, connection.provider);
    const comparison = compareHistory(folder, history);
    assertUnmodified(folder, comparison);
    const failed = comparison.failed.map((r) => r.name);
    const pending = comparison.pending.map((m) => m.name);
    return { applied: comparison.applied, pending, failed, upToDate: pending.length === 0 && failed.length === 0 };
  } catch (error) {
    throw asMigrationError(error, `migrate status failed on the ${target.provider} database`);
  } finally {
    await connection?.close();
  }
}
