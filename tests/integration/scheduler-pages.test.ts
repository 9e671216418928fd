// DatabaseScheduler reads a large schedule a page at a time, on every
// database: the full read at start and the sync after a bulk edit each
// cross several pages, disabled rows among them, and every entry held is
// the one its row alone gives (a page is the task columns alone, as plain
// values on PostgreSQL and one JSON text per row elsewhere, with the
// schedules read once per read: each column's way through it is checked
// against the plain read).
import { beforeAll, beforeEach, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { BeatStore } from '../../src/scheduler/beat-store.js';
import { entryFromRow } from '../../src/scheduler/entry.js';
import { DatabaseScheduler, PeriodicTaskStore, type BeatEvent } from '../../src/scheduler/index.js';
import { describeEachDatabase } from '../support/databases.js';

/** More than two pages of 1,000. */
const ROWS = 2_100;

/** ROWS tasks on one interval, inserted by the database itself; every seventh disabled. */
function bulkInsert(db: Database, intervalId: number): string {
  const columns = 'name, task, interval_id, args, kwargs, headers, enabled, one_off, total_run_count, description, date_changed';
  const enabled = (n: string) => `(${n}) % 7 <> 0`;
  switch (db.provider) {
    case 'postgresql':
      return `INSERT INTO djcelery_periodictask (${columns}) SELECT 'page-' || n, 'tasks.add', ${intervalId}, '[' || n || ']', '{}', '{}', ${enabled('n')}, false, 0, '', now() FROM generate_series(1, ${ROWS}) AS n`;
    case 'sqlite':
      return (
        `INSERT INTO djcelery_periodictask (${columns}) WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${ROWS}) ` +
        `SELECT 'page-' || n, 'tasks.add', ${intervalId}, '[' || n || ']', '{}', '{}', ${enabled('n')}, false, 0, '', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') FROM s`
      );
    case 'mysql': {
      const digits = '(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
      const numbers = `(SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n FROM ${digits} a, ${digits} b, ${digits} c, ${digits} e, ${digits} f) s`;
      return `INSERT INTO djcelery_periodictask (${columns}) SELECT CONCAT('page-', n), 'tasks.add', ${intervalId}, CONCAT('[', n, ']'), '{}', '{}', ${enabled('n')}, 0, 0, '', UTC_TIMESTAMP(3) FROM ${numbers} WHERE n <= ${ROWS}`;
    }
  }
}

describeEachDatabase('DatabaseScheduler, page by page', (testDb) => {
  let db: Database;
  let tasks: PeriodicTaskStore;
  let scheduler: DatabaseScheduler;
  const events: BeatEvent[] = [];

  beforeAll(async () => {
    db = await testDb.open();
  });

  beforeEach(async () => {
    await db.prisma.periodicTask.deleteMany();
    tasks = new PeriodicTaskStore(db);
    events.length = 0;
    scheduler = new DatabaseScheduler({
      database: db,
      publish: async () => {},
      origin: 'gen1@test',
      maxInterval: 5,
      syncInterval: 1,
      staticSchedule: [],
      clock: () => new Date(),
      emit: (event) => events.push(event),
    });
    return () => scheduler.close();
  });

  it('holds every enabled row of a schedule of several pages, each as its row alone reads', { timeout: 120_000 }, async () => {
    // Every kind of column, so each goes through the page read.
    const at = new Date(Date.now() + 86_400_000);
    await tasks.create({ name: 'routed', task: 'tasks.echo', schedule: { every: 30 }, kwargs: { k: 'v' }, queue: 'q1', priority: 4, expireSeconds: 10, headers: { 'x-t': 't1' } });
    await tasks.create({ name: 'exchanged', task: 'tasks.add', schedule: { crontab: { minute: '5', hour: '*/2' }, timezone: 'Europe/Helsinki' }, exchange: 'x1', routingKey: 'k1' });
    await tasks.create({ name: 'clocked', task: 'tasks.add', schedule: { clocked: at }, oneOff: true });
    await tasks.create({ name: 'bounded', task: 'tasks.add', schedule: { every: 60 }, startTime: at, expires: new Date(at.getTime() + 3_600_000) });
    await db.prisma.periodicTask.update({ where: { name: 'bounded' }, data: { lastRunAt: new Date(Date.now() - 5000) } });
    const interval = await db.prisma.intervalSchedule.upsert({
      where: { every_period: { every: 1, period: 'hours' } },
      create: { every: 1, period: 'hours' },
      update: {},
    });
    expect(await db.prisma.$executeRawUnsafe(bulkInsert(db, interval.id))).toBe(ROWS);
    const enabled = await db.prisma.periodicTask.count({ where: { enabled: true } });
    expect(enabled).toBe(4 + ROWS - Math.floor(ROWS / 7));

    await scheduler.start();
    expect(scheduler.size).toBe(enabled);
    expect(events).toContainEqual(expect.objectContaining({ type: 'schedule-loaded', entries: enabled }));
    expect(scheduler.entryNamed('page-7')).toBeUndefined();
    expect(scheduler.entryNamed(`page-${ROWS - 1}`)?.args).toEqual([ROWS - 1]);

    const store = new BeatStore(db);
    for (const name of ['routed', 'exchanged', 'clocked', 'bounded', 'page-1', `page-${ROWS - 1}`]) {
      const { id } = await db.prisma.periodicTask.findUniqueOrThrow({ where: { name } });
      const alone = await store.loadOne(id);
      expect(scheduler.entry(id), name).toEqual(entryFromRow(alone!.row));
    }
  });

  it('takes in a bulk edit of several pages at the next sync', { timeout: 120_000 }, async () => {
    const interval = await db.prisma.intervalSchedule.upsert({
      where: { every_period: { every: 1, period: 'hours' } },
      create: { every: 1, period: 'hours' },
      update: {},
    });
    await scheduler.start();
    expect(scheduler.size).toBe(0);
    expect(await db.prisma.$executeRawUnsafe(bulkInsert(db, interval.id))).toBe(ROWS);
    await scheduler.tick(new Date());
    const enabled = ROWS - Math.floor(ROWS / 7);
    expect(scheduler.size).toBe(enabled);
    expect(events).toContainEqual(expect.objectContaining({ type: 'schedule-synced', changed: ROWS }));

    // One statement disables every second row: the sync drops them all.
    const disabled = await db.prisma.$executeRawUnsafe(`UPDATE djcelery_periodictask SET enabled = ${db.provider === 'mysql' ? '0' : 'false'} WHERE id % 2 = 0`);
    await scheduler.tick(new Date());
    expect(scheduler.size).toBe(await db.prisma.periodicTask.count({ where: { enabled: true } }));
    expect(scheduler.size).toBeLessThan(enabled - disabled / 2);
  });

  it('reads a schedule made after the read began, with the task that names it', async () => {
    await db.prisma.intervalSchedule.deleteMany({ where: { every: 7 } });
    const first = await tasks.create({ name: 'first', task: 'tasks.add', schedule: { every: 60 } });
    const store = new BeatStore(db);
    const [page] = await store.loadPage(null, 1);
    expect(page?.row.id).toBe(first.id);
    // Made between two pages of one read: the next page names a schedule the first did not see.
    await tasks.create({ name: 'later', task: 'tasks.add', schedule: { every: 7 } });
    const [later] = await store.loadPage(page!, 10);
    expect(later?.row).toMatchObject({ name: 'later', interval: { every: 7, period: 'seconds' } });
    expect(entryFromRow(later!.row).schedule.describe()).toBe('every 7 seconds');
  });
});
