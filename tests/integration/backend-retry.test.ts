// Transient database errors, made for real on each database, are retried
// and the write lands: SQLite busy (another connection holds the write
// lock), PostgreSQL's pg_terminate_backend and MariaDB's KILL CONNECTION
// of the session running the store. Plus what is not retried.
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/open.js';
import { BackendDatabaseError, BackendNotMigratedError, PrismaResultBackend, type BackendEvent } from '../../src/backend/index.js';
import { describeEachDatabase, mysqlAdmin, type TestDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Makes the next statement touching row `taskId` fail with a connection
 * error: holds the row's lock from another session, waits until the
 * backend's session is blocked on it, kills that session, then lets go.
 */
async function killBlockedStore(testDb: TestDatabase, taskId: string, store: () => Promise<void>): Promise<void> {
  if (testDb.provider === 'postgresql') {
    const pg = (await import('pg')).default;
    const locker = new pg.Client({ connectionString: testDb.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM celery_taskmeta WHERE task_id = $1 FOR UPDATE', [taskId]);
      const storing = store();
      await waitFor('the store waits on the lock', async () => {
        const { rowCount } = await locker.query(
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        return (rowCount ?? 0) > 0;
      }, { timeoutMs: 5_000, intervalMs: 25 });
      await locker.query('ROLLBACK');
      await storing;
    } finally {
      await locker.end();
    }
    return;
  }
  await mysqlAdmin(async (admin) => {
    await admin.query(`USE \`${new URL(testDb.url).pathname.slice(1)}\``);
    await admin.beginTransaction();
    await admin.query('SELECT 1 FROM celery_taskmeta WHERE task_id = ? FOR UPDATE', [taskId]);
    const storing = store();
    await waitFor('the store waits on the lock', async () => {
      const blocked = (await admin.query(
        "SELECT id FROM information_schema.processlist WHERE db = DATABASE() AND id <> CONNECTION_ID() AND info LIKE 'INSERT INTO celery_taskmeta%'",
      )) as { id: bigint }[];
      for (const { id } of blocked) await admin.query(`KILL CONNECTION ${id}`);
      return blocked.length > 0;
    }, { timeoutMs: 5_000, intervalMs: 25 });
    await admin.rollback();
    await storing;
  });
}

describeEachDatabase('result backend retries', (testDb) => {
  let db: Database;
  const events: BackendEvent[] = [];
  let backend: PrismaResultBackend;

  beforeAll(async () => {
    // SQLite's own busy wait is kept short so that the backend's retries are what rides the lock out.
    db = await openDatabase(testDb.url, { sqliteBusyTimeoutMs: 10 });
    backend = new PrismaResultBackend(db, {
      retry: { attempts: 8, minDelayMs: 20, maxDelayMs: 200 },
      onEvent: (event) => events.push(event),
    });
    await backend.markStarted('contended');
  });
  afterAll(async () => {
    await backend?.close();
    await db?.close();
  });

  it('retries a store that hit a transient error, and the store lands', async () => {
    events.length = 0;
    if (testDb.provider === 'sqlite') {
      const locker = new Sqlite(db.target.provider === 'sqlite' ? db.target.file : '');
      try {
        locker.exec('BEGIN IMMEDIATE');
        const storing = backend.markSucceeded('contended', 'after the lock');
        await sleep(150);
        locker.exec('COMMIT');
        await storing;
      } finally {
        locker.close();
      }
    } else {
      await killBlockedStore(testDb, 'contended', () => backend.markSucceeded('contended', 'after the kill'));
    }
    const retries = events.filter((e) => e.type === 'retry');
    expect(retries.length).toBeGreaterThan(0);
    expect(retries[0]).toMatchObject({ operation: 'store', attempt: 1 });
    expect(await backend.getTaskMeta('contended')).toMatchObject({ status: 'SUCCESS' });
  });

  it('gives up after the attempts with a transient BackendDatabaseError, and fails other errors at once', async () => {
    if (testDb.provider === 'sqlite') {
      const impatient = new PrismaResultBackend(db, { retry: { attempts: 2, minDelayMs: 5, maxDelayMs: 5, waitForDatabaseMs: 0 } });
      const locker = new Sqlite(db.target.provider === 'sqlite' ? db.target.file : '');
      try {
        locker.exec('BEGIN IMMEDIATE');
        const error = await impatient.markSucceeded('never', 1).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BackendDatabaseError);
        expect(error).toMatchObject({ code: 'E_BACKEND_DATABASE', transient: true });
      } finally {
        locker.exec('ROLLBACK');
        locker.close();
        await impatient.close();
      }
    }
    // A missing table is no transient error: no retry.
    events.length = 0;
    await db.prisma.$executeRawUnsafe('ALTER TABLE celery_tasksetmeta RENAME TO celery_tasksetmeta_away');
    try {
      const error = await backend.restoreGroup('g').catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'E_BACKEND_DATABASE', transient: false });
      expect(events.filter((e) => e.type === 'retry')).toHaveLength(0);
    } finally {
      await db.prisma.$executeRawUnsafe('ALTER TABLE celery_tasksetmeta_away RENAME TO celery_tasksetmeta');
    }
  });
});

describeEachDatabase(
  'result backend on a database without its tables',
  (testDb) => {
    it('says to apply the migrations, and starts once they are', async () => {
      const backend = new PrismaResultBackend(testDb.url);
      try {
        const error = await backend.start().catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BackendNotMigratedError);
        expect((error as Error).message).toMatch(/prisma-celery migrate deploy/);
        const { migrateDeploy } = await import('../../src/migrate/index.js');
        await migrateDeploy(testDb.url);
        await backend.markSucceeded('after-migrate', 1);
        expect((await backend.getTaskMeta('after-migrate')).status).toBe('SUCCESS');
      } finally {
        await backend.close();
      }
    });
  },
  { migrate: false },
);
