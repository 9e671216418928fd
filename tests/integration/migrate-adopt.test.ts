// `migrate adopt` on a database django-celery 2.5.5 made (syncdb's tables
// with rows in them, tests/support/djcelery-database.ts): a dry run only
// prints, adopting keeps every row and leaves a history deploy continues,
// and our store, beat and result backend use what was there before.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, expect, it } from 'vitest';
import { PrismaResultBackend } from '../../src/backend/index.js';
import type { TaskMessage } from '../../src/core/protocol/index.js';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { openMigrationConnection, queryRows } from '../../src/migrate/connection.js';
import { readDatabaseHistory } from '../../src/migrate/history.js';
import { migrateDeploy, migrateStatus } from '../../src/migrate/index.js';
import { Beat, PeriodicTaskStore } from '../../src/scheduler/index.js';
import { runCliCaptured } from '../support/cli-in-process.js';
import { describeEachDatabase, type TestDatabase } from '../support/databases.js';
import { djceleryRows, djceleryTables } from '../support/djcelery-database.js';
import { waitFor } from '../support/wait.js';

/** Runs statements (or a query, whose rows it returns) on its own migration connection. */
async function onDatabase<T>(url: string, work: (run: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  const connection = await openMigrationConnection(parseDatabaseUrl(url));
  try {
    return await work((sql) => queryRows(connection.adapter, sql));
  } finally {
    await connection.close();
  }
}

async function buildDjcelery(tdb: TestDatabase, rows = true, change: (sql: string) => string = (s) => s): Promise<void> {
  await onDatabase(tdb.url, async (run) => {
    for (const statement of [...djceleryTables(tdb.provider), ...(rows ? djceleryRows(tdb.provider) : [])]) await run(change(statement));
  });
}

const ROW_COUNTS = `SELECT (SELECT COUNT(*) FROM djcelery_periodictask) AS tasks, (SELECT COUNT(*) FROM djcelery_intervalschedule) AS intervals,
  (SELECT COUNT(*) FROM celery_taskmeta) AS results, (SELECT COUNT(*) FROM djcelery_taskstate) AS states, (SELECT COUNT(*) FROM djcelery_workerstate) AS workers`;
const counts = async (url: string): Promise<string> => onDatabase(url, async (run) => JSON.stringify((await run(ROW_COUNTS)).map((r) => Object.values(r).map(Number))));

const adopt = (url: string, ...flags: string[]) => runCliCaptured(['migrate', 'adopt', '--database-url', url, ...flags]);

describeEachDatabase(
  'migrate adopt on a django-celery 2.5.5 database',
  (tdb) => {
    beforeAll(() => buildDjcelery(tdb));

    it('prints the SQL in a dry run and changes nothing', async () => {
      const before = await onDatabase(tdb.url, async (run) => JSON.stringify(await run(ROW_COUNTS)));
      const tablesBefore = await tablesOf(tdb.url);
      const outcome = await adopt(tdb.url, '--dry-run');
      expect(outcome.stderr).toBe('');
      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toMatch(/CREATE TABLE ["`]djcelery_clockedschedule["`]/);
      expect(outcome.stdout).toMatch(/date_created/);
      expect(outcome.stdout).toMatch(/then record the first migration \(init\) as applied and deploy \d+/);
      expect(await tablesOf(tdb.url)).toEqual(tablesBefore);
      expect(await onDatabase(tdb.url, async (run) => JSON.stringify(await run(ROW_COUNTS)))).toBe(before);
    });

    it('adopts with every row kept; a second adopt refuses in one line; deploy then has nothing to do', async () => {
      const before = await counts(tdb.url);
      const outcome = await adopt(tdb.url);
      expect(outcome.stderr).toBe('');
      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toMatch(/^Adopted .*init recorded as applied/);
      expect(await counts(tdb.url)).toBe(before);
      expect((await migrateStatus(tdb.url)).upToDate).toBe(true);

      const again = await adopt(tdb.url);
      expect(again.code).toBe(2);
      expect(again.stderr.trim().split('\n')).toEqual([expect.stringMatching(/already has a migration history .*migrate deploy/)]);
      expect(await migrateDeploy(tdb.url)).toEqual({ applied: [] });
    });

    it('serves what django-celery left: the periodic task to the store and beat, the result to the backend', async () => {
      const db = await tdb.open();
      const task = await new PeriodicTaskStore(db).get('adopted-task');
      expect(task).toMatchObject({ task: 'tasks.adopted', args: '[2, 3]', totalRunCount: 7, description: 'kept from django-celery' });
      expect(task?.scheduleText).toMatch(/10 seconds/);
      expect(await new PrismaResultBackend(db).getTaskMeta('adopted-result')).toMatchObject({ status: 'SUCCESS', result: 42 });
      // New rows too, in django-celery's columns that keep no database default.
      const backend = new PrismaResultBackend(db);
      await backend.storeResult('after-adoption', 7, 'SUCCESS');
      expect(await backend.getTaskMeta('after-adoption')).toMatchObject({ status: 'SUCCESS', result: 7 });
      await new PeriodicTaskStore(db).create({ name: 'after-adoption', task: 'tasks.new', schedule: { every: 60 } });

      const sent: TaskMessage[] = [];
      const beat = new Beat({ database: db, publisher: { publish: async (m) => void sent.push(m) }, maxInterval: 60 });
      await beat.start();
      try {
        await waitFor('beat to send the adopted task', () => sent.some((m) => m.properties.headers.task === 'tasks.adopted'), { timeoutMs: 10_000, intervalMs: 10 });
      } finally {
        await beat.close();
      }
    }, 30_000);
  },
  { migrate: false },
);

describeEachDatabase(
  'migrate adopt refusing a django-celery database it cannot reconcile',
  (tdb) => {
    beforeAll(() => buildDjcelery(tdb, false, (sql) => sql.replace(/(["`]every["`]) integer/, '$1 varchar(20)')));

    it('names the column of another kind in one line, and changes nothing', async () => {
      const outcome = await adopt(tdb.url);
      expect(outcome.code).toBe(2);
      expect(outcome.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^prisma-celery: cannot adopt this database: djcelery_intervalschedule\.every is .*integer values/)]);
      expect(await tablesOf(tdb.url)).not.toContain('_prisma_migrations');
      expect(await tablesOf(tdb.url)).not.toContain('djcelery_clockedschedule');
    });
  },
  { migrate: false },
);

it('refuses a database without django-celery tables, pointing to migrate deploy', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'prisma-celery-adopt-'));
  try {
    const file = join(dir, 'other.db');
    new Database(file).exec('CREATE TABLE auth_user (id integer PRIMARY KEY)').close();
    const outcome = await adopt(`file:${file}`);
    expect(outcome.code).toBe(2);
    expect(outcome.stderr.trim().split('\n')).toEqual([expect.stringMatching(/holds no django-celery tables; use prisma-celery migrate deploy$/)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

async function tablesOf(url: string): Promise<string[]> {
  const connection = await openMigrationConnection(parseDatabaseUrl(url));
  try {
    const history = await readDatabaseHistory(connection.adapter, connection.provider);
    return history.hasTable ? ['_prisma_migrations', ...history.otherTables] : history.otherTables;
  } finally {
    await connection.close();
  }
}
