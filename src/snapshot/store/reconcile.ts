/**
 * Completes tasks whose final events the camera missed (it was down, or
 * the broker connection was) from the result backend's table: a task row
 * in a state that is not ready, whose celery_taskmeta row is ready, takes
 * that state, its date and its result and traceback. One set-based
 * statement; the (state, tstamp) index finds the unready rows and the
 * unique task_id index of celery_taskmeta joins them.
 *
 * celery_taskmeta holds results as JSON (the backend's encoding) while
 * events carry Python reprs: a reconciled row's result is that JSON text.
 */
import type { Database } from '../../db/open.js';
import { READY_STATES } from '../../core/states.js';
import { supersedesSql } from './precedence-sql.js';
import { TASK_TABLE } from './upsert-sql.js';

export const RESULT_TABLE = 'celery_taskmeta';

export function reconcileSql(db: Pick<Database, 'dialect'>): string {
  const { dialect } = db;
  const q = dialect.ident;
  const ready = [...READY_STATES].map((s) => `'${s}'`).join(', ');
  const col = (table: 'ts' | 'tm', column: string): string =>
    table === 'ts' && dialect.provider === 'sqlite' ? `${q(TASK_TABLE)}.${q(column)}` : `${table}.${q(column)}`;
  const where =
    `tm.${q('task_id')} = ${col('ts', 'task_id')} AND ${col('ts', 'state')} NOT IN (${ready}) ` +
    `AND tm.${q('status')} IN (${ready}) AND ${supersedesSql(`tm.${q('status')}`, col('ts', 'state'))}`;
  // `state` last: MySQL applies SET left to right.
  const sets = (target: (column: string) => string): string =>
    [
      `${target('tstamp')} = tm.${q('date_done')}`,
      `${target('result')} = COALESCE(tm.${q('result')}, ${col('ts', 'result')})`,
      `${target('traceback')} = COALESCE(tm.${q('traceback')}, ${col('ts', 'traceback')})`,
      `${target('name')} = COALESCE(${col('ts', 'name')}, tm.${q('name')})`,
      `${target('hidden')} = false`,
      `${target('state')} = tm.${q('status')}`,
    ].join(', ');
  switch (dialect.provider) {
    case 'mysql':
      return `UPDATE ${q(TASK_TABLE)} ts JOIN ${q(RESULT_TABLE)} tm ON tm.${q('task_id')} = ts.${q('task_id')} SET ${sets((c) => `ts.${q(c)}`)} WHERE ${where}`;
    case 'postgresql':
      return `UPDATE ${q(TASK_TABLE)} AS ts SET ${sets(q)} FROM ${q(RESULT_TABLE)} AS tm WHERE ${where}`;
    case 'sqlite':
      return `UPDATE ${q(TASK_TABLE)} SET ${sets(q)} FROM ${q(RESULT_TABLE)} AS tm WHERE ${where}`;
  }
}

/** Runs the reconciliation; resolves to the number of task rows completed. */
export async function reconcileFromResults(db: Database): Promise<number> {
  return db.prisma.$executeRawUnsafe(reconcileSql(db));
}
