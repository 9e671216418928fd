/**
 * Waiting out a database that does not answer. After a failure, beat, the
 * camera and the result backend probe the database: if it answers, the
 * failure was something else and keeps its own handling (a back-off, an
 * error); if not, they probe it every PROBE_INTERVAL_MS and go on the moment
 * it answers, however long it was away (a doubling back-off would leave them
 * asleep for up to its longest wait after the database returned).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from './open.js';
import { isTransient } from './transient.js';

/** Pause between probes of a database that does not answer: it is back in use within this of its return. */
export const PROBE_INTERVAL_MS = 500;

/**
 * The probe answers only when a write could go through. A server answers
 * SELECT 1. On SQLite a held write lock is the outage (reads still work), so
 * the probe is a write that changes nothing; it waits out the busy timeout
 * like any write, and returns as soon as the lock is given up.
 */
function probe(db: Database): Promise<boolean> {
  const sql = db.provider === 'sqlite' ? `DELETE FROM ${db.dialect.ident('celery_taskmeta')} WHERE 1 = 0` : 'SELECT 1';
  return db.sql.execute(sql).then(
    () => true,
    // SELECT 1 fails only for want of a server; the SQLite write also for a
    // missing table or a read-only file, which no wait cures.
    (error: unknown) => db.provider === 'sqlite' && !isTransient(error),
  );
}

export interface WaitOptions {
  /** Stops waiting ('gave-up'). */
  signal?: AbortSignal;
  /** Epoch ms after which to stop waiting ('gave-up'). */
  deadline?: number;
  /** Called once, as soon as the database is found not answering. */
  onDown?: () => void;
}

/**
 * 'answering' when the database answers the first probe (within
 * PROBE_INTERVAL_MS); otherwise, after `onDown`, probes it every
 * PROBE_INTERVAL_MS until it answers ('returned'), or until `signal` aborts
 * or `deadline` passes ('gave-up'). One probe at a time: one a pool holds
 * until it can connect is waited for, never doubled, and answers the moment
 * the pool does.
 */
export async function waitWhileDown(db: Database, options: WaitOptions = {}): Promise<'answering' | 'returned' | 'gave-up'> {
  const { deadline = Infinity } = options;
  const limits = [options.signal, Number.isFinite(deadline) ? AbortSignal.timeout(Math.max(0, deadline - Date.now())) : undefined];
  const stop = AbortSignal.any(limits.filter((s): s is AbortSignal => s !== undefined));
  let down = false;
  for (;;) {
    if (stop.aborted) return 'gave-up';
    const started = Date.now();
    const pending = probe(db);
    let answer = await first(pending, stop, down ? undefined : PROBE_INTERVAL_MS);
    if (answer === 'late') {
      down = true;
      options.onDown?.();
      answer = await first(pending, stop);
    }
    if (answer === true) return down ? 'returned' : 'answering';
    if (answer !== false) return 'gave-up';
    if (!down) {
      down = true;
      options.onDown?.();
    }
    try {
      await sleep(Math.max(0, started + PROBE_INTERVAL_MS - Date.now()), undefined, { signal: stop });
    } catch {
      return 'gave-up';
    }
  }
}

/** The probe's answer, or 'late' after `ms`, or 'stopped' when `stop` aborts; whichever comes first. */
function first(pending: Promise<boolean>, stop: AbortSignal, ms?: number): Promise<boolean | 'late' | 'stopped'> {
  if (stop.aborted) return Promise.resolve('stopped');
  return new Promise((resolve) => {
    const timer = ms === undefined ? undefined : setTimeout(() => done('late'), ms);
    const onStop = (): void => done('stopped');
    stop.addEventListener('abort', onStop, { once: true });
    function done(value: boolean | 'late' | 'stopped'): void {
      clearTimeout(timer);
      stop.removeEventListener('abort', onStop);
      resolve(value);
    }
    void pending.then(done);
  });
}
