/**
 * The precedence guard every store applies, as plain TypeScript. The SQL in
 * store-sql.ts is generated from the same definitions, and the integration
 * tests check both against each other on real databases. Pure.
 *
 * Rule: a ready state (SUCCESS, FAILURE, REVOKED) is never replaced by an
 * unready one — not even RETRY, so racing writers cannot move a finished
 * task backwards. Otherwise Celery's event rule: RETRY always replaces and
 * is always replaced; else the newer state wins when its precedence is at
 * least the current one's (custom states rank as Celery ranks them). A
 * hidden row (marked so by hand; the next cleanup deletes it) is replaced
 * by anything, as if it were already gone.
 */
import { ALL_STATES, precedence, READY_STATES, RETRY, STATES_BY_PRECEDENCE } from '../core/states.js';

/** Whether a write of `next` replaces a row whose state is `current`. */
export function replaces(next: string, current: string, currentHidden = false): boolean {
  if (currentHidden) return true;
  if (READY_STATES.has(current) && !READY_STATES.has(next)) return false;
  return next === RETRY || current === RETRY || precedence(next) >= precedence(current);
}

/** The known states with their precedence, for SQL CASE expressions. */
export const PRECEDENCE_TABLE: readonly { state: string; rank: number }[] = STATES_BY_PRECEDENCE.map((state) => ({
  state,
  rank: precedence(state),
}));

/** The precedence of every state Celery does not define (they rank together). */
export const CUSTOM_PRECEDENCE = precedence('\u0000custom');

// Every state a row can hold, as far as the guard can tell them apart.
const ROW_STATES = [...ALL_STATES, '\u0000custom'];

/** One row to upsert into celery_taskmeta. */
export interface TaskWrite {
  readonly taskId: string;
  // Guarded: taken from the write only when the guard lets it replace the row.
  readonly status: string;
  /** JSON text. */
  readonly result: string | null;
  readonly traceback: string | null;
  /** JSON text of `{children}`, Celery's extra meta. */
  readonly meta: string | null;
  readonly dateDone: Date;
  // Descriptive: a non-null value in the write always wins over the row's, even
  // when the guard keeps the row's state (a late STARTED still fills them in).
  readonly name: string | null;
  readonly args: string | null;
  readonly kwargs: string | null;
  readonly worker: string | null;
  readonly queue: string | null;
  readonly retries: number | null;
  readonly dateStarted: Date | null;
}

const pick = <T>(newer: T | null, older: T | null): T | null => (newer ?? older);

/** Whether every row state that `a` replaces is also replaced by `b`. */
const coveredBy = (a: string, b: string): boolean =>
  ROW_STATES.every((row) => !replaces(a, row) || replaces(b, row));

/**
 * Two writes of one task id as one: what the row holds after `older` then
 * `newer` are applied, whatever it held before; null when no single write
 * does that for every possible row. (RECEIVED ← RETRY ← PENDING ends in
 * PENDING, but PENDING alone would not replace RECEIVED: those two must go
 * out one after the other.) The common pairs — STARTED then SUCCESS, SUCCESS
 * then a late STARTED — merge.
 */
export function mergeWrites(older: TaskWrite, newer: TaskWrite): TaskWrite | null {
  const newerWins = replaces(newer.status, older.status);
  const exact = newerWins ? coveredBy(older.status, newer.status) : coveredBy(newer.status, older.status);
  if (!exact) return null;
  const winner = newerWins ? newer : older;
  return {
    taskId: older.taskId,
    status: winner.status,
    result: winner.result,
    traceback: winner.traceback,
    meta: winner.meta,
    dateDone: winner.dateDone,
    name: pick(newer.name, older.name),
    args: pick(newer.args, older.args),
    kwargs: pick(newer.kwargs, older.kwargs),
    worker: pick(newer.worker, older.worker),
    queue: pick(newer.queue, older.queue),
    retries: pick(newer.retries, older.retries),
    dateStarted: pick(newer.dateStarted, older.dateStarted),
  };
}

/** The state of a stored row, for {@link applyWrite}. */
export type StoredTask = Omit<TaskWrite, 'taskId'> & { readonly hidden: boolean };

/** What the SQL upsert leaves in a row (or creates when there is none): the mirror the tests compare with. */
export function applyWrite(row: StoredTask | null, write: TaskWrite): StoredTask {
  const { taskId: _taskId, ...fields } = write;
  if (row === null) return { ...fields, hidden: false };
  const winner = replaces(write.status, row.status, row.hidden) ? fields : row;
  return {
    status: winner.status,
    result: winner.result,
    traceback: winner.traceback,
    meta: winner.meta,
    dateDone: winner.dateDone,
    name: write.name ?? row.name,
    args: write.args ?? row.args,
    kwargs: write.kwargs ?? row.kwargs,
    worker: write.worker ?? row.worker,
    queue: write.queue ?? row.queue,
    retries: write.retries ?? row.retries,
    dateStarted: write.dateStarted ?? row.dateStarted,
    hidden: false,
  };
}
