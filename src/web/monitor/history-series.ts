/**
 * The monitor's history charts as plain data: the time buckets of a range
 * (edges on whole UTC minutes or hours), the zero-filled series built from
 * the per-bucket counts SQL returns, and continuous percentiles (as
 * PostgreSQL's percentile_cont) from the ranked values around each one.
 * Pure.
 */
import { FAILURE, RETRY, SUCCESS } from '../../core/states.js';
import { HttpError } from '../http/responses.js';

export const HISTORY_RANGES = {
  /** Per minute over the last hour. */
  hour: { stepSeconds: 60, count: 60 },
  /** Per hour over the last week. */
  week: { stepSeconds: 3600, count: 168 },
} as const;

export type HistoryRange = keyof typeof HISTORY_RANGES;

export function historyRange(text: string | null): HistoryRange {
  if (text === null || text === '') return 'hour';
  if (text === 'hour' || text === 'week') return text;
  throw new HttpError(400, `range must be "hour" or "week", got "${text}"`);
}

/** The buckets a chart shows: `count` of `stepSeconds`, the last one holding `now`. */
export interface BucketWindow {
  readonly range: HistoryRange;
  readonly stepSeconds: number;
  readonly count: number;
  /** Start of the first bucket (inclusive). */
  readonly since: Date;
  /** End of the last bucket (exclusive): rows stamped later, by a fast clock, are left out. */
  readonly until: Date;
}

export function bucketWindow(range: HistoryRange, now: Date): BucketWindow {
  const { stepSeconds, count } = HISTORY_RANGES[range];
  const stepMs = stepSeconds * 1000;
  const current = Math.floor(now.getTime() / stepMs) * stepMs;
  return { range, stepSeconds, count, since: new Date(current - (count - 1) * stepMs), until: new Date(current + stepMs) };
}

/** One row of the counting query: rows of one state in one bucket (epoch seconds / step). */
export interface BucketCount {
  readonly bucket: number;
  readonly state: string;
  readonly tasks: number;
  /** The rows' retries column, summed. */
  readonly retries: number;
}

export interface HistorySeries {
  range: HistoryRange;
  step: number;
  since: string;
  until: string;
  succeeded: number[];
  failed: number[];
  /**
   * Retries: each row adds the retries it carries, and a row in RETRY the
   * one it is waiting on, in the bucket of the row's latest state.
   */
  retried: number[];
  /** Rows by their latest state, for the states present in the window. */
  states: Record<string, number[]>;
}

export function fillSeries(window: BucketWindow, rows: readonly BucketCount[]): HistorySeries {
  const zeros = (): number[] => new Array<number>(window.count).fill(0);
  const retried = zeros();
  const states: Record<string, number[]> = {};
  const first = window.since.getTime() / 1000 / window.stepSeconds;
  for (const row of rows) {
    const index = row.bucket - first;
    if (!Number.isInteger(index) || index < 0 || index >= window.count) continue;
    const series = (states[row.state] ??= zeros());
    series[index] = (series[index] ?? 0) + row.tasks;
    retried[index] = (retried[index] ?? 0) + row.retries + (row.state === RETRY ? row.tasks : 0);
  }
  return {
    range: window.range,
    step: window.stepSeconds,
    since: window.since.toISOString(),
    until: window.until.toISOString(),
    succeeded: states[SUCCESS] ?? zeros(),
    failed: states[FAILURE] ?? zeros(),
    retried,
    states,
  };
}

/** The percentiles shown, in hundredths: integer maths keeps every dialect's ranks exact. */
export const PERCENTILES = [50, 95, 99] as const;

/**
 * Where percentile `hundredths` falls among `n` sorted values (0-based):
 * between `lower` and `lower + 1`, `fraction` of the way. As percentile_cont:
 * position (n - 1) × p.
 */
export function percentilePosition(n: number, hundredths: number): { lower: number; fraction: number } {
  const scaled = (n - 1) * hundredths;
  return { lower: Math.floor(scaled / 100), fraction: (scaled % 100) / 100 };
}

/** Runtimes are shown to the microsecond; rounding also makes the SQL methods agree to the digit. */
export const roundRuntime = (seconds: number): number => Math.round(seconds * 1e6) / 1e6;

/**
 * The percentile from the values at the ranks around its position (`valueAt`
 * answers 0-based ranks; only `lower` and `lower + 1` are asked).
 */
export function percentileCont(n: number, hundredths: number, valueAt: (rank: number) => number | undefined): number {
  const { lower, fraction } = percentilePosition(n, hundredths);
  const low = valueAt(lower);
  if (low === undefined) throw new Error(`percentile ${hundredths} of ${n} values: rank ${lower} missing`);
  if (fraction === 0) return roundRuntime(low);
  const high = valueAt(lower + 1);
  if (high === undefined) throw new Error(`percentile ${hundredths} of ${n} values: rank ${lower + 1} missing`);
  return roundRuntime(low + fraction * (high - low));
}
