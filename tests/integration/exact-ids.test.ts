// Ids are exact on every database: task ids, group ids, worker host names
// and periodic task names that differ only by case, accents or trailing
// spaces are different rows. MySQL/MariaDB's default collation would make
// them one; migration 20261207090100_exact_ids gives those columns a
// binary, non-padding collation. And on MySQL, the upgrade of a database
// that already holds rows.
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaResultBackend } from '../../src/backend/index.js';
import type { Database } from '../../src/db/open.js';
import { deployMigrations } from '../../src/migrate/deploy.js';
import { packageMigrationsDir } from '../../src/migrate/migrations-dir.js';
import { PeriodicTaskStore } from '../../src/scheduler/periodic-tasks.js';
import type { TaskRow } from '../../src/snapshot/state/rows.js';
import { SnapshotStore } from '../../src/snapshot/store/snapshot-store.js';
import { describeEachDatabase, itWhen, TestDatabase } from '../support/databases.js';
import { selectedProviders } from '../support/providers.js';
import { missingServices } from '../support/services.js';

const MIGRATION = '20261207090100_exact_ids';
const IDS = ['Invoice-42', 'invoice-42', 'invoice-42 ', 'Invöice-42'];

const cameraRow = (taskId: string, worker: string): TaskRow => ({
  taskId,
  state: 'SUCCESS',
  name: 'tasks.bill',
  tstamp: new Date(),
  args: null,
  kwargs: null,
  eta: null,
  expires: null,
  result: JSON.stringify(taskId),
  traceback: null,
  runtime: 0.1,
  retries: 0,
  worker,
});

describeEachDatabase('exact ids', (testDb) => {
  let db: Database;
  let backend: PrismaResultBackend;

  beforeAll(async () => {
    db = await testDb.open();
    backend = new PrismaResultBackend(db);
  });
  afterAll(() => backend?.close());

  it('keeps ids that differ by case, accents or trailing spaces apart in the result backend', async () => {
    await backend.storeResult('Invoice-42', 'paid', 'SUCCESS');
    // Never stored: PENDING, not the SUCCESS of the id it resembles.
    for (const id of IDS.slice(1)) expect((await backend.getTaskMeta(id)).status).toBe('PENDING');
    // A FAILURE for another id is its own, not dropped behind the SUCCESS.
    await backend.storeResult('invoice-42', new Error('card declined'), 'FAILURE');
    await backend.storeResult('invoice-42 ', 'queued', 'STARTED');
    await backend.storeResult('Invöice-42', 'refunded', 'SUCCESS');
    const rows = await db.prisma.taskMeta.findMany({ where: { taskId: { in: IDS } }, orderBy: { id: 'asc' } });
    expect(rows.map((r) => [r.taskId, r.status])).toEqual([
      ['Invoice-42', 'SUCCESS'],
      ['invoice-42', 'FAILURE'],
      ['invoice-42 ', 'STARTED'],
      ['Invöice-42', 'SUCCESS'],
    ]);
    expect(await backend.getTaskMeta('Invoice-42')).toMatchObject({ status: 'SUCCESS', result: 'paid' });
    expect(await backend.getTaskMeta('Invöice-42')).toMatchObject({ status: 'SUCCESS', result: 'refunded' });
    expect((await backend.getTaskMeta('invoice-42')).status).toBe('FAILURE');
  });

  it('keeps group ids apart', async () => {
    await backend.saveGroup('Batch-7', ['Invoice-42']);
    expect(await backend.restoreGroup('batch-7')).toBeNull();
    await backend.saveGroup('batch-7', ['invoice-42']);
    expect((await backend.restoreGroup('Batch-7'))?.taskIds).toEqual(['Invoice-42']);
    expect((await backend.restoreGroup('batch-7'))?.taskIds).toEqual(['invoice-42']);
  });

  it('keeps camera task rows and worker host names apart', async () => {
    const store = new SnapshotStore(db);
    const workers = ['celery@Worker1', 'celery@worker1', 'celery@worker1 ', 'celery@wörker1'];
    const outcome = await store.write(
      IDS.map((id, i) => cameraRow(id, workers[i]!)),
      workers.map((hostname) => ({ hostname, lastHeartbeat: new Date() })),
    );
    expect(outcome.error).toBeNull();
    const rows = await db.prisma.taskState.findMany({ where: { taskId: { in: IDS } }, include: { worker: true } });
    const byId = (a: unknown[], b: unknown[]): number => String(a[0]).localeCompare(String(b[0]));
    expect(rows.map((r) => [r.taskId, r.result, r.worker?.hostname]).sort(byId)).toEqual(IDS.map((id, i) => [id, JSON.stringify(id), workers[i]]).sort(byId));
    expect(await db.prisma.workerState.count({ where: { hostname: { in: workers } } })).toBe(4);
  });

  it('keeps periodic task names apart: "Report" and "report" are two entries', async () => {
    const tasks = new PeriodicTaskStore(db);
    for (const name of ['Report', 'report', 'report ', 'Rëport']) await tasks.create({ name, task: 'tasks.report', schedule: { every: 60 } });
    expect((await tasks.get('report'))?.name).toBe('report');
    expect((await tasks.get('REPORT'))).toBeNull();
    expect((await tasks.list()).map((t) => t.name).sort()).toEqual(['Report', 'Rëport', 'report', 'report '].sort());
  });
});

// The upgrade: a MySQL database with rows migrated before the change.
const mysqlUp = selectedProviders().includes('mysql') && !missingServices().has('mysql');

describe(`migration ${MIGRATION} on a MySQL database that holds rows`, () => {
  const testDb = new TestDatabase('mysql');
  let before: string;

  beforeAll(async () => {
    if (!mysqlUp) return;
    await testDb.create();
    // The history up to the migration before this one.
    before = join(mkdtempSync(join(tmpdir(), 'prisma-celery-exact-ids-')), 'mysql');
    cpSync(packageMigrationsDir('mysql'), before, { recursive: true });
    for (const name of readdirSync(before)) if (name >= MIGRATION) rmSync(join(before, name), { recursive: true });
  });
  afterAll(async () => {
    if (before) rmSync(dirname(before), { recursive: true, force: true });
    await testDb.drop();
  });

  itWhen(mysqlUp)('keeps every row, then tells the ids apart', async () => {
    expect((await deployMigrations(testDb.url, { migrationsDir: before })).applied).not.toContain(MIGRATION);
    const db = await testDb.open();
    await using backend = new PrismaResultBackend(db);
    await backend.storeResult('Invoice-42', 'paid', 'SUCCESS');
    // The old collation: one row for both ids.
    expect(await backend.getTaskMeta('invoice-42 ')).toMatchObject({ status: 'SUCCESS', result: 'paid' });
    // Through the client, not the store: the store names its actor in a column later migrations add.
    await db.prisma.periodicTask.create({ data: { name: 'Report', task: 'tasks.report', interval: { create: { every: 60, period: 'seconds' } } } });

    expect((await deployMigrations(testDb.url)).applied).toContain(MIGRATION);
    expect(await backend.getTaskMeta('Invoice-42')).toMatchObject({ status: 'SUCCESS', result: 'paid' });
    expect((await backend.getTaskMeta('invoice-42 ')).status).toBe('PENDING');
    await backend.storeResult('invoice-42', new Error('card declined'), 'FAILURE');
    expect((await backend.getTaskMeta('invoice-42')).status).toBe('FAILURE');
    expect(await db.prisma.periodicTask.findUnique({ where: { name: 'Report' } })).not.toBeNull();
    expect(await db.prisma.periodicTask.findUnique({ where: { name: 'report' } })).toBeNull();
  });
});
