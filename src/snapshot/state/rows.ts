/**
 * What a snapshot writes: djcelery's `djcelery_taskstate` and
 * `djcelery_workerstate` columns (field names as the Prisma models spell
 * them), built from the in-memory state the way djcelery's Camera does.
 */
import { DateTime } from 'luxon';
import type { TaskState } from './task.js';
import { lastHeartbeat, type WorkerState } from './worker.js';

export interface TaskRow {
  taskId: string;
  state: string;
  name: string | null;
  /** When the current state began (the event that set it). */
  tstamp: Date;
  /** Python reprs. */
  args: string | null;
  kwargs: string | null;
  eta: Date | null;
  expires: Date | null;
  /** The result repr, or for failures the exception repr, as djcelery stores them. */
  result: string | null;
  traceback: string | null;
  runtime: number | null;
  retries: number;
  /** Hostname; the store maps it to the worker row. */
  worker: string | null;
}

export interface WorkerRow {
  hostname: string;
  /** The latest local arrival of one of its events; null after worker-offline. */
  lastHeartbeat: Date | null;
}

export function toTaskRow(task: TaskState): TaskRow {
  return {
    taskId: task.id,
    state: task.state,
    name: task.name,
    tstamp: new Date(task.stateTimestamp * 1000),
    args: task.args,
    kwargs: task.kwargs,
    eta: parseInstant(task.eta),
    expires: parseInstant(task.expires),
    // djcelery stores `task.result or task.exception`; Python's `or` passes over '' too.
    result: task.result !== null && task.result !== '' ? task.result : task.exception,
    traceback: task.traceback,
    runtime: task.runtime,
    retries: task.retries ?? 0,
    worker: task.worker,
  };
}

export function toWorkerRow(worker: WorkerState): WorkerRow {
  const last = lastHeartbeat(worker);
  return { hostname: worker.hostname, lastHeartbeat: last === null ? null : new Date(last) };
}

/**
 * Celery's eta/expires: ISO 8601 with the client's offset, or naive, which
 * the 5.2.6 worker reads as UTC. Unparseable → null rather than a bad row.
 */
function parseInstant(iso: string | null): Date | null {
  if (iso === null) return null;
  const parsed = DateTime.fromISO(iso, { zone: 'utc' });
  return parsed.isValid ? parsed.toJSDate() : null;
}
