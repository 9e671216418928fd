import { describe, expect, it } from 'vitest';
import { IntervalSchedule, intervalFromDuration, parseDuration, ScheduleError } from '../../src/scheduler/schedules/index.js';

const T0 = new Date('2026-05-01T12:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

describe('interval schedule', () => {
  const every5m = new IntervalSchedule({ every: 5, period: 'minutes' });

  it('is not due before last run + run_every, and says how long is left', () => {
    expect(every5m.isDue(T0, at(60))).toEqual({ due: false, nextCheckSeconds: 240 });
    expect(every5m.isDue(T0, at(299.5))).toEqual({ due: false, nextCheckSeconds: 0.5 });
  });

  it('is due once run_every has passed (remaining <= 0), then checks again in run_every', () => {
    expect(every5m.isDue(T0, at(300))).toEqual({ due: true, nextCheckSeconds: 300 });
    expect(every5m.isDue(T0, at(3600))).toEqual({ due: true, nextCheckSeconds: 300 });
  });

  it('is due at once when it has never run', () => {
    expect(every5m.isDue(null, T0)).toEqual({ due: true, nextCheckSeconds: 300 });
  });

  it('counts from the last run', () => {
    expect(every5m.nextRunAfter(T0)).toEqual(at(300));
    expect(every5m.nextRunsAfter(T0, 3)).toEqual([at(300), at(600), at(900)]);
  });

  it.each([
    [{ every: 2, period: 'days' }, 172_800, 'every 2 days'],
    [{ every: 1, period: 'hours' }, 3600, 'every hour'],
    [{ every: 90, period: 'seconds' }, 90, 'every 90 seconds'],
    [{ every: 1, period: 'minutes' }, 60, 'every minute'],
    [{ every: 250_000, period: 'microseconds' }, 0.25, 'every 250000 microseconds'],
  ])('%o is %d seconds, "%s"', (spec, seconds, words) => {
    const schedule = new IntervalSchedule(spec);
    expect(schedule.seconds).toBe(seconds);
    expect(schedule.describe()).toBe(words);
    expect(schedule.toCron()).toBeNull();
  });

  it('never runs early with sub-millisecond periods', () => {
    const schedule = new IntervalSchedule({ every: 1500, period: 'microseconds' });
    expect(schedule.nextRunAfter(T0).getTime() - T0.getTime()).toBe(2);
    expect(schedule.isDue(T0, at(0.001)).due).toBe(false);
    expect(schedule.isDue(T0, at(0.002)).due).toBe(true);
  });

  it.each([
    [{ every: 0, period: 'minutes' }, 'interval every 0: must be a whole number of at least 1', 'every'],
    [{ every: 1.5, period: 'minutes' }, 'interval every 1.5: must be a whole number of at least 1', 'every'],
    [{ every: 5, period: 'weeks' }, 'interval period "weeks": must be one of days, hours, minutes, seconds, microseconds', 'period'],
    [{ every: 36_501, period: 'days' }, 'interval every 36501 days: must be at most 100 years', 'every'],
  ])('rejects %o', (spec, message, field) => {
    const error = captureError(() => new IntervalSchedule(spec));
    expect(error).toBeInstanceOf(ScheduleError);
    expect(error).toMatchObject({ code: 'E_SCHEDULE', message, field });
  });
});

describe('durations', () => {
  it.each([
    ['90s', 90],
    ['5m', 300],
    ['2h', 7200],
    ['1d', 86_400],
    ['500ms', 0.5],
    ['1.5h', 5400],
    ['30', 30],
    [' 10 s ', 10],
    [2.5, 2.5],
  ] as const)('%o is %d seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds);
  });

  it.each([
    ['abc', 'duration "abc": expected seconds, or a number with a unit ms, s, m, h or d (e.g. "90s", "5m", "500ms")'],
    ['5w', 'duration "5w": expected seconds, or a number with a unit ms, s, m, h or d (e.g. "90s", "5m", "500ms")'],
    ['-5s', 'duration "-5s": expected seconds, or a number with a unit ms, s, m, h or d (e.g. "90s", "5m", "500ms")'],
    ['0s', 'duration "0s": must be between 1ms and 100 years'],
    [0, 'duration 0: must be between 1ms and 100 years'],
    [Number.NaN, 'duration NaN: must be between 1ms and 100 years'],
    ['36501d', 'duration "36501d": must be between 1ms and 100 years'],
  ] as const)('rejects %o', (input, message) => {
    expect(() => parseDuration(input)).toThrow(new ScheduleError(message));
  });

  it.each([
    ['5m', 5, 'minutes'],
    [3600, 1, 'hours'],
    ['90s', 90, 'seconds'],
    ['2d', 2, 'days'],
    ['500ms', 500_000, 'microseconds'],
  ] as const)('%o becomes an interval of %d %s', (input, every, period) => {
    expect(intervalFromDuration(input)).toMatchObject({ every, period });
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
