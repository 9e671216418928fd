/**
 * The history charts' queries per dialect. Pure: SQL text, no I/O.
 *
 * Counts: rows of djcelery_taskstate by bucket of their `tstamp` (the time
 * their latest state began) and state, over one window. The bucket is whole
 * epoch seconds divided by the step, in SQL, so only one row per bucket and
 * state leaves the database. The window reads index
 * (tstamp, state, hidden, retries) alone; a worker's, (worker_id, tstamp).
 *
 * Runtimes: the newest succeeded rows of a window (index (state, tstamp),
 * newest first, at most a limit), grouped by task name. PostgreSQL computes
 * percentile_cont itself; SQLite and MySQL rank each name's runtimes with
 * window functions and return only the rows around each percentile's
 * position, which history-series.ts interpolates the same way.
 */
import type { Dialect } from '../../db/dialect.js';
import { SUCCESS } from '../../core/states.js';
import { PERCENTILES } from './history-series.js';

const TABLE = 'djcelery_taskstate';

function epochSeconds(dialect: Dialect, column: string): string {
  switch (dialect.provider) {
    case 'postgresql':
      return `CAST(FLOOR(EXTRACT(EPOCH FROM ${column})) AS BIGINT)`;
    case 'mysql':
      // Not UNIX_TIMESTAMP: that reads DATETIME in the session's zone.
      return `TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', ${column})`;
    case 'sqlite':
      return `unixepoch(${column})`;
  }
}

/** Integer division that floors (every epoch here is positive, so truncation is flooring). */
function divide(dialect: Dialect, dividend: string, divisor: number): string {
  return dialect.provider === 'mysql' ? `${dividend} DIV ${divisor}` : `${dividend} / ${divisor}`;
}

/**
 * `bucket, state, tasks, retries` per bucket and state; parameters: since,
 * until, and the worker's id when `byWorker`.
 */
export function countsSql(dialect: Dialect, stepSeconds: number, byWorker: boolean): string {
  const q = dialect.ident;
  const bucket = divide(dialect, epochSeconds(dialect, q('tstamp')), stepSeconds);
  const where = [`${q('tstamp')} >= ${dialect.param(1)}`, `${q('tstamp')} < ${dialect.param(2)}`, `${q('hidden')} = false`];
  // Last, as its parameter: `?` placeholders bind in the order they appear.
  if (byWorker) where.push(`${q('worker_id')} = ${dialect.param(3)}`);
  return (
    `SELECT ${bucket} AS ${q('bucket')}, ${q('state')}, COUNT(*) AS ${q('tasks')}, SUM(${q('retries')}) AS ${q('retries')} ` +
    `FROM ${q(TABLE)} WHERE ${where.join(' AND ')} GROUP BY ${bucket}, ${q('state')}`
  );
}

/** The newest succeeded rows with a name and runtime; parameters: since, until, limit. */
function recentRuntimes(dialect: Dialect): string {
  const q = dialect.ident;
  return (
    `SELECT ${q('name')}, ${q('runtime')} FROM ${q(TABLE)} ` +
    `WHERE ${q('state')} = '${SUCCESS}' AND ${q('tstamp')} >= ${dialect.param(1)} AND ${q('tstamp')} < ${dialect.param(2)} ` +
    `AND ${q('hidden')} = false AND ${q('runtime')} IS NOT NULL AND ${q('name')} IS NOT NULL ` +
    `ORDER BY ${q('tstamp')} DESC LIMIT ${dialect.param(3)}`
  );
}

/** PostgreSQL: `name, n, p50, p95, p99` per name, computed by percentile_cont. */
export function percentilesSql(dialect: Dialect): string {
  const q = dialect.ident;
  const columns = PERCENTILES.map((p) => `percentile_cont(${p / 100}) WITHIN GROUP (ORDER BY ${q('runtime')}) AS ${q(`p${p}`)}`);
  return (
    `SELECT ${q('name')}, COUNT(*) AS ${q('n')}, ${columns.join(', ')} ` +
    `FROM (${recentRuntimes(dialect)}) ${q('recent')} GROUP BY ${q('name')} ORDER BY ${q('name')}`
  );
}

/**
 * SQLite and MySQL: `name, n, rank, runtime` for each name's runtimes at
 * the 0-based ranks next to a percentile's position (n - 1) × p: those
 * within one rank of it, compared in integer hundredths so no rounding can
 * drop one.
 */
export function rankedRuntimesSql(dialect: Dialect): string {
  const q = dialect.ident;
  const near = PERCENTILES.map((p) => `ABS((${q('rn')} - 1) * 100 - (${q('n')} - 1) * ${p}) < 100`);
  return (
    `SELECT ${q('name')}, ${q('n')}, ${q('rn')} - 1 AS ${q('rank')}, ${q('runtime')} FROM (` +
    `SELECT ${q('name')}, ${q('runtime')}, ` +
    `ROW_NUMBER() OVER (PARTITION BY ${q('name')} ORDER BY ${q('runtime')}) AS ${q('rn')}, ` +
    `COUNT(*) OVER (PARTITION BY ${q('name')}) AS ${q('n')} ` +
    `FROM (${recentRuntimes(dialect)}) ${q('recent')}) ${q('ranked')} ` +
    `WHERE ${near.join(' OR ')} ORDER BY ${q('name')}, ${q('rn')}`
  );
}
