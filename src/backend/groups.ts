/**
 * Saved groups (Celery's `save_group` / `restore_group` / `delete_group`):
 * a group id and its member task ids, in celery_tasksetmeta. Pure SQL and
 * decoding; the backend runs the statements.
 */
import type { Dialect } from '../db/dialect.js';
import { StoredDataError } from './errors.js';
import { withNotify } from './notify-sql.js';

export interface GroupRecord {
  groupId: string;
  /** Member task ids, in the order saved. */
  taskIds: string[];
  dateDone: Date;
}

const TABLE = 'celery_tasksetmeta';

/** `notify` (PostgreSQL): a save also notifies the group id to LISTENing waiters. */
export function groupSql(dialect: Dialect, notify = false) {
  const p = (n: number): string => dialect.param(n);
  const values = `VALUES (${p(1)}, ${p(2)}, ${p(3)}, false)`;
  const insert = `INSERT INTO ${TABLE} (taskset_id, result, date_done, hidden) ${values} `;
  const upsert =
    dialect.provider === 'mysql'
      ? `${insert}ON DUPLICATE KEY UPDATE result = VALUES(result), date_done = VALUES(date_done), hidden = false`
      : `${insert}ON CONFLICT (taskset_id) DO UPDATE SET result = excluded.result, date_done = excluded.date_done, hidden = false`;
  return {
    save: notify ? withNotify(upsert, 'taskset_id', 'true') : upsert,
    restore: `SELECT result, date_done FROM ${TABLE} WHERE taskset_id = ${p(1)} AND hidden = false`,
    remove: `DELETE FROM ${TABLE} WHERE taskset_id = ${p(1)}`,
  };
}

/** A stored row as a record; a row some other writer left in another format is an error, not a missing group. */
export function decodeGroup(groupId: string, row: { result: unknown; date_done: unknown }): GroupRecord {
  let ids: unknown;
  try {
    ids = typeof row.result === 'string' ? JSON.parse(row.result) : undefined;
  } catch {
    ids = undefined;
  }
  if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string') || !(row.date_done instanceof Date)) {
    throw new StoredDataError(`group ${groupId}: the stored row is not a JSON list of task ids`);
  }
  return { groupId, taskIds: ids, dateDone: row.date_done };
}
