// Expiry on every database: exactly the rows done before the cutoff are
// deleted (tasks and groups), live rows stay, rows someone hid are deleted
// too, each statement covers one batch of ids; and the CLI command.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run.js';
import type { Database } from '../../src/db/open.js';
import { PrismaResultBackend } from '../../src/backend/index.js';
import { describeEachDatabase } from '../support/databases.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describeEachDatabase('result backend expiry', (testDb) => {
  let db: Database;
  let backend: PrismaResultBackend;
  const now = Date.now();

  beforeAll(async () => {
    db = await testDb.open();
    backend = new PrismaResultBackend(db);
  });
  afterAll(() => backend?.close());

  // 30 tasks: ages 0..29 hours; 6 groups: ages 0, 6, …, 30 hours; plus a live
  // task and group that were hidden by hand.
  beforeEach(async () => {
    await db.prisma.taskMeta.deleteMany();
    await db.prisma.taskSetMeta.deleteMany();
    await db.prisma.taskMeta.createMany({
      data: Array.from({ length: 30 }, (_, i) => ({
        taskId: `age-${String(i).padStart(2, '0')}`,
        status: 'SUCCESS',
        result: String(i),
        dateDone: new Date(now - i * HOUR - 60_000),
      })),
    });
    await db.prisma.taskMeta.create({ data: { taskId: 'hidden-live', status: 'SUCCESS', dateDone: new Date(now), hidden: true } });
    await db.prisma.taskSetMeta.createMany({
      data: Array.from({ length: 6 }, (_, i) => ({ tasksetId: `group-${i * 6}h`, result: '[]', dateDone: new Date(now - i * 6 * HOUR - 60_000) })),
    });
    await db.prisma.taskSetMeta.create({ data: { tasksetId: 'group-hidden', result: '[]', dateDone: new Date(now), hidden: true } });
  });

  const remaining = async () => ({
    tasks: (await db.prisma.taskMeta.findMany({ orderBy: { taskId: 'asc' } })).map((row) => row.taskId),
    groups: (await db.prisma.taskSetMeta.findMany({ orderBy: { tasksetId: 'asc' } })).map((row) => row.tasksetId),
  });

  it('deletes exactly the rows done before the cutoff, and rows hidden already', async () => {
    const report = await backend.cleanup({ expires: '1d' });
    // Ages 24..29 h are older than a day (each has an extra minute), and one live row was hidden.
    expect(report.tasks).toEqual({ deleted: 7 });
    expect(report.groups).toEqual({ deleted: 3 });
    expect(await remaining()).toEqual({
      tasks: Array.from({ length: 24 }, (_, i) => `age-${String(i).padStart(2, '0')}`),
      groups: ['group-0h', 'group-12h', 'group-18h', 'group-6h'],
    });
    expect(Math.abs(report.cutoff.getTime() - (Date.now() - DAY))).toBeLessThan(60_000);
    expect(report.longestStatementMs).toBeGreaterThan(0);
  });

  it('works in batches: a small batch size takes more statements to the same end', async () => {
    const report = await backend.cleanup({ expires: 10 * HOUR, batchSize: 4 });
    expect(report.tasks).toEqual({ deleted: 21 });
    // 31 task ids from batches of 4 (4, 8, 16… while statements are quick), each table's bounds, the groups.
    expect(report.statements).toBeGreaterThanOrEqual(1 + 4 + 1 + 1);
    expect((await remaining()).tasks).toHaveLength(10);
  });

  it('leaves nothing expired visible once it returns, and hidden rows stay unread until deleted', async () => {
    expect(await backend.getTask('hidden-live')).toBeNull();
    expect((await backend.getTaskMeta('hidden-live')).status).toBe('PENDING');
    await backend.cleanup({ expires: '1d' });
    expect(await db.prisma.taskMeta.count({ where: { OR: [{ hidden: true }, { dateDone: { lt: new Date(now - DAY) } }] } })).toBe(0);
  });

  it('skips gaps in ids left by earlier deletes, and is a no-op on empty tables', async () => {
    await db.prisma.taskMeta.deleteMany({ where: { taskId: { in: ['age-03', 'age-04', 'age-05', 'age-06', 'age-07'] } } });
    const report = await backend.cleanup({ expires: '2h', batchSize: 2 });
    expect(report.tasks).toEqual({ deleted: 24 });
    expect((await remaining()).tasks).toEqual(['age-00', 'age-01']);
    await db.prisma.taskMeta.deleteMany();
    await db.prisma.taskSetMeta.deleteMany();
    // It reads the id bounds of each table, and finds nothing.
    expect(await backend.cleanup({ expires: 0 })).toMatchObject({ tasks: { deleted: 0 }, groups: { deleted: 0 }, statements: 2 });
  });

  it('refuses a negative or unreadable expiry and a bad batch size', async () => {
    await expect(backend.cleanup({ expires: -5 })).rejects.toThrow(/expires must be/);
    await expect(backend.cleanup({ expires: 'tomorrow' })).rejects.toThrow(/"tomorrow"/);
    await expect(backend.cleanup({ expires: '1d', batchSize: 0 })).rejects.toThrow(/batchSize/);
  });

  it('runs from the shell: prisma-celery cleanup --database-url URL --expires 1d', async () => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['cleanup', '--database-url', testDb.url, '--expires', '1d'], {
      env: {},
      cwd: process.cwd(),
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Expired 7 task results and 3 groups done before \d{4}-\d\d-\d\dT[\d:.]+Z\n$/);
    expect((await remaining()).tasks).toHaveLength(24);
  });
});
