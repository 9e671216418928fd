import { ScheduleError } from './errors.js';

/** Celery's `schedstate`: whether the entry is due now, and how long beat may wait before asking again. */
export interface ScheduleState {
  readonly due: boolean;
  /** Seconds until the next check; `Infinity` when the schedule will never be due again. */
  readonly nextCheckSeconds: number;
}

/**
 * What beat needs from any kind of schedule. Pure: every answer depends only
 * on the arguments, never on the system clock.
 */
export interface Schedule {
  readonly kind: 'interval' | 'crontab' | 'clocked' | 'solar';
  /**
   * Celery's `is_due(last_run_at)`, with the clock passed in. `lastRunAt`
   * null means the entry has never run, and it is due at once (as
   * django-celery-beat treats a never-run entry with a start_time). Celery's
   * own beat instead measures a never-run entry from when it loaded it: pass
   * that instant, or the row's date_changed, to get that behaviour.
   */
  isDue(lastRunAt: Date | null, now: Date): ScheduleState;
  /** When the entry is next due if it last ran at `lastRunAt`; null if never again. */
  nextRunAfter(lastRunAt: Date): Date | null;
  /** Up to `count` successive runs after `from` (fewer if the schedule ends). */
  nextRunsAfter(from: Date, count: number): Date[];
  /** The schedule in words, for the monitor and the CLI. */
  describe(): string;
  /** The schedule as a 5-field cron expression, where it has one. */
  toCron(): string | null;
}

/** Room enough for a CLI listing or a monitor page; more is a mistake, not a need. */
export const MAX_RUNS_LISTED = 10_000;

/** Chains `next` from `from`: the shared body of every `nextRunsAfter`. */
export function chainRuns(next: (after: Date) => Date | null, from: Date, count: number): Date[] {
  if (!Number.isInteger(count) || count < 0 || count > MAX_RUNS_LISTED) {
    throw new ScheduleError(`run count ${count}: must be an integer from 0 to ${MAX_RUNS_LISTED}`);
  }
  const runs: Date[] = [];
  let after = from;
  while (runs.length < count) {
    const run = next(after);
    if (run === null) break;
    runs.push(run);
    after = run;
  }
  return runs;
}

/** Seconds from `now` until `at`, never negative. */
export function secondsUntil(at: Date, now: Date): number {
  return Math.max(at.getTime() - now.getTime(), 0) / 1000;
}
