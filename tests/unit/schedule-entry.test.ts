import { describe, expect, it } from 'vitest';
import {
  ClockedSchedule,
  CrontabSchedule,
  entryIsDue,
  IntervalSchedule,
  scheduleFromRow,
  ScheduleError,
  type EntryTiming,
} from '../../src/scheduler/schedules/index.js';

const T0 = new Date('2026-05-01T12:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('clocked schedule', () => {
  const clocked = new ClockedSchedule({ clockedTime: T0 });

  it('waits for its time', () => {
    expect(clocked.isDue(null, at(-90))).toEqual({ due: false, nextCheckSeconds: 90 });
  });

  it('is due once from its time on, until a run is recorded', () => {
    expect(clocked.isDue(null, T0)).toEqual({ due: true, nextCheckSeconds: Infinity });
    expect(clocked.isDue(at(-3600), at(3600))).toEqual({ due: true, nextCheckSeconds: Infinity });
    expect(clocked.isDue(at(5), at(3600))).toEqual({ due: false, nextCheckSeconds: Infinity });
  });

  it('has one run', () => {
    expect(clocked.nextRunsAfter(at(-60), 3)).toEqual([T0]);
    expect(clocked.nextRunAfter(T0)).toBeNull();
    expect(clocked.describe()).toBe('once at 2026-05-01T12:00:00.000Z');
    expect(clocked.toCron()).toBeNull();
  });

  it('rejects an invalid date', () => {
    expect(() => new ClockedSchedule({ clockedTime: new Date('nonsense') })).toThrow(ScheduleError);
  });
});

describe('entry gating', () => {
  const every5m = new IntervalSchedule({ every: 5, period: 'minutes' });
  const entry = (timing: Partial<EntryTiming>): EntryTiming => ({
    lastRunAt: null,
    startTime: null,
    oneOff: false,
    totalRunCount: 0,
    ...timing,
  });

  it('is never due before start_time, and checks again at start_time', () => {
    expect(entryIsDue(every5m, entry({ startTime: at(120) }), T0)).toEqual({ due: false, nextCheckSeconds: 120, finished: false });
    expect(entryIsDue(every5m, entry({ startTime: at(120) }), at(120))).toEqual({ due: true, nextCheckSeconds: 300, finished: false });
  });

  it('leaves the rest to the schedule', () => {
    expect(entryIsDue(every5m, entry({ lastRunAt: T0, totalRunCount: 1 }), at(60))).toEqual({
      due: false,
      nextCheckSeconds: 240,
      finished: false,
    });
  });

  it('finishes a one-off entry after its run', () => {
    expect(entryIsDue(every5m, entry({ oneOff: true }), T0)).toMatchObject({ due: true, finished: false });
    expect(entryIsDue(every5m, entry({ oneOff: true, lastRunAt: T0, totalRunCount: 1 }), at(3600))).toEqual({
      due: false,
      nextCheckSeconds: Infinity,
      finished: true,
    });
  });

  it('finishes a clocked entry after its run', () => {
    const clocked = new ClockedSchedule({ clockedTime: T0 });
    expect(entryIsDue(clocked, entry({ lastRunAt: at(1), totalRunCount: 1 }), at(60))).toMatchObject({ due: false, finished: true });
  });
});

describe('schedule from a row', () => {
  it('builds the one kind the row has', () => {
    expect(scheduleFromRow({ interval: { every: 10, period: 'seconds' }, crontab: null, clocked: null })).toBeInstanceOf(IntervalSchedule);
    const crontab = scheduleFromRow({
      crontab: { minute: '0', hour: '4', dayOfWeek: '*', dayOfMonth: '*', monthOfYear: '*', timezone: 'Europe/Berlin' },
    });
    expect(crontab).toBeInstanceOf(CrontabSchedule);
    expect(crontab.kind === 'crontab' && crontab.timezone).toBe('Europe/Berlin');
    expect(scheduleFromRow({ clocked: { clockedTime: T0 } }).kind).toBe('clocked');
  });

  it.each([
    [{}, 'none'],
    [{ interval: null, crontab: null, clocked: null }, 'none'],
    [{ interval: { every: 1, period: 'days' }, crontab: {} }, 'interval and crontab'],
    [{ interval: { every: 1, period: 'days' }, crontab: {}, clocked: { clockedTime: T0 } }, 'interval and crontab and clocked'],
  ])('refuses %o', (row, found) => {
    expect(captureError(() => scheduleFromRow(row))).toMatchObject({
      code: 'E_SCHEDULE',
      field: 'schedule',
      message: `a periodic task needs exactly one schedule (interval, crontab, clocked or solar), found ${found}`,
    });
  });

  it('passes field errors through', () => {
    expect(() => scheduleFromRow({ crontab: { minute: '61' } })).toThrow('crontab minute "61": must be 0-59');
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
