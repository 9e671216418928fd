import { secondsUntil, type Schedule, type ScheduleState } from './schedule.js';

/** The periodic task row's fields that gate its schedule. */
export interface EntryTiming {
  /** Null when the entry has never run (see Schedule.isDue). */
  readonly lastRunAt: Date | null;
  readonly startTime: Date | null;
  readonly oneOff: boolean;
  readonly totalRunCount: number;
}

export interface EntryState extends ScheduleState {
  /**
   * The entry will never be due again; beat may disable it, as
   * django-celery-beat disables a one-off task after its run.
   */
  readonly finished: boolean;
}

/**
 * django-celery-beat's ModelEntry.is_due, without its writes: a one-off
 * entry that has run is finished, nothing is due before start_time, and
 * otherwise the schedule decides.
 */
export function entryIsDue(schedule: Schedule, entry: EntryTiming, now: Date): EntryState {
  if (entry.oneOff && entry.totalRunCount > 0) return { due: false, nextCheckSeconds: Infinity, finished: true };
  if (entry.startTime !== null && now < entry.startTime) {
    return { due: false, nextCheckSeconds: secondsUntil(entry.startTime, now), finished: false };
  }
  const { due, nextCheckSeconds } = schedule.isDue(entry.lastRunAt, now);
  return { due, nextCheckSeconds, finished: !due && nextCheckSeconds === Infinity };
}
