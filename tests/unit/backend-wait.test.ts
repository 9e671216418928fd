import { describe, expect, it, vi } from 'vitest';
import { TaskFailedError, TaskTimeoutError } from '../../src/backend/errors.js';
import { pendingMeta, revokedException, type TaskMeta } from '../../src/backend/meta.js';
import { waitForReady } from '../../src/backend/wait.js';

const reader = (...metas: TaskMeta[]) => {
  let reads = 0;
  return { read: async () => metas[Math.min(reads++, metas.length - 1)]!, reads: () => reads };
};
const meta = (status: string, result: unknown = null): TaskMeta => ({ ...pendingMeta('t'), status, result });

describe('waitForReady', () => {
  it('polls until SUCCESS and resolves the result', async () => {
    const r = reader(meta('PENDING'), meta('STARTED'), meta('SUCCESS', 42));
    await expect(waitForReady(r.read, 't', { interval: 1 }, 500)).resolves.toBe(42);
    expect(r.reads()).toBe(3);
  });

  it('rejects with the stored exception on FAILURE and REVOKED', async () => {
    const failed = meta('FAILURE', { exc_type: 'ValueError', exc_message: ['bad', 3], exc_module: 'builtins' });
    const error = await waitForReady(reader(failed).read, 't', {}, 500).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error).toMatchObject({ code: 'E_TASK_FAILED', excType: 'ValueError', excMessage: ['bad', 3], excModule: 'builtins' });
    expect((error as Error).message).toBe('task t FAILURE: ValueError: bad, 3');
    await expect(waitForReady(reader(meta('REVOKED', revokedException('terminated'))).read, 't', {}, 500)).rejects.toMatchObject({
      state: 'REVOKED',
      excType: 'TaskRevokedError',
    });
  });

  it('rejects with TaskTimeoutError after the timeout, having read once more at the deadline', async () => {
    // A moved clock: real timers may fire a hair early or late on a loaded machine.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const r = reader(meta('PENDING'));
      const outcome = waitForReady(r.read, 't', { timeout: 60, interval: 25 }, 500).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(59);
      expect(r.reads()).toBe(3); // at 0, 25 and 50 ms
      await vi.advanceTimersByTimeAsync(1);
      const error = await outcome;
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect(error).toMatchObject({ code: 'E_TASK_TIMEOUT', timeout: 60, lastState: 'PENDING' });
      expect(r.reads()).toBe(4); // and once more at the deadline
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops at once when the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    const waiting = waitForReady(reader(meta('PENDING')).read, 't', { interval: 10_000, signal: controller.signal }, 500);
    setTimeout(() => controller.abort(new Error('shutting down')), 10);
    await expect(waiting).rejects.toThrow('shutting down');
    await expect(waitForReady(reader(meta('SUCCESS', 1)).read, 't', { signal: AbortSignal.abort() }, 500)).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('refuses a negative timeout or a zero interval', async () => {
    await expect(waitForReady(reader(meta('SUCCESS')).read, 't', { timeout: -1 }, 500)).rejects.toThrow(/timeout must be/);
    await expect(waitForReady(reader(meta('SUCCESS')).read, 't', { interval: 0 }, 500)).rejects.toThrow(/interval must be/);
  });
});
