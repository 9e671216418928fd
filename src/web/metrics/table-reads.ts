/**
 * What /metrics reads from the tables: task rows by state and name, result
 * rows by status, the runtimes of tasks finished in a recent window
 * (bucketed in SQL, one row per name), workers' and beats' last signs of
 * life. Each read is one statement; none returns more rows than there are
 * states × names, workers (capped) or beats.
 */
import type { Database } from '../../db/open.js';

/** Upper bounds of the runtime buckets, seconds: a millisecond to half an hour. */
export const RUNTIME_BUCKETS: readonly number[] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** Workers and beats reported at most, the most recently seen first. */
export const MAX_WORKERS = 1000;
export const MAX_BEATS = 200;

export interface CountRow {
  readonly labels: Readonly<Record<string, string>>;
  readonly count: number;
}

export interface RuntimeRow {
  readonly name: string;
  /** Tasks at or under each of RUNTIME_BUCKETS, cumulative, in that order. */
  readonly buckets: readonly number[];
  readonly count: number;
  readonly sum: number;
}

export interface WorkerRow {
  readonly hostname: string;
  readonly lastHeartbeat: Date | null;
}

export interface BeatRow {
  readonly hostname: string;
  readonly lastTick: Date;
  /** Seconds the last run it sent was late, when it recorded one. */
  readonly sendLag: number | null;
}

export interface TableFigures {
  readonly tasks: readonly CountRow[];
  readonly results: readonly CountRow[];
  readonly runtimes: readonly RuntimeRow[];
  readonly workers: readonly WorkerRow[];
  readonly beats: readonly BeatRow[];
}

/** Ready states whose rows carry the runtime the worker reported (task-succeeded; task-failed has none in Celery 5). */
const FINISHED = "('SUCCESS', 'FAILURE')";

const number = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));

export function runtimeSql(database: Database): string {
  const buckets = RUNTIME_BUCKETS.map((le, i) => `SUM(CASE WHEN runtime <= ${le} THEN 1 ELSE 0 END) AS b${i}`).join(', ');
  return (
    `SELECT name, COUNT(*) AS n, SUM(runtime) AS total, ${buckets} FROM djcelery_taskstate ` +
    `WHERE state IN ${FINISHED} AND tstamp >= ${database.dialect.param(1)} AND hidden = false AND runtime IS NOT NULL GROUP BY name`
  );
}

/**
 * Grouped in the order of the (name, state, hidden) index, which covers it.
 * MariaDB left to itself takes the one-column hidden index and reads every
 * row (8–12 s at a million rows here, against about 1 s through the covering one).
 */
export function taskCountsSql(database: Database): string {
  const index = database.provider === 'mysql' ? ' FORCE INDEX (djcelery_taskstate_name_state_hidden_idx)' : '';
  return `SELECT name, state, COUNT(*) AS n FROM djcelery_taskstate${index} WHERE hidden = false GROUP BY name, state`;
}
export const RESULT_COUNTS_SQL = 'SELECT status, COUNT(*) AS n FROM celery_taskmeta WHERE hidden = false GROUP BY status';

/** One read of every table /metrics reports; `since` starts the runtime window. */
export async function readTableFigures(database: Database, since: Date): Promise<TableFigures> {
  // One after another: a pool of one connection (SQLite) serialises them anyway, and a scrape should not take the whole pool.
  const tasks = await database.sql.query<{ state: string; name: string | null; n: unknown }>(taskCountsSql(database));
  const results = await database.sql.query<{ status: string; n: unknown }>(RESULT_COUNTS_SQL);
  const runtimes = await database.sql.query<Record<string, unknown>>(runtimeSql(database), [since]);
  const workers = await database.prisma.workerState.findMany({
    orderBy: { hostname: 'asc' },
    take: MAX_WORKERS,
    select: { hostname: true, lastHeartbeat: true },
  });
  const beats = await database.prisma.beatState.findMany({
    orderBy: [{ lastTick: 'desc' }, { id: 'desc' }],
    take: MAX_BEATS,
    select: { hostname: true, lastTick: true, sendLag: true },
  });
  return {
    tasks: tasks.map((row) => ({ labels: { state: row.state, name: row.name ?? '' }, count: number(row.n) })),
    results: results.map((row) => ({ labels: { status: row.status }, count: number(row.n) })),
    runtimes: runtimes.map((row) => ({
      name: typeof row.name === 'string' ? row.name : '',
      buckets: RUNTIME_BUCKETS.map((_, i) => number(row[`b${i}`])),
      count: number(row.n),
      sum: number(row.total),
    })),
    workers,
    // A host's newest beat row speaks for it (a restarted beat leaves its old rows until they are pruned).
    beats: [...new Map(beats.reverse().map((row) => [row.hostname, row])).values()],
  };
}
