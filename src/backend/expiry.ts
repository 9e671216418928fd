/**
 * Expiry: every task and group row done before the cutoff, and every row
 * marked hidden (by hand, or by an older version of this package that hid
 * rows before deleting them), is deleted, one batch of primary-key ids per
 * statement (src/db/range-delete.ts):
 *
 *   DELETE … WHERE id BETWEEN a AND b AND (hidden = true OR date_done < cutoff)
 *
 * There is no hiding pass first: on PostgreSQL an UPDATE of hidden writes a
 * new version of every row and its index entries, several times the cost
 * of the delete itself. An expired row is gone once its batch commits; a
 * cleanup cut short leaves later batches' expired rows for the next one
 * (reads see them until then, as they did before the cleanup started).
 */
import type { Dialect } from '../db/dialect.js';
import { deleteInIdRanges, type RangeDelete, type StatementRunner } from '../db/range-delete.js';

export type { StatementRunner } from '../db/range-delete.js';

export const EXPIRING_TABLES = ['celery_taskmeta', 'celery_tasksetmeta'] as const;
export type ExpiringTable = (typeof EXPIRING_TABLES)[number];

export interface TableReport {
  /** Rows deleted: the expired ones and any that were hidden. */
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

/** What one table's cleanup deletes. Pure. */
export function expiryTarget(dialect: Dialect, table: ExpiringTable, cutoff: Date): RangeDelete {
  return {
    table,
    condition: `hidden = true OR date_done < ${dialect.param(3)}`,
    params: [cutoff],
    // Both columns are indexed: the last expired or hidden id is a short read.
    covers: [
      { condition: `date_done < ${dialect.param(1)}`, params: [cutoff] },
      { condition: 'hidden = true', params: [] },
    ],
  };
}

export async function expire(
  runner: StatementRunner,
  dialect: Dialect,
  cutoff: Date,
  batchSize: number,
  clock?: () => number,
): Promise<CleanupReport> {
  const tasks = await deleteInIdRanges(runner, dialect, expiryTarget(dialect, 'celery_taskmeta', cutoff), batchSize, clock);
  const groups = await deleteInIdRanges(runner, dialect, expiryTarget(dialect, 'celery_tasksetmeta', cutoff), batchSize, clock);
  return {
    cutoff,
    tasks: { deleted: tasks.deleted },
    groups: { deleted: groups.deleted },
    statements: tasks.statements + groups.statements,
    longestStatementMs: Math.max(tasks.longestStatementMs, groups.longestStatementMs),
  };
}
