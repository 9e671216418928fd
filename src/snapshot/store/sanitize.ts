/**
 * Makes a row fit the columns before it reaches the database, so one odd
 * event (a 300-character custom state, a NUL in a traceback, an eta in year
 * 1) can never fail a whole batch again and again. Pure.
 */
import type { Provider } from '../../db/url.js';
import type { TaskRow, WorkerRow } from '../state/rows.js';

/** varchar(255) on PostgreSQL and MySQL: task_id, state, name, hostname. */
export const MAX_SHORT_TEXT = 255;
const INT32_MAX = 2_147_483_647;
// MySQL DATETIME holds 1000-01-01 … 9999-12-31; PostgreSQL more. One range for all.
const MIN_INSTANT = Date.UTC(1000, 0, 1);
const MAX_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export type RowProblem = 'task-id-too-long';

export interface SanitizedTasks {
  rows: TaskRow[];
  /** Rows that cannot be stored at all, with why. */
  rejected: { row: TaskRow; problem: RowProblem }[];
}

export function sanitizeTasks(rows: readonly TaskRow[], provider: Provider): SanitizedTasks {
  const out: TaskRow[] = [];
  const rejected: SanitizedTasks['rejected'] = [];
  const text = textCleaner(provider);
  for (const row of rows) {
    // A cut id would be another task's id: such a row is refused, not changed.
    if (row.taskId.length > MAX_SHORT_TEXT || (provider === 'postgresql' && row.taskId.includes('\0'))) {
      rejected.push({ row, problem: 'task-id-too-long' });
      continue;
    }
    out.push({
      taskId: row.taskId,
      state: short(text(row.state)) ?? 'PENDING',
      name: short(text(row.name)),
      tstamp: clampInstant(row.tstamp),
      args: text(row.args),
      kwargs: text(row.kwargs),
      eta: instantOrNull(row.eta),
      expires: instantOrNull(row.expires),
      result: text(row.result),
      traceback: text(row.traceback),
      runtime: row.runtime !== null && Number.isFinite(row.runtime) ? row.runtime : null,
      retries: Number.isSafeInteger(row.retries) ? Math.min(Math.max(row.retries, 0), INT32_MAX) : 0,
      worker: short(text(row.worker)),
    });
  }
  return { rows: out, rejected };
}

export function sanitizeWorker(row: WorkerRow, provider: Provider): WorkerRow {
  return {
    hostname: short(textCleaner(provider)(row.hostname)) ?? '',
    lastHeartbeat: row.lastHeartbeat === null ? null : clampInstant(row.lastHeartbeat),
  };
}

/** The hostname as it is stored: the key that maps a task's worker to its row. */
export const storedHostname = (hostname: string, provider: Provider): string =>
  short(textCleaner(provider)(hostname)) ?? '';

// PostgreSQL text cannot hold NUL.
function textCleaner(provider: Provider): <T extends string | null>(value: T) => T {
  if (provider !== 'postgresql') return (value) => value;
  return <T extends string | null>(value: T): T => (value !== null && value.includes('\0') ? (value.replaceAll('\0', '') as T) : value);
}

function short<T extends string | null>(value: T): T {
  if (value === null || value.length <= MAX_SHORT_TEXT) return value;
  // varchar(255) counts characters (code points) on both servers; cutting
  // between code points also keeps a surrogate pair whole.
  const points = Array.from(value);
  return (points.length <= MAX_SHORT_TEXT ? value : points.slice(0, MAX_SHORT_TEXT).join('')) as T;
}

function clampInstant(date: Date): Date {
  const ms = date.getTime();
  if (Number.isNaN(ms)) return new Date(0);
  if (ms < MIN_INSTANT) return new Date(MIN_INSTANT);
  if (ms > MAX_INSTANT) return new Date(MAX_INSTANT);
  return date;
}

function instantOrNull(date: Date | null): Date | null {
  if (date === null) return null;
  const ms = date.getTime();
  return Number.isNaN(ms) || ms < MIN_INSTANT || ms > MAX_INSTANT ? null : date;
}
