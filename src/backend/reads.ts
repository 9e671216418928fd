/**
 * Reading celery_taskmeta: the statements (hidden rows are never seen) and
 * rows decoded into Celery's meta or our fuller record. Pure.
 */
import { READY_STATES } from '../core/states.js';
import type { Dialect } from '../db/dialect.js';
import type { TaskMeta } from './meta.js';

/** Everything stored about a task. */
export interface TaskRecord {
  taskId: string;
  status: string;
  /** The decoded result; an exception ({exc_type, exc_message, exc_module}) for FAILURE, RETRY and REVOKED. */
  result: unknown;
  traceback: string | null;
  children: unknown[];
  /** When the row was last written (Celery's date_done column). */
  dateDone: Date;
  name: string | null;
  args: unknown;
  kwargs: unknown;
  worker: string | null;
  queue: string | null;
  retries: number | null;
  dateCreated: Date;
  dateStarted: Date | null;
}

export interface MetaRow {
  status: string;
  result: string | null;
  traceback: string | null;
  meta: string | null;
  date_done: Date;
}

export interface RecordRow extends MetaRow {
  name: string | null;
  args: string | null;
  kwargs: string | null;
  worker: string | null;
  queue: string | null;
  retries: number | bigint | null;
  date_created: Date;
  date_started: Date | null;
}

const META_COLUMNS = 'status, result, traceback, meta, date_done';
const RECORD_COLUMNS = `${META_COLUMNS}, name, args, kwargs, worker, queue, retries, date_created, date_started`;

export function readSql(dialect: Dialect) {
  const where = `FROM celery_taskmeta WHERE task_id = ${dialect.param(1)} AND hidden = false`;
  return {
    meta: `SELECT ${META_COLUMNS} ${where}`,
    record: `SELECT ${RECORD_COLUMNS} ${where}`,
    forget: `DELETE FROM celery_taskmeta WHERE task_id = ${dialect.param(1)}`,
    /** Fails unless every column the backend uses exists: a start-up check that migrations ran. */
    probe: [
      `SELECT task_id, ${RECORD_COLUMNS}, hidden FROM celery_taskmeta WHERE 1 = 0`,
      'SELECT taskset_id, result, date_done, hidden FROM celery_tasksetmeta WHERE 1 = 0',
    ],
  };
}

/**
 * JSON text back to a value. Text that is not JSON (a row written by some
 * other tool) is handed back as the text rather than failing the read.
 */
function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function childrenOf(meta: string | null): unknown[] {
  const parsed = parseJson(meta);
  const children = typeof parsed === 'object' && parsed !== null ? (parsed as { children?: unknown }).children : undefined;
  return Array.isArray(children) ? children : [];
}

export const metaFromRow = (taskId: string, row: MetaRow): TaskMeta => ({
  task_id: taskId,
  status: row.status,
  result: parseJson(row.result),
  traceback: row.traceback,
  children: childrenOf(row.meta),
  // Celery's date_done is when the task finished; the column is also stamped by unready writes.
  date_done: READY_STATES.has(row.status) ? row.date_done.toISOString() : null,
});

export const recordFromRow = (taskId: string, row: RecordRow): TaskRecord => ({
  taskId,
  status: row.status,
  result: parseJson(row.result),
  traceback: row.traceback,
  children: childrenOf(row.meta),
  dateDone: row.date_done,
  name: row.name,
  args: parseJson(row.args),
  kwargs: parseJson(row.kwargs),
  worker: row.worker,
  queue: row.queue,
  retries: row.retries === null ? null : Number(row.retries),
  dateCreated: row.date_created,
  dateStarted: row.date_started,
});
