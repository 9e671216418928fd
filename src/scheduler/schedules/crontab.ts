// Celery crontab schedules, evaluated in the crontab's own IANA time zone.
// The only module that uses croner.
//
// DST policy. A crontab names wall-clock times in its zone; where the zone's
// clocks jump, it runs as follows.
// - An entry with fixed hours, whose time is skipped by a spring-forward gap,
//   runs once at the first instant after the gap: 02:30 daily in
//   Europe/Berlin runs at 03:00 CEST (01:00Z) on 2026-03-29. Several skipped
//   times of one gap (`0,30 2 * * *`) still make one run.
// - An entry with fixed hours, whose wall time occurs twice in a fall-back,
//   runs once, at the first occurrence.
// - An entry whose hour field matches every hour (`*`, `0-23`, `*/1`) runs at
//   every real instant whose wall time matches: none in a gap (those times do
//   not exist), and in both passes of a repeated hour (`*/30 * * * *` runs at
//   :00 and :30 of each pass, four times).
// "Fixed hours" means the hour field does not match every hour, whatever its
// syntax (`2`, `1-3`, `0,12` and the step `*/2` all count) and whatever the
// minute field holds: `* 2 * * *` runs each minute of a repeated 02:xx once,
// and once in all at the end of a gap that swallows 02:xx.
// So no day's run of a daily entry is skipped or doubled, and an
// every-few-minutes entry keeps running through the repeated hour.
//
// How croner is made to follow it: croner 11 has this policy for what it
// calls fixed-time jobs, but by default counts only a single minute and a
// single hour as fixed, so `*/30 2 * * *`, `0,30 2 * * *` and
// `0 */2 * * *` lost their run in the gap and ran in both passes of the
// fall-back. With `fixedTimeRule: 'no-wildcard'` croner counts a job as fixed
// when its minute and hour fields hold no `*` and no step; we hand it every
// field as the explicit list of its values, and the hour field as `*` exactly
// when it matches every hour, so croner's rule and ours coincide. The explicit
// lists also spare croner Celery syntax it refuses (wrapping ranges such as
// `22-2`, steps longer than the field such as `*/90`).
import { Cron } from 'croner';
import { IANAZone } from 'luxon';
import { describeCrontab } from './crontab-describe.js';
import { fieldSize, parseCrontabField, type CrontabFieldName, type CrontabFields } from './crontab-fields.js';
import { ScheduleError } from './errors.js';
import { chainRuns, secondsUntil, type Schedule, type ScheduleState } from './schedule.js';

/** A crontab row's data, with the table's defaults (`*`, UTC) for what is left out. */
export interface CrontabSpec {
  readonly minute?: string;
  readonly hour?: string;
  readonly dayOfWeek?: string;
  readonly dayOfMonth?: string;
  readonly monthOfYear?: string;
  readonly timezone?: string;
}

// Leap years included: a crontab for 29 February is valid, just rare.
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export class CrontabSchedule implements Schedule {
  readonly kind = 'crontab';
  readonly fields: CrontabFields;
  readonly timezone: string;
  readonly #cron: Cron;

  constructor(spec: CrontabSpec) {
    const field = (name: CrontabFieldName, text = '*') => ({
      text: text.split(',').map((part) => part.trim()).join(','),
      values: parseCrontabField(name, text),
    });
    this.fields = {
      minute: field('minute', spec.minute),
      hour: field('hour', spec.hour),
      day_of_week: field('day_of_week', spec.dayOfWeek),
      day_of_month: field('day_of_month', spec.dayOfMonth),
      month_of_year: field('month_of_year', spec.monthOfYear),
    };
    this.timezone = spec.timezone ?? 'UTC';
    if (!IANAZone.isValidZone(this.timezone)) {
      throw new ScheduleError(`unknown time zone "${this.timezone}"`, { field: 'timezone' });
    }
    const { day_of_month: dom, month_of_year: months } = this.fields;
    // Celery would search forever for 31 February; refuse it up front.
    if (!months.values.some((m) => (dom.values[0] ?? 1) <= (DAYS_IN_MONTH[m - 1] ?? 31))) {
      throw new ScheduleError(
        `crontab never runs: day_of_month "${dom.text}" does not occur in month_of_year "${months.text}"`,
        { field: 'day_of_month' },
      );
    }
    const list = (name: CrontabFieldName) =>
      this.fields[name].values.length === fieldSize(name) ? '*' : this.fields[name].values.join(',');
    const pattern = [
      this.fields.minute.values.join(','),
      list('hour'),
      list('day_of_month'),
      list('month_of_year'),
      list('day_of_week'),
    ].join(' ');
    this.#cron = new Cron(pattern, {
      timezone: this.timezone,
      mode: '5-part',
      domAndDow: true, // Celery ANDs day_of_month and day_of_week
      fixedTimeRule: 'no-wildcard',
    });
  }

  /** A crontab from a 5-field expression (`minute hour day_of_month month_of_year day_of_week`). */
  static fromExpression(expression: string, timezone = 'UTC'): CrontabSchedule {
    const text = expression.trim();
    const parts = text.split(/\s+/);
    if (text.startsWith('@')) {
      throw new ScheduleError(
        `crontab "${expression}": nicknames such as @daily are not Celery syntax; write the five fields`,
      );
    }
    if (parts.length !== 5) {
      const extra = parts.length > 5 ? '; Celery crontabs have no seconds or year field' : '';
      const fields = 'minute hour day_of_month month_of_year day_of_week';
      throw new ScheduleError(`crontab "${expression}": expected 5 fields (${fields}), got ${parts.length}${extra}`);
    }
    const [minute, hour, dayOfMonth, monthOfYear, dayOfWeek] = parts;
    return new CrontabSchedule({ minute, hour, dayOfMonth, monthOfYear, dayOfWeek, timezone });
  }

  /** The first run strictly after `instant` (Celery: the minute of the last run itself never counts again). */
  nextRunAfter(instant: Date): Date | null {
    return this.#cron.nextRun(instant);
  }

  nextRunsAfter(from: Date, count: number): Date[] {
    return chainRuns((after) => this.nextRunAfter(after), from, count);
  }

  /**
   * Celery's crontab.is_due: due when the run after `lastRunAt` is not in
   * the future, and then check again at the following run.
   */
  isDue(lastRunAt: Date | null, now: Date): ScheduleState {
    if (lastRunAt !== null) {
      const next = this.nextRunAfter(lastRunAt);
      if (next === null) return { due: false, nextCheckSeconds: Infinity };
      if (next > now) return { due: false, nextCheckSeconds: secondsUntil(next, now) };
    }
    const following = this.nextRunAfter(now);
    return { due: true, nextCheckSeconds: following === null ? Infinity : secondsUntil(following, now) };
  }

  describe(): string {
    return describeCrontab(this.fields, this.timezone);
  }

  /** Standard cron order, as the fields were written: `minute hour day_of_month month_of_year day_of_week`. */
  toCron(): string {
    const f = this.fields;
    return [f.minute, f.hour, f.day_of_month, f.month_of_year, f.day_of_week].map((x) => x.text).join(' ');
  }
}
