/**
 * One task as the event stream describes it, and Celery's rule for folding
 * an event into it (celery.events.state.Task.event, 5.2.6).
 */
import { FAILURE, PENDING, RECEIVED, REJECTED, RETRY, REVOKED, STARTED, SUCCESS, supersedes } from '../../core/states.js';
import type { TaskEvent, TaskReceivedEvent, TaskSentEvent } from '../events/types.js';

export class TaskState {
  state: string = PENDING;
  /**
   * Epoch seconds (the sender's clock, not shifted by utcoffset) of the
   * event that set `state`. Celery's `Task.timestamp` also takes the
   * timestamp of an older event that did not change the state; a row's
   * `tstamp` should say when the state it shows began.
   */
  stateTimestamp = 0;
  name: string | null = null;
  /** Python repr strings, as the events carry them. */
  args: string | null = null;
  kwargs: string | null = null;
  /** ISO 8601 as sent: the client's offset, or naive meaning UTC. */
  eta: string | null = null;
  expires: string | null = null;
  retries: number | null = null;
  /** Python repr of the return value. */
  result: string | null = null;
  /** Python repr of the exception (task-failed, task-retried). */
  exception: string | null = null;
  traceback: string | null = null;
  /** Seconds. */
  runtime: number | null = null;
  /** Hostname of the worker that sent the latest worker-side event. */
  worker: string | null = null;
  /** Hostname of the latest task-sent publisher. */
  client: string | null = null;
  /** The owning ClusterState's event count when this task last changed; orders snapshots. */
  changedAt = 0;
  /** A row of it was written: dropping a later change would leave that older row behind. */
  written = false;

  constructor(readonly id: string) {}
}

const STATE_OF_EVENT: { readonly [T in TaskEvent['type']]: string } = {
  'task-sent': PENDING,
  'task-received': RECEIVED,
  'task-started': STARTED,
  'task-succeeded': SUCCESS,
  'task-failed': FAILURE,
  'task-retried': RETRY,
  'task-revoked': REVOKED,
  'task-rejected': REJECTED,
};

/**
 * Folds `event` into `task` as Celery does. The state moves only if the
 * event's state supersedes the current one (RETRY always does and always
 * can be replaced); an older event still merges its fields. For an older
 * task-received Celery merges only its merge rule (name, args, kwargs,
 * retries, eta, expires, parent/root ids) and for other older events the
 * whole event; among the fields kept here both mean every field the event
 * carries, so one code path serves both.
 */
export function mergeTaskEvent(task: TaskState, event: TaskEvent): void {
  const next = STATE_OF_EVENT[event.type];
  if (supersedes(next, task.state)) {
    task.state = next;
    task.stateTimestamp = event.timestamp;
  }
  switch (event.type) {
    case 'task-sent':
      task.client = event.hostname;
      mergeRequest(task, event);
      return;
    case 'task-received':
      mergeRequest(task, event);
      break;
    case 'task-succeeded':
      if (event.result !== undefined) task.result = event.result;
      if (event.runtime !== undefined) task.runtime = event.runtime;
      break;
    case 'task-failed':
    case 'task-retried':
      if (event.exception !== undefined) task.exception = event.exception;
      if (event.traceback !== undefined) task.traceback = event.traceback;
      break;
    default:
      break;
  }
  task.worker = event.hostname;
}

// Python's dict.update: a field that is present overwrites, even with None.
function mergeRequest(task: TaskState, event: TaskSentEvent | TaskReceivedEvent): void {
  if (event.name !== undefined) task.name = event.name;
  if (event.args !== undefined) task.args = event.args;
  if (event.kwargs !== undefined) task.kwargs = event.kwargs;
  if (event.retries !== undefined) task.retries = event.retries;
  if (event.eta !== undefined) task.eta = event.eta;
  if (event.expires !== undefined) task.expires = event.expires;
}
