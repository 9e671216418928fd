/**
 * Deleting the rows of a table that match a condition, one batch of
 * consecutive primary-key ids per statement:
 *
 *   DELETE FROM t WHERE id BETWEEN a AND b AND (condition)
 *
 * Each statement reaches its rows through the primary key, so none holds
 * locks for long, and no batch rescans what an earlier one did (a LIMIT
 * over an index of the condition would, growing quadratically). A batch
 * that deleted rows is followed by the adjacent one; after one that deleted
 * none, a read finds the next id, jumping gaps that earlier deletes left.
 * (Jumping to the next matching row instead costs more than it saves:
 * MySQL answers that read by merging the condition's indexes, reading
 * every matching entry each time.) The walk ends at the last id that can
 * match, read once from the condition's own indexes (`covers`), so the
 * rows after it, usually most of the table, are never scanned by a delete.
 *
 * The first batch spans `batchSize` ids. While statements finish quickly
 * the span doubles, up to 16 × batchSize, and after a slow one it halves,
 * down to batchSize / 8: what bounds a lock is time, and ids are a poor
 * measure of it. SQLite rewrites every index page a statement touches, and
 * a batch of random task ids touches most of the task_id index whatever its
 * size, so 20,000 rows cost little more than 5,000; on PostgreSQL a delete
 * only marks rows, and 5,000 take a few ms.
 *
 * Used by the result backend's expiry and the camera's cleanup. Pure
 * control flow around the statements a runner executes.
 */
import type { Dialect } from './dialect.js';
import type { SqlParam } from './sql.js';

/** Runs one statement and resolves to the rows it changed (or read). */
export interface StatementRunner {
  execute(sql: string, params: SqlParam[]): Promise<number>;
  query<T extends object>(sql: string, params: SqlParam[]): Promise<T[]>;
}

/** A condition (placeholders from 1) with its parameters. */
export interface Cover {
  condition: string;
  params: SqlParam[];
}

export interface RangeDelete {
  table: string;
  /** The rows to delete, with placeholders numbered from 3 (1 and 2 are the id range). */
  condition: string;
  params: SqlParam[];
  /**
   * Conditions (placeholders from 1) that between them match every row
   * `condition` does, each answered by an index: the largest id any of them
   * finds is the last one the walk visits. Without them, the table's last id.
   */
  covers?: readonly Cover[];
}

export interface RangeDeleteReport {
  deleted: number;
  statements: number;
  /** The slowest single statement, in ms: about the longest any lock was held. */
  longestStatementMs: number;
}

/** A batch faster than this doubles the next one's span; one slower than SLOW_MS halves it. */
export const QUICK_MS = 50;
export const SLOW_MS = 200;
/** The widest span, as a multiple of batchSize, and the narrowest, as a fraction of it. */
export const MAX_GROWTH = 16;
export const MAX_SHRINK = 8;

/** The statements, for the dialect. Pure. */
export function rangeDeleteSql(dialect: Dialect, { table, condition }: Pick<RangeDelete, 'table' | 'condition'>) {
  const q = dialect.ident;
  const t = q(table);
  const id = q('id');
  return {
    bounds: `SELECT MIN(${id}) AS low, MAX(${id}) AS high FROM ${t}`,
    /** The last id a cover matches. */
    cover: (condition: string) => `SELECT MAX(${id}) AS high FROM ${t} WHERE ${condition}`,
    /** The first id at or after a point. */
    next: `SELECT MIN(${id}) AS low FROM ${t} WHERE ${id} >= ${dialect.param(1)}`,
    /** One batch: ids from p1 to p2, both included. */
    remove: `DELETE FROM ${t} WHERE ${id} BETWEEN ${dialect.param(1)} AND ${dialect.param(2)} AND (${condition})`,
  };
}

// MySQL's driver may hand MIN/MAX of an int over as a bigint.
const asId = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value as number | bigint);

export async function deleteInIdRanges(
  runner: StatementRunner,
  dialect: Dialect,
  target: RangeDelete,
  batchSize: number,
  clock: () => number = () => performance.now(),
): Promise<RangeDeleteReport> {
  const sql = rangeDeleteSql(dialect, target);
  const report: RangeDeleteReport = { deleted: 0, statements: 0, longestStatementMs: 0 };
  let lastMs = 0;
  const timed = async <T>(run: () => Promise<T>): Promise<T> => {
    const started = clock();
    try {
      return await run();
    } finally {
      report.statements++;
      lastMs = clock() - started;
      report.longestStatementMs = Math.max(report.longestStatementMs, lastMs);
    }
  };

  const [bounds] = await timed(() => runner.query<{ low: unknown; high: unknown }>(sql.bounds, []));
  let low = asId(bounds?.low);
  // Rows written after this point are new: whatever the condition, they can wait for the next run.
  let high = asId(bounds?.high);
  if (low !== null && target.covers !== undefined) {
    let last: number | null = null;
    for (const cover of target.covers) {
      const [found] = await timed(() => runner.query<{ high: unknown }>(sql.cover(cover.condition), cover.params));
      const id = asId(found?.high);
      if (id !== null && (last === null || id > last)) last = id;
    }
    high = last === null || high === null ? null : Math.min(last, high);
  }
  let span = batchSize;
  const narrowest = Math.max(1, Math.ceil(batchSize / MAX_SHRINK));
  while (low !== null && high !== null && low <= high) {
    const from = low;
    const to = Math.min(low + span - 1, high);
    const removed = await timed(() => runner.execute(sql.remove, [from, to, ...target.params]));
    report.deleted += removed;
    if (to >= high) break;
    if (lastMs < QUICK_MS) span = Math.min(span * 2, batchSize * MAX_GROWTH);
    else if (lastMs > SLOW_MS) span = Math.max(Math.floor(span / 2), narrowest);
    if (removed > 0) {
      low = to + 1;
    } else {
      const [next] = await timed(() => runner.query<{ low: unknown }>(sql.next, [to + 1]));
      low = asId(next?.low);
    }
  }
  return report;
}
