import { MAX_DURATION_SECONDS, parseDuration } from './duration.js';
import { ScheduleError } from './errors.js';
import { chainRuns, type Schedule, type ScheduleState } from './schedule.js';

/** django-celery's PERIOD_CHOICES, largest first. */
export const INTERVAL_PERIODS = ['days', 'hours', 'minutes', 'seconds', 'microseconds'] as const;
export type IntervalPeriod = (typeof INTERVAL_PERIODS)[number];

// Microseconds keep every period an exact integer, so intervalFromSeconds can test divisibility.
const PERIOD_MICROS: Readonly<Record<IntervalPeriod, number>> = {
  days: 86_400_000_000,
  hours: 3_600_000_000,
  minutes: 60_000_000,
  seconds: 1_000_000,
  microseconds: 1,
};

/** An interval row's data: `every` times `period`. */
export interface IntervalSpec {
  readonly every: number;
  readonly period: string;
}

function isPeriod(period: string): period is IntervalPeriod {
  return (INTERVAL_PERIODS as readonly string[]).includes(period);
}

/** Celery's `schedule(run_every)`: due `every × period` after the last run. */
export class IntervalSchedule implements Schedule {
  readonly kind = 'interval';
  readonly every: number;
  readonly period: IntervalPeriod;
  /** `run_every` in seconds (fractional for microseconds). */
  readonly seconds: number;

  constructor(spec: IntervalSpec) {
    if (!isPeriod(spec.period)) {
      throw new ScheduleError(`interval period "${spec.period}": must be one of ${INTERVAL_PERIODS.join(', ')}`, {
        field: 'period',
      });
    }
    if (!Number.isSafeInteger(spec.every) || spec.every < 1) {
      throw new ScheduleError(`interval every ${spec.every}: must be a whole number of at least 1`, { field: 'every' });
    }
    const seconds = (spec.every * PERIOD_MICROS[spec.period]) / 1e6;
    if (seconds > MAX_DURATION_SECONDS) {
      throw new ScheduleError(`interval every ${spec.every} ${spec.period}: must be at most 100 years`, {
        field: 'every',
      });
    }
    this.every = spec.every;
    this.period = spec.period;
    this.seconds = seconds;
  }

  /** Celery: `remaining = last_run_at + run_every - now`; due when that is <= 0, then check again in run_every. */
  isDue(lastRunAt: Date | null, now: Date): ScheduleState {
    if (lastRunAt === null) return { due: true, nextCheckSeconds: this.seconds };
    const remaining = (lastRunAt.getTime() + this.seconds * 1000 - now.getTime()) / 1000;
    return remaining <= 0 ? { due: true, nextCheckSeconds: this.seconds } : { due: false, nextCheckSeconds: remaining };
  }

  nextRunAfter(lastRunAt: Date): Date {
    // Rounded up: a Date holds whole milliseconds, and the run must not look due early.
    return new Date(Math.ceil(lastRunAt.getTime() + this.seconds * 1000));
  }

  nextRunsAfter(from: Date, count: number): Date[] {
    return chainRuns((after) => this.nextRunAfter(after), from, count);
  }

  describe(): string {
    const unit = this.period.slice(0, -1);
    return this.every === 1 ? `every ${unit}` : `every ${this.every} ${this.period}`;
  }

  toCron(): null {
    // An interval counts from the last run, which no cron expression can say.
    return null;
  }
}

/**
 * The interval for a duration (`"5m"`, `90`, see parseDuration), in the
 * largest period that states it exactly (5m → 5 minutes, 90 → 90 seconds,
 * 500ms → 500000 microseconds), so imported static schedules read naturally
 * in the table.
 */
export function intervalFromDuration(duration: string | number): IntervalSchedule {
  const micros = Math.round(parseDuration(duration) * 1e6);
  const period = INTERVAL_PERIODS.find((p) => micros % PERIOD_MICROS[p] === 0) ?? 'microseconds';
  return new IntervalSchedule({ every: micros / PERIOD_MICROS[period], period });
}
