// Pure schedule maths for beat, the CLI and the monitor: plain data in, plain data out, the clock passed in.
export { ClockedSchedule } from './clocked.js';
export { CrontabSchedule, type CrontabSpec } from './crontab.js';
export { parseCrontabField, type CrontabField, type CrontabFieldName, type CrontabFields } from './crontab-fields.js';
export { MAX_DURATION_SECONDS, MIN_DURATION_SECONDS, parseDuration } from './duration.js';
export { entryIsDue, type EntryState, type EntryTiming } from './entry.js';
export { ScheduleError } from './errors.js';
export { scheduleFromRow, type AnySchedule, type ScheduleRow } from './from-row.js';
export {
  INTERVAL_PERIODS,
  IntervalSchedule,
  intervalFromDuration,
  type IntervalPeriod,
  type IntervalSpec,
} from './interval.js';
export { SOLAR_EVENTS, SolarSchedule, type SolarEvent, type SolarSpec } from './solar.js';
export { canonicalTimeZone } from './time-zone.js';
export { MAX_RUNS_LISTED, type Schedule, type ScheduleState } from './schedule.js';
