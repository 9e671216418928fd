// One deploy at a time per database, across processes: the history check
// and the applying happen under the lock, so a second deploy started at the
// same moment waits and then finds nothing pending (instead of reading the
// first one's unfinished row as a failed migration, or applying twice).
// MySQL and PostgreSQL use the native engine's own locks, so the real
// `prisma migrate deploy` and we exclude each other too.
//
// Those locks belong to the database session that took them, and die with
// it. The migration connection is one session that is never replaced
// (connection.ts), so once it is lost every later statement fails; the
// deploy then stops with E_MIGRATION_LOCK_LOST instead of going on in a new
// session that holds no lock.
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import type { SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import type { DatabaseTarget } from '../db/url.js';
import { MigrationError } from '../errors.js';
import { queryRows, type MigrationConnection } from './connection.js';

/** How long a deploy waits for another one (the native engine's value). */
const LOCK_TIMEOUT_MS = 10_000;
const POLL_MS = 50;

// prisma-engines, sql-schema-connector flavours: GET_LOCK('prisma_migrate', 10)
// and pg_advisory_lock(72707369).
const MYSQL_LOCK_NAME = 'prisma_migrate';
const POSTGRES_LOCK_KEY = 72707369;

export async function withMigrateLock<T>(
  target: DatabaseTarget,
  connection: MigrationConnection,
  work: () => Promise<T>,
): Promise<T> {
  const release = await acquire(target, connection.adapter);
  try {
    return await work();
  } catch (error) {
    throw (await connection.sessionAlive()) ? error : lockLost(target, error);
  } finally {
    // Best effort: the lock also ends with the session, which the caller
    // closes next (and a lost session has no lock left to release).
    await release().catch(() => {});
  }
}

function lockLost(target: DatabaseTarget, cause: unknown): MigrationError {
  const lock = target.provider === 'mysql' ? `GET_LOCK('${MYSQL_LOCK_NAME}')` : `pg_advisory_lock(${POSTGRES_LOCK_KEY})`;
  return new MigrationError(
    'E_MIGRATION_LOCK_LOST',
    `lost the connection holding the migrate lock (${lock}) during the deploy, so it stopped rather ` +
      'than go on unlocked; run `prisma-celery migrate status` to see what was applied, then `prisma-celery migrate deploy` again',
    { cause },
  );
}

async function acquire(target: DatabaseTarget, adapter: SqlDriverAdapter): Promise<() => Promise<void>> {
  switch (target.provider) {
    case 'mysql': {
      const seconds = LOCK_TIMEOUT_MS / 1000;
      const [row] = await queryRows(adapter, `SELECT GET_LOCK('${MYSQL_LOCK_NAME}', ${seconds}) AS locked`);
      if (Number(row?.locked) !== 1) throw lockTimeout(`GET_LOCK('${MYSQL_LOCK_NAME}')`);
      return async () => {
        await queryRows(adapter, `SELECT RELEASE_LOCK('${MYSQL_LOCK_NAME}') AS released`);
      };
    }
    case 'postgresql': {
      // Session-level, on the connection the engine also uses (it may take
      // the same lock again: advisory locks are re-entrant per session).
      await poll(async () => {
        const [row] = await queryRows(adapter, `SELECT pg_try_advisory_lock(${POSTGRES_LOCK_KEY}) AS locked`);
        return row?.locked === true;
      }, `pg_advisory_lock(${POSTGRES_LOCK_KEY})`);
      return async () => {
        await queryRows(adapter, `SELECT pg_advisory_unlock(${POSTGRES_LOCK_KEY}) AS released`);
      };
    }
    case 'sqlite':
      return target.file === ':memory:' ? async () => {} : sqliteLockFile(`${target.file}-migrate.lock`);
  }
}

/**
 * SQLite has no advisory locks (the native engine takes none). A write
 * transaction on a small file beside the database stands in: SQLite's file
 * locks are released when the holder closes it or dies. The database file
 * itself cannot be used: the migrations must run outside any transaction
 * (a SQLite migration's `PRAGMA foreign_keys=OFF` is ignored inside one).
 * The holder deletes the file before it lets go, so none is left behind; a
 * waiter that then gets the lock on the deleted file sees that the path no
 * longer names what it locked, and starts over.
 */
async function sqliteLockFile(file: string): Promise<() => Promise<void>> {
  const { default: Database } = await import('better-sqlite3');
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  for (;;) {
    closeSync(openSync(file, 'a'));
    const inode = inodeOf(file);
    const db = new Database(file, { timeout: 0 });
    let locked: boolean;
    try {
      locked = tryBeginImmediate(db);
    } catch (error) {
      db.close();
      throw error;
    }
    if (locked && inode !== undefined && inodeOf(file) === inode) {
      return async () => {
        rmSync(file, { force: true });
        db.close();
      };
    }
    db.close();
    if (locked) continue;
    if (Date.now() >= deadline) throw lockTimeout(file);
    await sleep(POLL_MS);
  }
}

function tryBeginImmediate(db: { exec(sql: string): unknown }): boolean {
  try {
    db.exec('BEGIN IMMEDIATE');
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === 'SQLITE_BUSY') return false;
    throw error;
  }
}

function inodeOf(file: string): number | undefined {
  try {
    return statSync(file).ino;
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function poll(attempt: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + LOCK_TIMEOUT_MS;
  while (!(await attempt())) {
    if (Date.now() >= deadline) throw lockTimeout(what);
    await sleep(POLL_MS);
  }
}

const lockTimeout = (what: string): MigrationError =>
  new MigrationError(
    'E_MIGRATION_LOCK',
    `another migration has held the migrate lock (${what}) for ${LOCK_TIMEOUT_MS / 1000} s; try again once it has finished`,
  );
