/**
 * Celery's task states and their precedence (celery/states.py), shared by
 * the result backend and the camera. Pure.
 */
export const PENDING = 'PENDING';
export const RECEIVED = 'RECEIVED';
export const STARTED = 'STARTED';
export const SUCCESS = 'SUCCESS';
export const FAILURE = 'FAILURE';
export const REVOKED = 'REVOKED';
export const REJECTED = 'REJECTED';
export const RETRY = 'RETRY';

/** The states Celery defines; others are custom states (allowed, ranked between FAILURE and REVOKED). */
export const ALL_STATES = [PENDING, RECEIVED, STARTED, SUCCESS, FAILURE, REVOKED, REJECTED, RETRY] as const;
export type KnownState = (typeof ALL_STATES)[number];

export const READY_STATES: ReadonlySet<string> = new Set([SUCCESS, FAILURE, REVOKED]);
export const UNREADY_STATES: ReadonlySet<string> = new Set([PENDING, RECEIVED, STARTED, REJECTED, RETRY]);
export const EXCEPTION_STATES: ReadonlySet<string> = new Set([RETRY, FAILURE, REVOKED]);
export const PROPAGATE_STATES: ReadonlySet<string> = new Set([FAILURE, REVOKED]);

// Highest first; `null` stands for any custom state, as in Celery.
const PRECEDENCE: readonly (string | null)[] = [SUCCESS, FAILURE, null, REVOKED, STARTED, RECEIVED, REJECTED, RETRY, PENDING];

/** Rank of a state: higher means later in a task's life. */
export function precedence(state: string): number {
  const i = PRECEDENCE.indexOf(state);
  return PRECEDENCE.length - (i === -1 ? PRECEDENCE.indexOf(null) : i);
}

/** The known states in ascending precedence (PENDING first), for SQL CASE expressions. */
export const STATES_BY_PRECEDENCE: readonly KnownState[] = [...ALL_STATES].sort((a, b) => precedence(a) - precedence(b));

/**
 * Celery's merge rule (events.state.Task.event): a state that logically
 * happened before the current one does not replace it, except that RETRY
 * always replaces and is always replaced.
 */
export function supersedes(next: string, current: string): boolean {
  if (next === RETRY || current === RETRY) return true;
  return precedence(next) >= precedence(current);
}
