/**
 * The precedence guard every store applies, as plain TypeScript. The SQL in
 * store-sql.ts is generated from the same rank table, and the integration
 * tests check both against each other on real databases. Pure.
 *
 * Rule: a ready state (SUCCESS, FAILURE, REVOKED) is never replaced by an
 * unready one — not even RETRY, so racing writers cannot move a finished
 * task backwards. Otherwise Celery's event rule: RETRY always replaces and
 * is always replaced; else the newer state wins when its precedence is at
 * least the current one's. A hidden row (expired, about to be deleted) is
 * replaced by anything, as if it were already gone.
 *
 * The rule is one comparison of two ranks, so that SQL can evaluate it per
 * row: `incomingRank(next) >= currentRank(current)`. Ready states get +100
 * on both sides (only a ready state reaches a ready one); RETRY counts 50 as
 * the incoming state (above every unready rank, below every ready one) and 0
 * as the current state (below everything).
 */
import { precedence, READY_STATES, RETRY, STATES_BY_PRECEDENCE } from '../core/states.js';

const READY_BONUS = 100;
const RETRY_INCOMING = 50;
const RETRY_CURRENT = 0;

export function incomingRank(state: string): number {
  if (state === RETRY) return RETRY_INCOMING;
  return precedence(state) + (READY_STATES.has(state) ? READY_BONUS : 0);
}

export function currentRank(state: string): number {
  if (state === RETRY) return RETRY_CURRENT;
  return precedence(state) + (READY_STATES.has(state) ? READY_BONUS : 0);
}

/** The rank any state Celery does not define gets (Celery ranks them together). */
export const CUSTOM_RANK = incomingRank('\u0000custom');

/** The known states with both ranks, for SQL CASE expressions. */
export const RANK_TABLE: readonly { state: string; incoming: number; current: number }[] = STATES_BY_PRECEDENCE.map(
  (state) => ({ state, incoming: incomingRank(state), current: currentRank(state) }),
);

/** Whether a write of `next` replaces a row whose state is `current`. */
export const replaces = (next: string, current: string, currentHidden = false): boolean =>
  currentHidden || incomingRank(next) >= currentRank(current);

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

/**
 * Two writes of one task id as one: what the row holds after `older` then
 * `newer` are applied to it, whatever it held before. (Collapsing is exact
 * because incomingRank(s) >= currentRank(s) for every state, so a write the
 * row refuses is also refused after any write the row would accept.)
 */
export function mergeWrites(older: TaskWrite, newer: TaskWrite): TaskWrite {
  const winner = replaces(newer.status, older.status) ? newer : older;
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
  const merged = mergeWrites({ taskId: write.taskId, ...row }, write);
  const { taskId: _id, ...result } = row.hidden ? { ...merged, ...guarded(write) } : merged;
  return { ...result, hidden: false };
}

const guarded = (write: TaskWrite) => ({
  status: write.status,
  result: write.result,
  traceback: write.traceback,
  meta: write.meta,
  dateDone: write.dateDone,
});
