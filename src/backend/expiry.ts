/**
 * Expiry the django-celery way: rows whose date_done is older than the
 * cutoff are marked hidden (invisible to every read), then hidden rows are
 * deleted with raw SQL. Both passes go in batches of consecutive ids, so
 * each statement touches at most `batchSize` rows through the primary key:
 * no statement holds locks for long, and no batch rescans what an earlier
 * one did (a LIMIT over the date_done index would, growing quadratically).
 * Every expired row is hidden before the first delete, so a cleanup cut
 * short leaves nothing expired visible; the next one deletes the rest.
 */
import type { Dialect } from '../db/dialect.js';

export const EXPIRING_TABLES = ['celery_taskmeta', 'celery_tasksetmeta'] as const;
export type ExpiringTable = (typeof EXPIRING_TABLES)[number];

/** Runs one statement and resolves to the rows it changed (or read). */
export interface StatementRunner {
  execute(sql: string, params: unknown[]): Promise<number>;
  query<T>(sql: string, params: unknown[]): Promise<T[]>;
}

export interface TableReport {
  hidden: number;
  deleted: number;
}

export interface CleanupReport {
  /** Rows done before this instant were expired. */
  cutoff: Date;
  tasks: TableReport;
  groups: TableReport;
  statements: number;
  /** The slowest single statement, in ms: about the longest any lock was held. */
  longestStatementMs: number;
}

/** The statements of one batch, for the table and dialect. Pure. */
export function expirySql(dialect: Dialect, table: ExpiringTable) {
  const p = (n: number): string => dialect.param(n);
  return {
    bounds: `SELECT MIN(id) AS low, MAX(id) AS high FROM ${table}`,
    /** The first id at or after a point: jumps over gaps left by earlier deletes. */
    next: `SELECT MIN(id) AS low FROM ${table} WHERE id >= ${p(1)}`,
    hide: `UPDATE ${table} SET hidden = true WHERE id >= ${p(1)} AND id < ${p(2)} AND hidden = false AND date_done < ${p(3)}`,
    remove: `DELETE FROM ${table} WHERE id >= ${p(1)} AND id < ${p(2)} AND hidden = true`,
  };
}

// MySQL returns MIN/MAX of an int as a number or bigint, PostgreSQL and SQLite as numbers.
const asId = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value as number | bigint);

export async function expire(
  runner: StatementRunner,
  dialect: Dialect,
  cutoff: Date,
  batchSize: number,
): Promise<CleanupReport> {
  let statements = 0;
  let longestStatementMs = 0;
  const timed = async <T>(run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      return await run();
    } finally {
      statements++;
      longestStatementMs = Math.max(longestStatementMs, performance.now() - started);
    }
  };

  /** Runs `statement` over the table's ids in batches; resolves to the rows it changed. */
  const overIds = async (table: ExpiringTable, statement: (from: number, to: number) => Promise<number>): Promise<number> => {
    const sql = expirySql(dialect, table);
    const [bounds] = await timed(() => runner.query<{ low: unknown; high: unknown }>(sql.bounds, []));
    let low = asId(bounds?.low);
    // Rows written after this point have a fresh date_done: they are never expired.
    const high = asId(bounds?.high);
    let changed = 0;
    while (low !== null && high !== null && low <= high) {
      const end = low + batchSize;
      const from = low;
      changed += await timed(() => statement(from, end));
      if (end > high) break;
      const [next] = await timed(() => runner.query<{ low: unknown }>(sql.next, [end]));
      low = asId(next?.low);
    }
    return changed;
  };

  const expireTable = async (table: ExpiringTable): Promise<TableReport> => {
    const sql = expirySql(dialect, table);
    const hidden = await overIds(table, (from, to) => runner.execute(sql.hide, [from, to, cutoff]));
    const deleted = await overIds(table, (from, to) => runner.execute(sql.remove, [from, to]));
    return { hidden, deleted };
  };

  const tasks = await expireTable('celery_taskmeta');
  const groups = await expireTable('celery_tasksetmeta');
  return { cutoff, tasks, groups, statements, longestStatementMs };
}
