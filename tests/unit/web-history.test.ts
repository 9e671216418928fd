// The history charts' pure parts: bucket windows on UTC edges, zero-filled
// series with retries counted, percentile positions and interpolation as
// percentile_cont, and the per-dialect SQL's parameter order.
import { describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/db/dialect.js';
import { HttpError } from '../../src/web/http/responses.js';
import { bucketWindow, fillSeries, historyRange, percentileCont, percentilePosition } from '../../src/web/monitor/history-series.js';
import { countsSql } from '../../src/web/monitor/history-sql.js';

describe('bucketWindow', () => {
  it('ends with the bucket holding now, on whole UTC minutes or hours', () => {
    const hour = bucketWindow('hour', new Date('2026-03-29T01:59:59.999Z'));
    expect(hour).toMatchObject({ stepSeconds: 60, count: 60 });
    expect([hour.since.toISOString(), hour.until.toISOString()]).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-29T02:00:00.000Z']);
    const week = bucketWindow('week', new Date('2026-03-29T02:00:00.000Z'));
    expect(week).toMatchObject({ stepSeconds: 3600, count: 168 });
    expect([week.since.toISOString(), week.until.toISOString()]).toEqual(['2026-03-22T03:00:00.000Z', '2026-03-29T03:00:00.000Z']);
  });

  it('takes "hour" (the default) or "week", and says so otherwise', () => {
    expect([historyRange(null), historyRange(''), historyRange('week')]).toEqual(['hour', 'hour', 'week']);
    expect(() => historyRange('month')).toThrow(new HttpError(400, 'range must be "hour" or "week", got "month"'));
  });
});

describe('fillSeries', () => {
  const window = bucketWindow('hour', new Date('2026-12-07T12:30:20Z'));
  const first = window.since.getTime() / 60_000;

  it('zero-fills, places each bucket, and counts retries: carried ones, plus one for a row in RETRY', () => {
    const filled = fillSeries(window, [
      { bucket: first, state: 'SUCCESS', tasks: 3, retries: 2 },
      { bucket: first + 59, state: 'FAILURE', tasks: 1, retries: 0 },
      { bucket: first + 59, state: 'RETRY', tasks: 2, retries: 5 },
      { bucket: first + 10, state: 'STARTED', tasks: 4, retries: 0 },
    ]);
    expect(filled.succeeded.length).toBe(60);
    expect([filled.succeeded[0], filled.failed[59], filled.retried[0], filled.retried[59]]).toEqual([3, 1, 2, 7]);
    expect(filled.succeeded.reduce((a, b) => a + b)).toBe(3);
    expect(Object.keys(filled.states).sort()).toEqual(['FAILURE', 'RETRY', 'STARTED', 'SUCCESS']);
    expect(filled.states.STARTED?.[10]).toBe(4);
  });

  it('drops buckets outside the window rather than misplacing them', () => {
    const filled = fillSeries(window, [
      { bucket: first - 1, state: 'SUCCESS', tasks: 1, retries: 0 },
      { bucket: first + 60, state: 'SUCCESS', tasks: 1, retries: 0 },
    ]);
    expect(filled.succeeded.every((n) => n === 0)).toBe(true);
  });
});

describe('percentiles', () => {
  it('positions are (n - 1) × p, exact in hundredths', () => {
    expect(percentilePosition(20, 95)).toEqual({ lower: 18, fraction: 0.05 });
    expect(percentilePosition(21, 95)).toEqual({ lower: 19, fraction: 0 });
    expect(percentilePosition(1, 99)).toEqual({ lower: 0, fraction: 0 });
  });

  it('interpolates between the neighbouring ranks, as percentile_cont', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const at = (rank: number): number | undefined => values[rank];
    expect([50, 95, 99].map((p) => percentileCont(values.length, p, at))).toEqual([5.5, 9.55, 9.91]);
    expect(percentileCont(1, 99, () => 0.25)).toBe(0.25);
  });

  it('a missing rank is an error, never a made-up number', () => {
    expect(() => percentileCont(10, 95, (rank) => (rank === 8 ? 1 : undefined))).toThrow(/rank 9 missing/);
  });
});

describe('countsSql', () => {
  it("binds the worker's id last on every dialect, as `?` placeholders bind in order", () => {
    expect(countsSql(dialectOf('sqlite'), 60, true)).toMatch(/"tstamp" >= \? AND "tstamp" < \? AND "hidden" = false AND "worker_id" = \?/);
    expect(countsSql(dialectOf('mysql'), 3600, true)).toMatch(/DIV 3600 .*`worker_id` = \?/);
    expect(countsSql(dialectOf('postgresql'), 60, false)).toMatch(/FLOOR\(EXTRACT\(EPOCH FROM "tstamp"\)\).*"tstamp" >= \$1 AND "tstamp" < \$2 AND "hidden" = false GROUP BY/);
  });
});
