import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { CrontabSchedule } from '../../src/scheduler/schedules/index.js';

// Runs of `expression` in `zone` from `from` up to `to` (UTC instants), as ISO strings.
function runs(expression: string, zone: string, from: string, to: string): string[] {
  const crontab = CrontabSchedule.fromExpression(expression, zone);
  const out: string[] = [];
  for (let run = crontab.nextRunAfter(new Date(from)); run !== null && run <= new Date(to); run = crontab.nextRunAfter(run)) {
    out.push(run.toISOString().replace(':00.000Z', 'Z'));
  }
  return out;
}

describe('DST: Europe/Berlin (02:00 CET → 03:00 CEST on 2026-03-29, 03:00 CEST → 02:00 CET on 2026-10-25)', () => {
  it('a fixed time skipped by the gap runs once at the first instant after it', () => {
    expect(runs('30 2 * * *', 'Europe/Berlin', '2026-03-28T00:00Z', '2026-03-30T23:00Z')).toEqual([
      '2026-03-28T01:30Z', // 02:30 CET
      '2026-03-29T01:00Z', // 03:00 CEST: 02:30 did not exist
      '2026-03-30T00:30Z', // 02:30 CEST
    ]);
  });

  it('several fixed times in one gap still make one run', () => {
    expect(runs('0,30 2 * * *', 'Europe/Berlin', '2026-03-29T00:00Z', '2026-03-29T12:00Z')).toEqual(['2026-03-29T01:00Z']);
    expect(runs('* 2 * * *', 'Europe/Berlin', '2026-03-29T00:00Z', '2026-03-29T12:00Z')).toEqual(['2026-03-29T01:00Z']);
    expect(runs('0 2,3 * * *', 'Europe/Berlin', '2026-03-29T00:00Z', '2026-03-29T12:00Z')).toEqual(['2026-03-29T01:00Z']);
  });

  it('a fixed time that occurs twice runs once, at the first occurrence', () => {
    expect(runs('30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00Z', '2026-10-26T12:00Z')).toEqual([
      '2026-10-25T00:30Z', // 02:30 CEST; not again at 01:30Z (02:30 CET)
      '2026-10-26T01:30Z',
    ]);
  });

  it('a step in the hour field is fixed hours too', () => {
    expect(runs('*/30 2 * * *', 'Europe/Berlin', '2026-03-29T00:00Z', '2026-03-29T12:00Z')).toEqual(['2026-03-29T01:00Z']);
    expect(runs('*/30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00Z', '2026-10-25T12:00Z')).toEqual([
      '2026-10-25T00:00Z',
      '2026-10-25T00:30Z',
    ]);
    expect(runs('0 */2 * * *', 'Europe/Berlin', '2026-10-24T23:30Z', '2026-10-25T03:30Z')).toEqual([
      '2026-10-25T00:00Z', // 02:00 CEST, once
      '2026-10-25T03:00Z', // 04:00 CET
    ]);
  });

  it('an every-hour entry runs in both passes of the repeated hour, and not in the gap', () => {
    expect(runs('*/30 * * * *', 'Europe/Berlin', '2026-10-24T23:45Z', '2026-10-25T02:00Z')).toEqual([
      '2026-10-25T00:00Z', // 02:00 CEST
      '2026-10-25T00:30Z', // 02:30 CEST
      '2026-10-25T01:00Z', // 02:00 CET
      '2026-10-25T01:30Z', // 02:30 CET
      '2026-10-25T02:00Z', // 03:00 CET
    ]);
    expect(runs('*/30 * * * *', 'Europe/Berlin', '2026-03-29T00:15Z', '2026-03-29T01:30Z')).toEqual([
      '2026-03-29T00:30Z', // 01:30 CET
      '2026-03-29T01:00Z', // 03:00 CEST
      '2026-03-29T01:30Z',
    ]);
  });

  it('is_due does not fire the second pass of a fixed time again', () => {
    const crontab = CrontabSchedule.fromExpression('30 2 * * *', 'Europe/Berlin');
    const firstPass = new Date('2026-10-25T00:30:00Z');
    expect(crontab.isDue(firstPass, new Date('2026-10-25T01:30:00Z'))).toEqual({ due: false, nextCheckSeconds: 24 * 3600 });
  });
});

