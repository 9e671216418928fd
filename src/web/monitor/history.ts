/**
 * The monitor's history, from the rows the camera stored
 * (djcelery_taskstate), so it outlives any process: task counts per time
 * bucket (all tasks, or one worker's), and runtime percentiles per task
 * name. Read-only; every query reads one window of an index (the week's
 * finished hours are kept a while: history-cache.ts).
 */
import type { Database } from '../../db/open.js';
import { countsSql, percentilesSql, rankedRuntimesSql } from './history-sql.js';
import type { FinishedHours } from './history-cache.js';
import {
  bucketWindow,
  fillSeries,
  percentileCont,
  PERCENTILES,
  roundRuntime,
  type BucketCount,
  type HistoryRange,
  type HistorySeries,
} from './history-series.js';

/** The runtimes' window: the last day, its newest successes at most. */
export const RUNTIME_WINDOW_SECONDS = 24 * 3600;
export const RUNTIME_SAMPLE_LIMIT = 10_000;

/** SQL counts and sums come back as numbers, bigints or (MySQL's SUM) decimal text. */
const toNumber = (value: unknown): number => Number(value ?? 0);

/**
 * Tasks per bucket of `range` ending at `now`; with `hostname`, only that
 * worker's (none if it is unknown). The week's finished hours come from
 * `finished` when given.
 */
export async function taskHistory(database: Database, range: HistoryRange, now: Date, hostname?: string, finished?: FinishedHours): Promise<HistorySeries> {
  const window = bucketWindow(range, now);
  let workerId: number | undefined;
  if (hostname !== undefined) {
    // Looked up first, so the count filters on the indexed worker_id alone.
    const worker = await database.prisma.workerState.findUnique({ where: { hostname }, select: { id: true } });
    if (worker === null) return fillSeries(window, []);
    workerId = worker.id;
  }
  const count = (since: Date, until: Date): Promise<BucketCount[]> => countRows(database, window.stepSeconds, since, until, workerId);
  if (range !== 'week' || finished === undefined) return fillSeries(window, await count(window.since, window.until));
  const current = new Date(window.until.getTime() - window.stepSeconds * 1000);
  const [past, recent] = await Promise.all([
    finished.get(hostname ?? '', window.since, now, () => count(window.since, current)),
    count(current, window.until),
  ]);
  return fillSeries(window, [...past, ...recent]);
}

async function countRows(database: Database, stepSeconds: number, since: Date, until: Date, workerId: number | undefined): Promise<BucketCount[]> {
  const params = workerId === undefined ? [since, until] : [since, until, workerId];
  const rows = await database.sql.query<Record<string, unknown>>(countsSql(database.dialect, stepSeconds, workerId !== undefined), params);
  return rows.map((row) => ({ bucket: toNumber(row.bucket), state: String(row.state), tasks: toNumber(row.tasks), retries: toNumber(row.retries) }));
}

export interface RuntimePercentiles {
  name: string;
  /** Succeeded rows of this name in the sample. */
  count: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface RuntimeReport {
  since: string;
  until: string;
  /** Rows read: the sample is the newest `limit` successes when it reached it. */
  sampled: number;
  limit: number;
  items: RuntimePercentiles[];
}

/** Runtime percentiles (seconds) per task name, over the last day's newest successes. */
export async function runtimePercentiles(database: Database, now: Date): Promise<RuntimeReport> {
  const since = new Date(now.getTime() - RUNTIME_WINDOW_SECONDS * 1000);
  const params = [since, now, RUNTIME_SAMPLE_LIMIT];
  const items = database.provider === 'postgresql' ? await percentilesInSql(database, params) : await percentilesFromRanks(database, params);
  // By code point, as every database would not (their collations differ).
  items.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return {
    since: since.toISOString(),
    until: now.toISOString(),
    sampled: items.reduce((sum, item) => sum + item.count, 0),
    limit: RUNTIME_SAMPLE_LIMIT,
    items,
  };
}

async function percentilesInSql(database: Database, params: (Date | number)[]): Promise<RuntimePercentiles[]> {
  const rows = await database.sql.query<Record<string, unknown>>(percentilesSql(database.dialect), params);
  return rows.map((row) => ({
    name: String(row.name),
    count: toNumber(row.n),
    p50: roundRuntime(Number(row.p50)),
    p95: roundRuntime(Number(row.p95)),
    p99: roundRuntime(Number(row.p99)),
  }));
}

async function percentilesFromRanks(database: Database, params: (Date | number)[]): Promise<RuntimePercentiles[]> {
  const rows = await database.sql.query<Record<string, unknown>>(rankedRuntimesSql(database.dialect), params);
  const byName = new Map<string, { n: number; values: Map<number, number> }>();
  for (const row of rows) {
    const name = String(row.name);
    let entry = byName.get(name);
    if (entry === undefined) byName.set(name, (entry = { n: toNumber(row.n), values: new Map() }));
    entry.values.set(toNumber(row.rank), Number(row.runtime));
  }
  return [...byName].map(([name, { n, values }]) => {
    const [p50, p95, p99] = PERCENTILES.map((p) => percentileCont(n, p, (rank) => values.get(rank)));
    return { name, count: n, p50: p50 as number, p95: p95 as number, p99: p99 as number };
  });
}
