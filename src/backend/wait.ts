/**
 * Waiting for a task to be ready by polling its meta. A wait that runs out
 * of time rejects with TaskTimeoutError; it never resolves a made-up result.
 */
import { PROPAGATE_STATES, READY_STATES } from '../core/states.js';
import { InvalidArgumentError, TaskFailedError, TaskTimeoutError } from './errors.js';
import { readExceptionInfo, type TaskMeta } from './meta.js';

export interface WaitOptions {
  /** Give up after this many ms with a TaskTimeoutError. Default: wait as long as it takes. */
  timeout?: number;
  /** Ms between polls. Default: the backend's pollInterval (500). */
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

export async function waitForReady(
  read: () => Promise<TaskMeta>,
  taskId: string,
  options: WaitOptions,
  defaultInterval: number,
): Promise<unknown> {
  const timeout = checkMs('timeout', options.timeout, 0);
  const interval = checkMs('interval', options.interval, 1) ?? defaultInterval;
  const { signal } = options;
  const deadline = timeout === undefined ? Infinity : performance.now() + timeout;
  for (;;) {
    signal?.throwIfAborted();
    const meta = await read();
    if (READY_STATES.has(meta.status)) return settle(meta);
    const remaining = deadline - performance.now();
    if (remaining <= 0) throw new TaskTimeoutError(taskId, timeout ?? 0, meta.status);
    await sleep(Math.min(interval, remaining), signal);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
