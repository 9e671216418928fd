// Expiry on every database: exactly the rows done before the cutoff are
// deleted (tasks and groups), live rows stay, rows someone hid are deleted
// too, each statement covers one batch of ids; and the CLI command.
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli-in-process.js';
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

  it('keeps a task that may still be running: unfinished states wait for unreadyExpires (default 7 days)', async () => {
    await db.prisma.taskMeta.deleteMany();
    const ago = (hours: number): Date => new Date(now - hours * HOUR);
    const seeded: [string, string, number][] = [
      ['started-36h', 'STARTED', 36],
      ['retry-36h', 'RETRY', 36],
      ['received-36h', 'RECEIVED', 36],
      ['pending-36h', 'PENDING', 36],
      ['progress-36h', 'PROGRESS', 36],
      ['started-8d', 'STARTED', 8 * 24],
      ['success-36h', 'SUCCESS', 36],
      ['failure-36h', 'FAILURE', 36],
      ['revoked-36h', 'REVOKED', 36],
    ];
    await db.prisma.taskMeta.createMany({ data: seeded.map(([taskId, status, hours]) => ({ taskId, status, dateDone: ago(hours), name: 'tasks.long' })) });
    const report = await backend.cleanup({ expires: '1d' });
    expect(report.tasks).toEqual({ deleted: 4 });
    expect(Math.abs(report.unreadyCutoff.getTime() - (Date.now() - 7 * DAY))).toBeLessThan(60_000);
    expect((await remaining()).tasks).toEqual(['pending-36h', 'progress-36h', 'received-36h', 'retry-36h', 'started-36h']);
    // Its row keeps what the worker wrote, and its final state lands in it.
    await backend.storeResult('started-36h', 42, 'SUCCESS');
    expect(await backend.getTask('started-36h')).toMatchObject({ status: 'SUCCESS', name: 'tasks.long' });
    // A shorter unready age is raised to expires; a longer expires wins.
    expect((await backend.cleanup({ expires: '1d', unreadyExpires: '1h' })).tasks).toEqual({ deleted: 4 });
  });

  it('refuses a negative or unreadable expiry and a bad batch size', async () => {
    await expect(backend.cleanup({ expires: -5 })).rejects.toThrow(/expires must be/);
    await expect(backend.cleanup({ expires: 'tomorrow' })).rejects.toThrow(/"tomorrow"/);
    await expect(backend.cleanup({ expires: '1d', batchSize: 0 })).rejects.toThrow(/batchSize/);
    await expect(backend.cleanup({ expires: '1d', unreadyExpires: 'soon' })).rejects.toThrow(/^unreadyExpires must be .*"soon"/);
  });

  it('runs from the shell: prisma-celery cleanup --database-url URL --expires 1d --unready-expires 2d', async () => {
    await db.prisma.taskMeta.createMany({
      data: [
        { taskId: 'started-3d', status: 'STARTED', dateDone: new Date(now - 3 * DAY) },
        { taskId: 'started-36h', status: 'STARTED', dateDone: new Date(now - 36 * HOUR) },
      ],
    });
    const { code, stdout, stderr } = await runCliCaptured(['cleanup', '--database-url', testDb.url, '--expires', '1d', '--unready-expires', '2d'], { cwd: process.cwd() });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Expired 8 task results and 3 groups done before \d{4}-\d\d-\d\dT[\d:.]+Z\nPruned 0 schedule changes recorded before \d{4}-[\d:.T-]+Z\n$/);
    expect((await remaining()).tasks).toEqual([...Array.from({ length: 24 }, (_, i) => `age-${String(i).padStart(2, '0')}`), 'started-36h']);
  });
});
