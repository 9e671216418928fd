/**
 * Expiry: every group row and every finished task row (SUCCESS, FAILURE,
 * REVOKED) done before the cutoff, and every row marked hidden (by hand, or
 * by an older version of this package that hid rows before deleting them),
 * is deleted, one batch of primary-key ids per statement
 * (src/db/range-delete.ts):
 *
 *   DELETE … WHERE id BETWEEN a AND b AND (hidden = true
 *     OR (date_done < cutoff AND status IN (ready states))
 *     OR date_done < unready cutoff)
 *
 * A task that has not finished (PENDING, RECEIVED, STARTED, RETRY, REJECTED
 * or a custom state such as PROGRESS) may still be running: STARTED and RETRY
 * stamp date_done too, and deleting its row would lose its name, arguments,
 * worker and start time, leaving its final state to land in a bare row. So
 * unfinished rows wait for the unready cutoff, which is never later than
 * the other one.
 *
 * There is no hiding pass first: on PostgreSQL an UPDATE of hidden writes a
 * new version of every row and its index entries, several times the cost
 * of the delete itself. An expired row is gone once its batch commits; a
 * cleanup cut short leaves later batches' expired rows for the next one
 * (reads see them until then, as they did before the cleanup started).
 */
import { READY_STATES } from '../core/states.js';
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
  /** Groups and finished tasks done before this instant were expired. */
  cutoff: Date;
  /** Unfinished tasks last updated before this instant were expired. */
  unreadyCutoff: Date;
  tasks: TableReport;
  groups: TableReport;
  statements: number;
  /** The slowest single statement, in ms: about the longest any lock was held. */
  longestStatementMs: number;
}

/** How long unfinished tasks are kept by default: 7 days. */
export const DEFAULT_UNREADY_EXPIRES_MS = 7 * 86_400_000;

/** The cutoffs of one cleanup: `unready` is never later than `ready`. Pure. */
export interface Cutoffs {
  ready: Date;
  unready: Date;
}

/** Cutoffs `expiresMs` and `unreadyExpiresMs` before `now` (epoch ms); unready rows are kept at least as long as ready ones. Pure. */
export function cutoffsAt(now: number, expiresMs: number, unreadyExpiresMs: number): Cutoffs {
  return { ready: new Date(now - expiresMs), unready: new Date(now - Math.max(expiresMs, unreadyExpiresMs)) };
}

/** What one table's cleanup deletes. Pure. */
export function expiryTarget(dialect: Dialect, table: ExpiringTable, cutoffs: Cutoffs): RangeDelete {
  // Both columns are indexed: the last expired or hidden id is a short read.
  const covers = [
    { condition: `date_done < ${dialect.param(1)}`, params: [cutoffs.ready] },
    { condition: 'hidden = true', params: [] },
  ];
  if (table === 'celery_tasksetmeta') {
    return { table, condition: `hidden = true OR date_done < ${dialect.param(3)}`, params: [cutoffs.ready], covers };
  }
  const ready = [...READY_STATES].map((state) => `'${state}'`).join(', ');
  return {
    table,
    condition: `hidden = true OR (date_done < ${dialect.param(3)} AND status IN (${ready})) OR date_done < ${dialect.param(4)}`,
    params: [cutoffs.ready, cutoffs.unready],
    covers,
  };
}

export function expire(
  runner: StatementRunner,
  dialect: Dialect,
  cutoffs: Cutoffs,
  batchSize: number,
  clock?: () => number,
): Promise<CleanupReport> {
  const targets = { tasks: expiryTarget(dialect, 'celery_taskmeta', cutoffs), groups: expiryTarget(dialect, 'celery_tasksetmeta', cutoffs) };
  return expireTables(runner, dialect, targets, cutoffs, batchSize, clock);
}

/** The deletes of one cleanup: a task table's and a group table's. */
export interface ExpiryTargets {
  tasks: RangeDelete;
  groups: RangeDelete;
}

/** Runs a cleanup's deletes (the task table's, then the group table's) and reports them. */
export async function expireTables(
  runner: StatementRunner,
  dialect: Dialect,
  targets: ExpiryTargets,
  cutoffs: Cutoffs,
  batchSize: number,
  clock?: () => number,
): Promise<CleanupReport> {
  const tasks = await deleteInIdRanges(runner, dialect, targets.tasks, batchSize, clock);
  const groups = await deleteInIdRanges(runner, dialect, targets.groups, batchSize, clock);
  return {
    cutoff: cutoffs.ready,
    unreadyCutoff: cutoffs.unready,
    tasks: { deleted: tasks.deleted },
    groups: { deleted: groups.deleted },
    statements: tasks.statements + groups.statements,
    longestStatementMs: Math.max(tasks.longestStatementMs, groups.longestStatementMs),
  };
}
