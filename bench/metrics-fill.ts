/**
 * Fills the tables /metrics reads with many rows fast: one INSERT … SELECT
 * over a cross join of digit rows per table (no generate_series, so the same
 * statement runs on SQLite, PostgreSQL and MariaDB/MySQL).
 */
import type { Database } from '../src/db/open.js';

export const FILL_STATES = ['SUCCESS', 'FAILURE', 'STARTED', 'RECEIVED', 'RETRY', 'REVOKED'] as const;
export const FILL_NAMES = 50;
export const FILL_WORKERS = 20;

export interface FillSizes {
  /** djcelery_taskstate rows, all older than the runtime window. */
  readonly tasks: number;
  /** Of those, rows finished inside the runtime window (SUCCESS, with a runtime). */
  readonly recent: number;
  /** celery_taskmeta rows. */
  readonly results: number;
}

/** `SELECT n` for n in 0 .. 10^digits − 1, as a derived table's body. */
function numbers(digits: number): string {
  const digit = `(SELECT 0 AS d UNION ALL ${[1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => `SELECT ${d}`).join(' UNION ALL ')})`;
  const places = Array.from({ length: digits }, (_, i) => `${digit} p${i}`);
  const sum = Array.from({ length: digits }, (_, i) => `p${i}.d * ${10 ** i}`).join(' + ');
  return `SELECT ${sum} AS i FROM ${places.join(' CROSS JOIN ')}`;
}

const concat = (db: Database, ...parts: string[]): string =>
  db.provider === 'mysql' ? `CONCAT(${parts.join(', ')})` : parts.join(' || ');

/** `CASE expr % n WHEN 0 THEN 'a' … END` over the given words. */
const pick = (expr: string, words: readonly string[]): string =>
  `CASE ${expr} % ${words.length} ${words.map((word, i) => `WHEN ${i} THEN '${word}'`).join(' ')} END`;

/** Rows `from` .. `from + count − 1` of a table, `count` a power of ten or not (the rest is cut by WHERE). */
function series(count: number): { sql: string; where: string } {
  const digits = Math.max(1, Math.ceil(Math.log10(count)));
  return { sql: `(${numbers(digits)}) seq`, where: `seq.i < ${count}` };
}

/**
 * Empties the tables, then writes FILL_WORKERS workers (half with a fresh
 * heartbeat), `tasks` task rows in FILL_STATES round robin over FILL_NAMES
 * names, the last `recent` of them finished at `now` − a few seconds, and
 * `results` result rows; then ANALYZE.
 */
export async function fillMetricsTables(db: Database, sizes: FillSizes, now: Date): Promise<void> {
  const p = db.dialect.param;
  const exec = (sql: string, ...params: (Date | number | string)[]): Promise<number> => db.sql.execute(sql, params);
  for (const table of ['djcelery_taskstate', 'djcelery_workerstate', 'celery_taskmeta']) {
    await exec(db.provider === 'sqlite' ? `DELETE FROM ${table}` : db.provider === 'mysql' ? `DELETE FROM ${table}` : `TRUNCATE TABLE ${table} CASCADE`);
  }
  const old = new Date(now.getTime() - 2 * 86_400_000);
  for (let w = 0; w < FILL_WORKERS; w++) {
    await exec(`INSERT INTO djcelery_workerstate (hostname, last_heartbeat) VALUES (${p(1)}, ${p(2)})`, `w${w}@bench`, w % 2 === 0 ? now : old);
  }
  const names = Array.from({ length: FILL_NAMES }, (_, i) => `tasks.t${i}`);
  // Old rows in the states round robin, then the recent ones: SUCCESS with a runtime, inside the window.
  const insertTasks = (count: number, offset: number, state: string, tstamp: Date): Promise<number> => {
    const rows = series(count);
    return exec(
      `INSERT INTO djcelery_taskstate (state, task_id, name, tstamp, runtime, retries, hidden, worker_id) ` +
        `SELECT ${state}, ${concat(db, "'bench-'", `(seq.i + ${offset})`)}, ${pick('seq.i', names)}, ${p(1)}, ` +
        `(seq.i % 1000) / 100.0, 0, false, NULL FROM ${rows.sql} WHERE ${rows.where}`,
      tstamp,
    );
  };
  await insertTasks(sizes.tasks - sizes.recent, 0, pick('seq.i', FILL_STATES), old);
  await insertTasks(sizes.recent, sizes.tasks - sizes.recent, "'SUCCESS'", new Date(now.getTime() - 5000));
  const results = series(sizes.results);
  await exec(
    `INSERT INTO celery_taskmeta (task_id, status, result, date_done, date_created, hidden) ` +
      `SELECT ${concat(db, "'bench-r'", 'seq.i')}, ${pick('seq.i', FILL_STATES)}, 'null', ${p(1)}, ${p(2)}, false ` +
      `FROM ${results.sql} WHERE ${results.where}`,
    old,
    old,
  );
  for (const table of ['djcelery_taskstate', 'djcelery_workerstate', 'celery_taskmeta']) {
    const analyze = { sqlite: `ANALYZE ${table}`, postgresql: `VACUUM ANALYZE ${table}`, mysql: `ANALYZE TABLE ${table}` }[db.provider];
    if (db.provider === 'mysql') await db.sql.query(analyze);
    else await db.sql.execute(analyze);
  }
}
