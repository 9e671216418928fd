/**
 * Expiry of old task rows, as djcelery's camera does it: rows in a state
 * group older than that group's limit are marked hidden, then hidden rows
 * are deleted with raw SQL. Both steps run in bounded batches (one short
 * statement each), so a million expired rows never hold a long lock.
 */
import type { Database } from '../../db/open.js';
import type { Dialect } from '../../db/dialect.js';
import { FAILURE, REJECTED, RETRY, REVOKED, SUCCESS } from '../../core/states.js';
import { TASK_TABLE, type SqlValue } from './upsert-sql.js';

/** Seconds a row may stay in each state group; null keeps that group forever. */
export interface ExpiryLimits {
  /** SUCCESS; djcelery's CELERYCAM_EXPIRE_SUCCESS, default 1 day. */
  success: number | null;
  /** FAILURE, REVOKED, REJECTED, RETRY; CELERYCAM_EXPIRE_ERROR, default 3 days. */
  error: number | null;
  /** Every other state (PENDING, RECEIVED, STARTED, custom); CELERYCAM_EXPIRE_PENDING, default 5 days. */
  pending: number | null;
}

export const DEFAULT_EXPIRY: ExpiryLimits = { success: 86_400, error: 3 * 86_400, pending: 5 * 86_400 };

export const SUCCESS_STATES = [SUCCESS] as const;
export const ERROR_STATES = [FAILURE, REVOKED, REJECTED, RETRY] as const;

export interface CleanupResult {
  /** Rows marked hidden by this run, per group. */
  hidden: { success: number; error: number; pending: number };
  /** Hidden rows deleted (including any an interrupted run left). */
  deleted: number;
  /** Statements run; each touched at most `batchSize` rows. */
  statements: number;
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

/** Marks up to `batch` visible rows matching `where` hidden; one statement. */
function hideSql(dialect: Dialect, where: string, batch: number): string {
  const q = dialect.ident;
  const visible = `${q('hidden')} = false`;
  if (dialect.provider === 'mysql') {
    return `UPDATE ${q(TASK_TABLE)} SET ${q('hidden')} = true WHERE ${where} AND ${visible} LIMIT ${batch}`;
  }
  return (
    `UPDATE ${q(TASK_TABLE)} SET ${q('hidden')} = true WHERE ${q('id')} IN ` +
    `(SELECT ${q('id')} FROM ${q(TASK_TABLE)} WHERE ${where} AND ${visible} LIMIT ${batch})`
  );
}

/** Deletes up to `batch` hidden rows; the outer `hidden` test re-checks rows a snapshot revived meanwhile. */
function purgeSql(dialect: Dialect, batch: number): string {
  const q = dialect.ident;
  const hidden = `${q('hidden')} = true`;
  if (dialect.provider === 'mysql') return `DELETE FROM ${q(TASK_TABLE)} WHERE ${hidden} LIMIT ${batch}`;
  return (
    `DELETE FROM ${q(TASK_TABLE)} WHERE ${hidden} AND ${q('id')} IN ` +
    `(SELECT ${q('id')} FROM ${q(TASK_TABLE)} WHERE ${hidden} LIMIT ${batch})`
  );
}

/**
 * Hides expired rows group by group, then deletes every hidden row, each
 * in statements of at most `batchSize` rows. `now` is epoch ms.
 */
export async function expireTaskStates(
  db: Database,
  limits: ExpiryLimits,
  options: { batchSize: number; now: number },
): Promise<CleanupResult> {
  const { dialect, prisma } = db;
  const result: CleanupResult = { hidden: { success: 0, error: 0, pending: 0 }, deleted: 0, statements: 0 };
  const run = async (sql: string, params: SqlValue[]): Promise<number> => {
    result.statements++;
    return prisma.$executeRawUnsafe(sql, ...params);
  };
  for (const group of ['success', 'error', 'pending'] as const) {
    const limit = limits[group];
    if (limit === null) continue;
    const cutoff = new Date(options.now - limit * 1000);
    const where = `${groupFilter(dialect, group)} AND ${dialect.ident('tstamp')} <= ${dialect.param(1)}`;
    const sql = hideSql(dialect, where, options.batchSize);
    for (;;) {
      const changed = await run(sql, [cutoff]);
      result.hidden[group] += changed;
      if (changed < options.batchSize) break;
    }
  }
  const purge = purgeSql(dialect, options.batchSize);
  for (;;) {
    const deleted = await run(purge, []);
    result.deleted += deleted;
    if (deleted < options.batchSize) break;
  }
  return result;
}
