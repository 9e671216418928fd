// PeriodicTaskStore (the public API for entries) on every database.
import { beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { PeriodicTaskStore, SchedulerError } from '../../src/scheduler/index.js';
import { describeEachDatabase } from '../support/databases.js';

const NOW = new Date('2026-06-01T10:00:00Z');

async function codeOf(promise: Promise<unknown>): Promise<[string | undefined, string | undefined, string]> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SchedulerError) return [error.code, error.field, error.message];
    throw error;
  }
  throw new Error('expected a SchedulerError');
}

describeEachDatabase('PeriodicTaskStore', (testDb) => {
  let db: Database;
  let tasks: PeriodicTaskStore;

  beforeAll(async () => {
    db = await testDb.open();
    tasks = new PeriodicTaskStore(db, { clock: () => NOW });
  });

  it('creates an interval entry with every option, and reads it back', async () => {
    const record = await tasks.create({
      name: 'report',
      task: 'tasks.report',
      schedule: { every: '5m' },
      args: [1, 'two', { three: 3 }],
      kwargs: { text: 'héllo ☃' },
      queue: 'reports',
      priority: 7,
      headers: { 'x-trace': 'abc', 'x-int': 42 },
      expireSeconds: 120,
      startTime: '2026-06-01T09:00:00Z',
      description: 'the daily report',
    });
    expect(record).toMatchObject({
      name: 'report',
      task: 'tasks.report',
      schedule: { kind: 'interval', every: 5, period: 'minutes' },
      scheduleText: 'every 5 minutes',
      queue: 'reports',
      priority: 7,
      expireSeconds: 120,
      enabled: true,
      oneOff: false,
      totalRunCount: 0,
      lastRunAt: null,
      startTime: new Date('2026-06-01T09:00:00Z'),
      description: 'the daily report',
      // never run, started: due at once
      nextRunAt: NOW,
    });
    expect(JSON.parse(record.args)).toEqual([1, 'two', { three: 3 }]);
    expect(JSON.parse(record.kwargs)).toEqual({ text: 'héllo ☃' });
    expect(JSON.parse(record.headers)).toEqual({ 'x-trace': 'abc', 'x-int': 42 });
  });

  it('shares interval rows: the same every/period is never stored twice', async () => {
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => tasks.create({ name: `share-${i}`, task: 't', schedule: { every: 300 } })),
    );
    await tasks.create({ name: 'share-explicit', task: 't', schedule: { interval: { every: 5, period: 'minutes' } } });
    expect(await db.prisma.intervalSchedule.count({ where: { every: 5, period: 'minutes' } })).toBe(1);
  });

  it('creates crontab and clocked entries, reusing an identical crontab row', async () => {
    const nightly = await tasks.create({
      name: 'nightly',
      task: 't',
      schedule: { crontab: '30 2 * * mon-fri', timezone: 'Europe/Berlin' },
    });
    expect(nightly.schedule).toEqual({
      kind: 'crontab',
      minute: '30',
      hour: '2',
      dayOfMonth: '*',
      monthOfYear: '*',
      dayOfWeek: 'mon-fri',
      timezone: 'Europe/Berlin',
    });
    // Never run: counts from now (10:00Z, a Monday), so next is Tuesday 02:30 Berlin.
    expect(nightly.nextRunAt).toEqual(new Date('2026-06-02T00:30:00Z'));
    await tasks.create({ name: 'nightly-2', task: 't', schedule: { crontab: { minute: 30, hour: 2, dayOfWeek: 'mon-fri' }, timezone: 'Europe/Berlin' } });
    expect(await db.prisma.crontabSchedule.count()).toBe(1);

    const once = await tasks.create({ name: 'once', task: 't', schedule: { clocked: '2026-07-01T00:00:00+02:00' }, oneOff: true });
    expect(once.schedule).toEqual({ kind: 'clocked', clockedTime: new Date('2026-06-30T22:00:00Z') });
    expect(once.nextRunAt).toEqual(new Date('2026-06-30T22:00:00Z'));
  });

  it('refuses invalid definitions with the field and a message that says what to write', async () => {
    const base = { task: 't', schedule: { every: 60 } } as const;
    expect(await codeOf(tasks.create({ ...base, name: 'x', schedule: {} as never }))).toEqual([
      'E_ENTRY_INVALID',
      'schedule',
      'periodic task "x": schedule has no kind: give exactly one of every (e.g. "5m"), interval, crontab, clocked or solar',
    ]);
    expect((await codeOf(tasks.create({ ...base, name: 'x', schedule: { every: 60, crontab: '* * * * *' } as never })))[2]).toMatch(
      /schedule has every and crontab/,
    );
    expect(await codeOf(tasks.create({ ...base, name: 'x', schedule: { crontab: '0 4 * * *', timezone: 'Mars/Olympus' } }))).toEqual([
      'E_ENTRY_INVALID',
      'schedule.timezone',
      'periodic task "x": unknown time zone "Mars/Olympus": give a tzdata name such as "Europe/Berlin" or "UTC" (IANA tzdata 2025b)',
    ]);
    expect((await codeOf(tasks.create({ ...base, name: 'x', schedule: { crontab: '61 * * * *' } })))[1]).toBe('schedule.minute');
    expect((await codeOf(tasks.create({ ...base, name: 'x', args: { a: 1 } as never })))[2]).toBe('periodic task "x": args must be a list');
    expect((await codeOf(tasks.create({ ...base, name: 'x', kwargs: { when: new Date() } })))[2]).toMatch(/kwargs.when: a Date is not a plain object/);
    expect((await codeOf(tasks.create({ ...base, name: 'x', queue: 'q', exchange: 'e', routingKey: 'k' })))[1]).toBe('queue');
    expect((await codeOf(tasks.create({ ...base, name: 'x', exchange: 'e' })))[1]).toBe('routing_key');
    expect((await codeOf(tasks.create({ ...base, name: 'x', priority: 300 })))[1]).toBe('priority');
    expect((await codeOf(tasks.create({ ...base, name: 'x', headers: { big: 2 ** 40 } })))[1]).toBe('headers');
    expect((await codeOf(tasks.create({ ...base, name: 'x', headers: { id: 'mine' } })))[1]).toBe('headers');
    expect((await codeOf(tasks.create({ ...base, name: '' })))[1]).toBe('name');
    expect((await codeOf(tasks.create({ ...base, name: 'report' })))[0]).toBe('E_ENTRY_EXISTS');
    expect(await db.prisma.periodicTask.count({ where: { name: 'x' } })).toBe(0);
  });

  it('updates some fields and keeps the rest, the run count and the last run', async () => {
    await db.prisma.periodicTask.update({ where: { name: 'report' }, data: { totalRunCount: 4, lastRunAt: NOW } });
    const updated = await tasks.update('report', { kwargs: { text: 'new' }, schedule: { crontab: '0 * * * *' } });
    expect(updated).toMatchObject({
      kwargs: '{"text":"new"}',
      queue: 'reports',
      priority: 7,
      totalRunCount: 4,
      lastRunAt: NOW,
      schedule: { kind: 'crontab', minute: '0', hour: '*' },
      nextRunAt: new Date('2026-06-01T11:00:00Z'),
    });
    const renamed = await tasks.update('report', { name: 'report-2' });
    expect(renamed.name).toBe('report-2');
    expect((await codeOf(tasks.update('report-2', { name: 'nightly' })))[0]).toBe('E_ENTRY_EXISTS');
    expect((await codeOf(tasks.update('nope', { task: 'x' })))[0]).toBe('E_ENTRY_NOT_FOUND');
  });

  it('upserts: creates, then writes only what differs, and can keep the enabled flag', async () => {
    const input = { name: 'static', task: 'tasks.static', schedule: { every: '1h' }, args: [1] } as const;
    expect(await tasks.upsert(input, { keepEnabled: true })).toBe('created');
    expect(await tasks.upsert(input, { keepEnabled: true })).toBe('unchanged');
    await tasks.disable('static');
    expect(await tasks.upsert(input, { keepEnabled: true })).toBe('unchanged');
    expect((await tasks.get('static'))?.enabled).toBe(false);
    expect(await tasks.upsert({ ...input, args: [2] }, { keepEnabled: true })).toBe('updated');
    expect((await tasks.get('static'))?.enabled).toBe(false);
    expect(await tasks.upsert({ ...input, args: [2] })).toBe('updated');
    expect((await tasks.get('static'))?.enabled).toBe(true);
  });

  it('repairs a row written badly by raw SQL only with a valid whole', async () => {
    await db.prisma.$executeRawUnsafe(
      'INSERT INTO djcelery_periodictask (name, task, args, kwargs, headers, enabled, one_off, total_run_count, description, date_changed) ' +
        "VALUES ('raw', 'tasks.raw', '[1,', '{}', '{}', true, false, 0, '', CURRENT_TIMESTAMP)",
    );
    expect((await tasks.get('raw'))?.scheduleText).toMatch(/^invalid: a periodic task needs exactly one schedule/);
    expect(await codeOf(tasks.update('raw', { description: 'x' }))).toEqual([
      'E_ENTRY_INVALID',
      'schedule',
      'periodic task "raw": schedule has no kind: give exactly one of every (e.g. "5m"), interval, crontab, clocked or solar',
    ]);
    expect((await codeOf(tasks.update('raw', { schedule: { every: 60 } })))[1]).toBe('args');
    const repaired = await tasks.update('raw', { schedule: { every: 60 }, args: [1] });
    expect(repaired).toMatchObject({ args: '[1]', scheduleText: 'every minute', task: 'tasks.raw' });
  });

  it('enables, disables and removes by name', async () => {
    expect(await tasks.disable('nightly')).toBe(true);
    expect(await tasks.disable('nightly')).toBe(false);
    expect(await tasks.enable('nightly')).toBe(true);
    expect(await tasks.remove('nightly')).toBe(true);
    expect(await tasks.remove('nightly')).toBe(false);
    expect(await tasks.get('nightly')).toBeNull();
    expect((await codeOf(tasks.enable('nightly')))[0]).toBe('E_ENTRY_NOT_FOUND');
    expect((await tasks.list()).map((r) => r.name)).toContain('nightly-2');
  });
});
