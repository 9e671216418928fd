import { ClockedSchedule } from './clocked.js';
import { CrontabSchedule, type CrontabSpec } from './crontab.js';
import { ScheduleError } from './errors.js';
import { IntervalSchedule, type IntervalSpec } from './interval.js';
import { SolarSchedule, type SolarSpec } from './solar.js';

export type AnySchedule = IntervalSchedule | CrontabSchedule | ClockedSchedule | SolarSchedule;

/** A periodic task's schedule relations as plain data; a Prisma row with them included fits as it is. */
export interface ScheduleRow {
  readonly interval?: IntervalSpec | null;
  readonly crontab?: CrontabSpec | null;
  readonly clocked?: { readonly clockedTime: Date } | null;
  readonly solar?: SolarSpec | null;
}

const KINDS = ['interval', 'crontab', 'clocked', 'solar'] as const;

/** The schedule of a periodic task, which must have exactly one kind, as django-celery-beat requires. */
export function scheduleFromRow(row: ScheduleRow): AnySchedule {
  const present = KINDS.filter((kind) => row[kind] != null);
  if (present.length === 1) {
    if (row.interval != null) return new IntervalSchedule(row.interval);
    if (row.crontab != null) return new CrontabSchedule(row.crontab);
    if (row.clocked != null) return new ClockedSchedule(row.clocked);
    if (row.solar != null) return new SolarSchedule(row.solar);
  }
  const found = present.length === 0 ? 'none' : present.join(' and ');
  throw new ScheduleError(`a periodic task needs exactly one schedule (interval, crontab, clocked or solar), found ${found}`, {
    field: 'schedule',
  });
}