describe('DST: America/New_York (2026-03-08 and 2026-11-01)', () => {
  it('02:30 runs at 03:00 EDT on the day it does not exist', () => {
    expect(runs('30 2 * * *', 'America/New_York', '2026-03-08T00:00Z', '2026-03-09T00:00Z')).toEqual(['2026-03-08T07:00Z']);
  });

  it('01:30 runs once, in EDT, on the day it occurs twice', () => {
    expect(runs('30 1 * * *', 'America/New_York', '2026-11-01T00:00Z', '2026-11-02T00:00Z')).toEqual(['2026-11-01T05:30Z']);
  });

  it('*/30 runs four times in the repeated 01:xx', () => {
    expect(runs('*/30 * * * *', 'America/New_York', '2026-11-01T04:45Z', '2026-11-01T07:00Z')).toEqual([
      '2026-11-01T05:00Z', // 01:00 EDT
      '2026-11-01T05:30Z', // 01:30 EDT
      '2026-11-01T06:00Z', // 01:00 EST
      '2026-11-01T06:30Z', // 01:30 EST
      '2026-11-01T07:00Z', // 02:00 EST
    ]);
  });
});

describe('DST: Australia/Lord_Howe, a 30-minute shift (2026-04-05 02:00 → 01:30, 2026-10-04 02:00 → 02:30)', () => {
  it('a fixed time in the half-hour gap runs at 02:30, the first instant after it', () => {
    expect(runs('15 2 * * *', 'Australia/Lord_Howe', '2026-10-03T12:00Z', '2026-10-04T12:00Z')).toEqual(['2026-10-03T15:30Z']);
    expect(runs('0,45 2 * * *', 'Australia/Lord_Howe', '2026-10-03T12:00Z', '2026-10-04T12:00Z')).toEqual([
      '2026-10-03T15:30Z', // 02:00 moved to 02:30 LHDT
      '2026-10-03T15:45Z', // 02:45 LHDT exists
    ]);
  });

  it('an every-hour entry skips the half-hour gap', () => {
    expect(runs('*/30 * * * *', 'Australia/Lord_Howe', '2026-10-03T14:45Z', '2026-10-03T16:00Z')).toEqual([
      '2026-10-03T15:00Z', // 01:30 LHST
      '2026-10-03T15:30Z', // 02:30 LHDT
      '2026-10-03T16:00Z',
    ]);
  });

  it('a repeated half hour runs fixed times once and every-hour entries twice', () => {
    expect(runs('45 1 * * *', 'Australia/Lord_Howe', '2026-04-04T12:00Z', '2026-04-05T12:00Z')).toEqual(['2026-04-04T14:45Z']);
    expect(runs('*/30 * * * *', 'Australia/Lord_Howe', '2026-04-04T13:45Z', '2026-04-04T15:30Z')).toEqual([
      '2026-04-04T14:00Z', // 01:00 LHDT
      '2026-04-04T14:30Z', // 01:30 LHDT
      '2026-04-04T15:00Z', // 01:30 LHST
      '2026-04-04T15:30Z', // 02:00 LHST
    ]);
  });
});

describe('a year of daily runs across both transitions', () => {
  it.each([
    ['Europe/Berlin', '30 2 * * *'],
    ['Europe/Berlin', '0 3 * * *'],
    ['America/New_York', '30 1 * * *'],
    ['America/New_York', '0 2 * * *'],
    ['Australia/Lord_Howe', '45 1 * * *'],
    ['Australia/Lord_Howe', '15 2 * * *'],
    ['Pacific/Chatham', '45 2 * * *'],
    ['America/Havana', '0 0 * * *'], // its clocks change at midnight
  ])('%s "%s" runs once on every local day', (zone, expression) => {
    const crontab = CrontabSchedule.fromExpression(expression, zone);
    const days = crontab
      .nextRunsAfter(new Date('2026-01-01T00:00:00Z'), 366)
      .map((run) => DateTime.fromJSDate(run, { zone }).toISODate());
    const first = DateTime.fromISO(days[0] ?? '', { zone });
    expect(days).toEqual(Array.from({ length: 366 }, (_, i) => first.plus({ days: i }).toISODate()));
  });
});
