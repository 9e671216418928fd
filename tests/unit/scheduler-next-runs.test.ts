// `prisma-celery schedule next` (no database needed for --crontab and
// --every), and the next-run helpers behind it, across DST changes in
// Europe/Berlin, America/New_York and Australia/Lord_Howe.
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli-in-process.js';
import { entryFromRow, type PeriodicTaskRow } from '../../src/scheduler/index.js';
import { entryNextRuns, formatInstant } from '../../src/scheduler/next-runs.js';

const cli = (argv: string[]) => runCliCaptured(argv);

const next = async (...args: string[]) => {
  const { code, stdout, stderr } = await cli(['schedule', 'next', ...args]);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return stdout.trim().split('\n');
};

describe('prisma-celery schedule next', () => {
  it('prints crontab runs in the crontab zone with offsets, through a spring-forward gap (Berlin)', async () => {
    expect(await next('--crontab', '30 2 * * *', '--tz', 'Europe/Berlin', '--from', '2026-03-27T00:00:00Z', '--count', '4')).toEqual([
      '2026-03-27T02:30:00+01:00',
      '2026-03-28T02:30:00+01:00',
      '2026-03-29T03:00:00+02:00', // 02:30 does not exist: the first instant after the gap
      '2026-03-30T02:30:00+02:00',
    ]);
  });

  it('runs a repeated wall time once, the first time (New York fall-back)', async () => {
    expect(await next('--crontab', '30 1 * * *', '--tz', 'America/New_York', '--from', '2026-10-31T12:00:00Z', '--count', '3')).toEqual([
      '2026-11-01T01:30:00-04:00',
      '2026-11-02T01:30:00-05:00',
      '2026-11-03T01:30:00-05:00',
    ]);
  });

  it('runs an every-hour entry in both passes of a repeated hour (New York) and skips a 30-minute gap (Lord Howe)', async () => {
    expect(await next('--crontab', '0 * * * *', '--tz', 'America/New_York', '--from', '2026-11-01T04:30:00Z', '--count', '3')).toEqual([
      '2026-11-01T01:00:00-04:00',
      '2026-11-01T01:00:00-05:00',
      '2026-11-01T02:00:00-05:00',
    ]);
    expect(await next('--crontab', '*/30 * * * *', '--tz', 'Australia/Lord_Howe', '--from', '2026-10-03T14:45:00Z', '--count', '3')).toEqual([
      '2026-10-04T01:30:00+10:30',
      '2026-10-04T02:30:00+11:00',
      '2026-10-04T03:00:00+11:00',
    ]);
  });

  it('prints interval runs in UTC, and a JSON array with --json', async () => {
    expect(await next('--every', '90s', '--from', '2026-01-01T00:00:00Z', '--count', '3', '--json')).toEqual([
      '["2026-01-01T00:01:30+00:00","2026-01-01T00:03:00+00:00","2026-01-01T00:04:30+00:00"]',
    ]);
    expect(await next('--every', '1d', '--from', '2026-01-01T10:00:00+02:00', '--count', '1')).toEqual(['2026-01-02T08:00:00+00:00']);
  });

  it('refuses a missing, doubled or invalid schedule with a clear message', async () => {
    expect(await cli(['schedule', 'next'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^prisma-celery: give a schedule: --crontab, --every or --name /) });
    expect((await cli(['schedule', 'next', '--every', '5m', '--crontab', '* * * * *'])).stderr).toMatch(/give one schedule, not --crontab and --every/);
    expect((await cli(['schedule', 'next', '--every', '5m', '--tz', 'UTC'])).stderr).toMatch(/--tz applies to --crontab only/);
    expect(await cli(['schedule', 'next', '--crontab', '0 4 * * *', '--tz', 'Mars/Base'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^prisma-celery: unknown time zone "Mars\/Base": give a tzdata name such as "Europe\/Berlin"/) });
    expect((await cli(['schedule', 'next', '--crontab', '@daily'])).stderr).toMatch(/nicknames such as @daily are not Celery syntax/);
    expect((await cli(['schedule', 'next', '--every', '5m', '--from', 'yesterday'])).code).toBe(2);
    expect((await cli(['schedule', 'next', '--every', '5m', '--count', '0'])).code).toBe(2);
    expect((await cli(['schedule', 'frobnicate'])).stderr).toMatch(/unknown schedule action "frobnicate"/);
  });
});

describe('entryNextRuns', () => {
  const row: PeriodicTaskRow = {
    id: 1, name: 'e', task: 't', args: '[]', kwargs: '{}', headers: '{}', queue: null, exchange: null, routingKey: null,
    priority: null, expires: null, expireSeconds: null, oneOff: false, startTime: null, enabled: true,
    lastRunAt: new Date('2026-01-01T00:00:00Z'), totalRunCount: 1, dateChanged: new Date('2025-12-01T00:00:00Z'),
    changeVersion: 1, interval: { every: 1, period: 'hours' }, crontab: null, clocked: null,
  };

  it('starts at the next due time (now, if overdue: one catch-up run), then follows the schedule', () => {
    const from = new Date('2026-01-01T05:30:00Z');
    expect(entryNextRuns(entryFromRow(row), from, 3).map((d) => d.toISOString())).toEqual([
      '2026-01-01T05:30:00.000Z',
      '2026-01-01T06:30:00.000Z',
      '2026-01-01T07:30:00.000Z',
    ]);
    const expiring = entryFromRow({ ...row, expires: new Date('2026-01-01T07:00:00Z') });
    expect(entryNextRuns(expiring, from, 5)).toHaveLength(2);
    expect(entryNextRuns(entryFromRow({ ...row, oneOff: true }), from, 5)).toEqual([]);
  });

  it('lands on the run itself, not a millisecond after it, whatever the milliseconds of now', () => {
    // Beat's sleep is seconds as a float: 2.007 s back in milliseconds must not round up to 2008.
    const at = new Date('2026-01-01T01:00:00Z');
    for (const early of [2007, 2011, 2015, 61_003]) {
      expect(entryNextRuns(entryFromRow(row), new Date(at.getTime() - early), 1), `${early} ms before`).toEqual([at]);
    }
  });

  it('formats with the offset of the zone, and milliseconds only when there are some', () => {
    expect(formatInstant(new Date('2026-07-01T12:00:00Z'), 'Europe/Berlin')).toBe('2026-07-01T14:00:00+02:00');
    expect(formatInstant(new Date('2026-07-01T12:00:00.250Z'))).toBe('2026-07-01T12:00:00.250+00:00');
  });
});
