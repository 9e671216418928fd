import { describe, expect, it, vi } from 'vitest';
import { TaskFailedError, TaskTimeoutError } from '../../src/backend/errors.js';
import { pendingMeta, revokedException, type TaskMeta } from '../../src/backend/meta.js';
import { waitForReady } from '../../src/backend/wait.js';
import { Wakeups } from '../../src/backend/wakeups.js';

const reader = (...metas: TaskMeta[]) => {
  let reads = 0;
  return { read: async () => metas[Math.min(reads++, metas.length - 1)]!, reads: () => reads };
};
const meta = (status: string, result: unknown = null): TaskMeta => ({ ...pendingMeta('t'), status, result });

describe('waitForReady', () => {
  it('polls until SUCCESS and resolves the result', async () => {
    const r = reader(meta('PENDING'), meta('STARTED'), meta('SUCCESS', 42));
    await expect(waitForReady(r.read, 't', { interval: 1 }, 500, new Wakeups())).resolves.toBe(42);
    expect(r.reads()).toBe(3);
  });

  it('rejects with the stored exception on FAILURE and REVOKED', async () => {
    const failed = meta('FAILURE', { exc_type: 'ValueError', exc_message: ['bad', 3], exc_module: 'builtins' });
    const error = await waitForReady(reader(failed).read, 't', {}, 500, new Wakeups()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error).toMatchObject({ code: 'E_TASK_FAILED', excType: 'ValueError', excMessage: ['bad', 3], excModule: 'builtins' });
    expect((error as Error).message).toBe('task t FAILURE: ValueError: bad, 3');
    await expect(waitForReady(reader(meta('REVOKED', revokedException('terminated'))).read, 't', {}, 500, new Wakeups())).rejects.toMatchObject({
      state: 'REVOKED',
      excType: 'TaskRevokedError',
    });
  });

  it('rejects with TaskTimeoutError after the timeout, having read once more at the deadline', async () => {
    // A moved clock: real timers may fire a hair early or late on a loaded machine.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const r = reader(meta('PENDING'));
      const outcome = waitForReady(r.read, 't', { timeout: 60, interval: 25 }, 500, new Wakeups()).catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(59);
      expect(r.reads()).toBe(4); // at 0, 5, 15 and 35 ms: the delay doubles from 5 ms up to the interval
      await vi.advanceTimersByTimeAsync(1);
      const error = await outcome;
      expect(error).toBeInstanceOf(TaskTimeoutError);
      expect(error).toMatchObject({ code: 'E_TASK_TIMEOUT', timeout: 60, lastState: 'PENDING' });
      expect(r.reads()).toBe(5); // and once more at the deadline
    } finally {
      vi.useRealTimers();
    }
  });

  it('reads again at once when the task is woken, and only then while notifications are pushed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const wakeups = new Wakeups();
      wakeups.setPushed(true);
      const r = reader(meta('PENDING'), meta('PENDING'), meta('SUCCESS', 7));
      const outcome = waitForReady(r.read, 't', { interval: 50 }, 500, wakeups);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(r.reads()).toBe(1); // no polling while the database pushes
      wakeups.wake(['other']);
      await vi.advanceTimersByTimeAsync(0);
      expect(r.reads()).toBe(1);
      wakeups.onNotify('prisma_celery_result', '["t"]');
      await vi.advanceTimersByTimeAsync(0);
      expect(r.reads()).toBe(2);
      wakeups.setPushed(false); // a lost connection: everyone reads again, then polls
      await expect(outcome).resolves.toBe(7);
      expect(r.reads()).toBe(3);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a wake that lands during a read is not lost', async () => {
    const wakeups = new Wakeups();
    wakeups.setPushed(true);
    let reads = 0;
    const read = async (): Promise<TaskMeta> => {
      reads++;
      if (reads === 1) wakeups.onNotify('prisma_celery_result', '*'); // the store commits while the read is on its way
      return reads === 1 ? meta('PENDING') : meta('SUCCESS', 'late');
    };
    await expect(waitForReady(read, 't', {}, 500, wakeups)).resolves.toBe('late');
  });

  it('stops at once when the signal aborts, with its reason', async () => {
    const controller = new AbortController();
    const waiting = waitForReady(reader(meta('PENDING')).read, 't', { interval: 10_000, signal: controller.signal }, 500, new Wakeups());
    setTimeout(() => controller.abort(new Error('shutting down')), 10);
    await expect(waiting).rejects.toThrow('shutting down');
    await expect(waitForReady(reader(meta('SUCCESS', 1)).read, 't', { signal: AbortSignal.abort() }, 500, new Wakeups())).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('refuses a negative timeout or a zero interval', async () => {
    await expect(waitForReady(reader(meta('SUCCESS')).read, 't', { timeout: -1 }, 500, new Wakeups())).rejects.toThrow(/timeout must be/);
    await expect(waitForReady(reader(meta('SUCCESS')).read, 't', { interval: 0 }, 500, new Wakeups())).rejects.toThrow(/interval must be/);
  });
});
