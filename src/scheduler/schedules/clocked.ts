import { ScheduleError } from './errors.js';
import { chainRuns, secondsUntil, type Schedule, type ScheduleState } from './schedule.js';

/** django-celery-beat's clocked schedule: one run at a given instant. */
export class ClockedSchedule implements Schedule {
  readonly kind = 'clocked';
  readonly clockedTime: Date;

  constructor(spec: { readonly clockedTime: Date }) {
    if (Number.isNaN(spec.clockedTime.getTime())) {
      throw new ScheduleError('clocked time is not a valid date', { field: 'clockedTime' });
    }
    this.clockedTime = spec.clockedTime;
  }

  /** Due once, from the clocked time on, until a run at or after that time is recorded. */
  isDue(lastRunAt: Date | null, now: Date): ScheduleState {
    if (this.nextRunAfter(lastRunAt) === null) return { due: false, nextCheckSeconds: Infinity };
    if (now >= this.clockedTime) return { due: true, nextCheckSeconds: Infinity };
    return { due: false, nextCheckSeconds: secondsUntil(this.clockedTime, now) };
  }

  nextRunAfter(lastRunAt: Date | null): Date | null {
    return lastRunAt === null || lastRunAt < this.clockedTime ? this.clockedTime : null;
  }

  nextRunsAfter(from: Date, count: number): Date[] {
    return chainRuns((after) => this.nextRunAfter(after), from, count);
  }

  describe(): string {
    return `once at ${this.clockedTime.toISOString()}`;
  }

  toCron(): null {
    return null;
  }
}
