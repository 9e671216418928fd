/**
 * Expiry of old task rows, with djcelery's camera's limits: rows in a state
 * group older than that group's limit are deleted, and so are rows marked
 * hidden (by hand, or by an older version of this package that hid rows
 * before deleting them). One statement per batch of primary-key ids,
 *
 *   DELETE … WHERE id BETWEEN a AND b AND (hidden = true
 *     OR (state IN (SUCCESS) AND tstamp <= success cutoff)
 *     OR (state IN (errors) AND tstamp <= error cutoff)
 *     OR (state NOT IN (both) AND tstamp <= pending cutoff))
 *
 * so a million expired rows never hold a long lock (src/db/range-delete.ts),
 * and no row is first rewritten as hidden only to be deleted after.
 *
 * The groups follow Celery's ready states: the error group holds only the
 * finished ones (FAILURE, REVOKED). A task in RETRY or REJECTED has not
 * finished (Celery counts both as unready) and may run again, so its row
 * waits for the pending limit like STARTED; djcelery expired RETRY rows with
 * the errors, after 3 days, while the task could still be waiting out a
 * countdown.
 */
import type { Database } from '../../db/open.js';
import type { Dialect } from '../../db/dialect.js';
import { deleteInIdRanges, type Cover, type RangeDelete, type StatementRunner } from '../../db/range-delete.js';
import { FAILURE, REVOKED, SUCCESS } from '../../core/states.js';
import { TASK_TABLE } from './upsert-sql.js';

/** Seconds a row may stay in each state group; null keeps that group forever. */
export interface ExpiryLimits {
  /** SUCCESS; djcelery's CELERYCAM_EXPIRE_SUCCESS, default 1 day. */
  success: number | null;
  /** FAILURE, REVOKED; CELERYCAM_EXPIRE_ERROR, default 3 days. */
  error: number | null;
  /** Every other state (PENDING, RECEIVED, STARTED, RETRY, REJECTED, custom); CELERYCAM_EXPIRE_PENDING, default 5 days. */
  pending: number | null;
}

export const DEFAULT_EXPIRY: ExpiryLimits = { success: 86_400, error: 3 * 86_400, pending: 5 * 86_400 };

export const SUCCESS_STATES = [SUCCESS] as const;
export const ERROR_STATES = [FAILURE, REVOKED] as const;

export interface CleanupResult {
  /** Rows deleted: the expired ones of every group, and any that were hidden. */
  deleted: number;
  /** Statements run; each covered one batch of ids. */
  statements: number;
  /** The slowest single statement, in ms: about the longest any lock was held. */
  longestStatementMs: number;
}

type Group = keyof ExpiryLimits;

/** Which rows of a group: `state IN (…)`, or for pending `state NOT IN (every listed state)`. */
function groupFilter(dialect: Dialect, group: Group): string {
  const state = dialect.ident('state');
  const list = (states: readonly string[]): string => states.map((s) => `'${s}'`).join(', ');
  if (group === 'success') return `${state} IN (${list(SUCCESS_STATES)})`;
  if (group === 'error') return `${state} IN (${list(ERROR_STATES)})`;
  return `${state} NOT IN (${list([...SUCCESS_STATES, ...ERROR_STATES])})`;
}

/** What a cleanup deletes: hidden rows, and each group with a limit past its cutoff. `now` is epoch ms. Pure. */
export function taskExpiryTarget(dialect: Dialect, limits: ExpiryLimits, now: number): RangeDelete {
  const q = dialect.ident;
  const alternatives = [`${q('hidden')} = true`];
  const cutoffs: Date[] = [];
  for (const group of ['success', 'error', 'pending'] as const) {
    const limit = limits[group];
    if (limit === null) continue;
    cutoffs.push(new Date(now - limit * 1000));
    // Placeholders 1 and 2 are the id range.
    alternatives.push(`(${groupFilter(dialect, group)} AND ${q('tstamp')} <= ${dialect.param(cutoffs.length + 2)})`);
  }
  // Every row a group deletes has a tstamp at or before the latest cutoff; hidden and tstamp are indexed.
  const covers: Cover[] = [{ condition: `${q('hidden')} = true`, params: [] }];
  if (cutoffs.length > 0) {
    const latest = new Date(Math.max(...cutoffs.map((cutoff) => cutoff.getTime())));
    covers.push({ condition: `${q('tstamp')} <= ${dialect.param(1)}`, params: [latest] });
  }
  return { table: TASK_TABLE, condition: alternatives.join(' OR '), params: cutoffs, covers };
}

/**
 * Deletes expired and hidden task rows, one batch of at least `batchSize`
 * ids per statement. `now` is epoch ms; `runner` runs each statement
 * (default db.sql), e.g. in turn with other work.
 */
export async function expireTaskStates(
  db: Database,
  limits: ExpiryLimits,
  options: { batchSize: number; now: number; runner?: StatementRunner },
): Promise<CleanupResult> {
  return deleteInIdRanges(options.runner ?? db.sql, db.dialect, taskExpiryTarget(db.dialect, limits, options.now), options.batchSize);
}
