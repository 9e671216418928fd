/**
 * Who waits for which task, and waking them: from this process's own
 * stores at once (every database), and from the database's notifications
 * on PostgreSQL. A waiter subscribes before its first read, so a store that
 * lands between its read and its sleep still wakes it.
 */
import { RESULT_CHANNEL } from '../db/pg-listener.js';

/** The first poll after a read, when nothing pushes: a store is often moments away. */
export const MIN_POLL_MS = 5;
/**
 * A wait for a wake alone still runs a timer (the longest Node has, about
 * 24.8 days; it ends in one more read): the listening connection does not
 * keep the process alive, a waiting waiter does.
 */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export interface Subscription {
  /**
   * Resolves once the id is woken or after `ms` (Infinity: only a wake),
   * whichever is first; rejects with the signal's reason on abort. Returns
   * whether a wake (rather than the timer) ended it.
   */
  next(ms: number, signal: AbortSignal | undefined): Promise<boolean>;
  /** Whether the database pushes notifications now (no need to poll). */
  readonly pushed: boolean;
  close(): void;
}

interface Waiter {
  woken: boolean;
  resume: (() => void) | undefined;
}

export class Wakeups {
  readonly #waiters = new Map<string, Set<Waiter>>();
  #pushed = false;

  get pushed(): boolean {
    return this.#pushed;
  }

  /** Whether notifications flow; either change makes every waiter read again (one may have been missed). */
  setPushed(pushed: boolean): void {
    this.#pushed = pushed;
    this.wakeAll();
  }

  /** Reads one notification of the result channel. */
  onNotify(channel: string, payload: string): void {
    if (channel !== RESULT_CHANNEL) return;
    if (payload === '*') {
      this.wakeAll();
      return;
    }
    let ids: unknown;
    try {
      ids = JSON.parse(payload);
    } catch {
      return; // not ours to read (the listener's own probe, or another sender)
    }
    if (Array.isArray(ids)) this.wake(ids.filter((id): id is string => typeof id === 'string'));
  }

  wake(ids: Iterable<string>): void {
    for (const id of ids) {
      const waiters = this.#waiters.get(id);
      if (waiters !== undefined) for (const waiter of waiters) resume(waiter);
    }
  }

  wakeAll(): void {
    for (const waiters of this.#waiters.values()) for (const waiter of waiters) resume(waiter);
  }

  subscribe(id: string): Subscription {
    const waiter: Waiter = { woken: false, resume: undefined };
    let set = this.#waiters.get(id);
    if (set === undefined) {
      set = new Set();
      this.#waiters.set(id, set);
    }
    set.add(waiter);
    const isPushed = (): boolean => this.#pushed;
    return {
      get pushed() {
        return isPushed();
      },
      next: (ms, signal) => sleepOrWake(waiter, ms, signal),
      close: () => {
        const waiters = this.#waiters.get(id);
        waiters?.delete(waiter);
        if (waiters?.size === 0) this.#waiters.delete(id);
      },
    };
  }
}

function resume(waiter: Waiter): void {
  waiter.woken = true;
  waiter.resume?.();
}

function sleepOrWake(waiter: Waiter, ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    if (waiter.woken) {
      waiter.woken = false;
      resolve(true);
      return;
    }
    const finish = (woken: boolean): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      waiter.resume = undefined;
      waiter.woken = false;
      resolve(woken);
    };
    const onAbort = (): void => {
      clearTimeout(timer);
      waiter.resume = undefined;
      reject(signal?.reason);
    };
    const timer = setTimeout(() => finish(false), Math.min(ms, LONGEST_TIMER_MS));
    waiter.resume = () => finish(true);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
