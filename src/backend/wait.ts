/**
 * Waiting for a task to be ready: a read, then sleep until the task is
 * woken (a store in this process, a notification from PostgreSQL) and read
 * again. While nothing pushes, the sleep is also a poll that starts a few
 * ms after the read and doubles up to the interval. A wait that runs out
 * of time rejects with TaskTimeoutError; it never resolves a made-up result.
 */
import { PROPAGATE_STATES, READY_STATES } from '../core/states.js';
import { InvalidArgumentError, TaskFailedError, TaskTimeoutError } from './errors.js';
import { readExceptionInfo, type TaskMeta } from './meta.js';
import { MIN_POLL_MS, type Wakeups } from './wakeups.js';

export interface WaitOptions {
  /** Give up after this many ms with a TaskTimeoutError. Default: wait as long as it takes. */
  timeout?: number;
  /** Longest ms between polls while the database pushes no notifications. Default: the backend's pollInterval (500). */
  interval?: number;
  /** Stops the wait; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

function checkMs(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidArgumentError(`${name} must be a number of milliseconds of at least ${min}, got ${String(value)}`);
  }
  return value;
}

/** Resolves with the result of a SUCCESS; rejects with TaskFailedError for FAILURE or REVOKED. */
export function settle(meta: TaskMeta): unknown {
  if (!PROPAGATE_STATES.has(meta.status)) return meta.result;
  throw new TaskFailedError(meta.task_id, meta.status, readExceptionInfo(meta.result), meta.traceback);
}

/** The task's meta once it is ready; rejects with TaskTimeoutError or the signal's reason. */
export async function waitForReadyMeta(
  read: () => Promise<TaskMeta>,
  taskId: string,
  options: WaitOptions,
  defaultInterval: number,
  wakeups: Wakeups,
): Promise<TaskMeta> {
  const timeout = checkMs('timeout', options.timeout, 0);
  const interval = checkMs('interval', options.interval, 1) ?? defaultInterval;
  const { signal } = options;
  const deadline = timeout === undefined ? Infinity : performance.now() + timeout;
  const subscription = wakeups.subscribe(taskId);
  try {
    let poll = Math.min(MIN_POLL_MS, interval);
    for (;;) {
      signal?.throwIfAborted();
      const meta = await read();
      if (READY_STATES.has(meta.status)) return meta;
      const remaining = deadline - performance.now();
      if (remaining <= 0) throw new TaskTimeoutError(taskId, timeout ?? 0, meta.status);
      const woken = await subscription.next(Math.min(subscription.pushed ? Infinity : poll, remaining), signal);
      // A store of this task (a STARTED, say) makes the next one likelier soon: poll fast again.
      poll = woken ? Math.min(MIN_POLL_MS, interval) : Math.min(poll * 2, interval);
    }
  } finally {
    subscription.close();
  }
}

export async function waitForReady(
  read: () => Promise<TaskMeta>,
  taskId: string,
  options: WaitOptions,
  defaultInterval: number,
  wakeups: Wakeups,
): Promise<unknown> {
  return settle(await waitForReadyMeta(read, taskId, options, defaultInterval, wakeups));
}
