import { CrontabSchedule, type CrontabSpec } from './schedules/crontab.js';
import { scheduleFromRow, type AnySchedule, type ScheduleRow } from './schedules/index.js';
import type { IntervalSpec } from './schedules/interval.js';

/** Distinct schedules kept; far more than any real table has, small enough to never matter. */
const MAX_CACHED = 10_000;

/**
 * Schedules by their definition. Thousands of entries usually share a few
 * dozen interval and crontab rows, and a crontab costs far more to build
 * (croner parses it) than to look up, so a table of 100,000 entries loads
 * in the time of its distinct schedules. Schedules are immutable, so sharing
 * them is safe. A definition that is invalid throws every time it is asked
 * for (it is not cached).
 */
export class ScheduleCache {
  readonly #schedules = new Map<string, AnySchedule>();
  /** By the spec object itself, when frozen (it cannot change): rows read together share theirs (beat-store.ts ScheduleSpecs). */
  readonly #bySpec = new WeakMap<object, AnySchedule>();

  get(row: ScheduleRow): AnySchedule {
    const spec = onlySpec(row);
    const known = spec && this.#bySpec.get(spec);
    if (known) return known;
    const schedule = this.#byKey(row);
    if (spec) this.#bySpec.set(spec, schedule);
    return schedule;
  }

  #byKey(row: ScheduleRow): AnySchedule {
    const key = keyOf(row);
    if (key === null) return scheduleFromRow(row);
    const cached = this.#schedules.get(key);
    if (cached) return cached;
    // Validated by scheduleFromRow (one kind, its messages), then a memoising crontab.
    let schedule = scheduleFromRow(row);
    if (row.crontab != null) schedule = new MemoCrontab(row.crontab);
    if (this.#schedules.size >= MAX_CACHED) this.#schedules.clear();
    this.#schedules.set(key, schedule);
    return schedule;
  }
}

const MEMO_MINUTES = 4096;

/**
 * A crontab that remembers its next runs by minute: croner's search costs
 * microseconds, and entries sharing a crontab mostly ask about the same few
 * minutes (loading 100,000 entries asks 100,000 times). The run after `t`
 * is the same for every `t` within one minute (runs fall on whole minutes,
 * and the minute of `t` itself never counts), so the minute is the key.
 */
class MemoCrontab extends CrontabSchedule {
  readonly #next = new Map<number, Date | null>();

  override nextRunAfter(instant: Date): Date | null {
    const minute = Math.floor(instant.getTime() / 60_000);
    const known = this.#next.get(minute);
    if (known !== undefined) return known;
    const next = super.nextRunAfter(instant);
    if (this.#next.size >= MEMO_MINUTES) this.#next.clear();
    this.#next.set(minute, next);
    return next;
  }
}

/** The row's one interval or crontab spec, if frozen; undefined when it has another kind, or more than one. */
function onlySpec(row: ScheduleRow): object | undefined {
  const { interval, crontab, clocked, solar } = row;
  if (clocked != null || solar != null) return undefined;
  const spec = interval == null ? crontab : crontab == null ? interval : undefined;
  return spec != null && Object.isFrozen(spec) ? spec : undefined;
}

// Only rows with exactly one kind are cached; the others go to
// scheduleFromRow for its error.
function keyOf(row: ScheduleRow): string | null {
  const { interval, crontab, clocked, solar } = row;
  const kinds = [interval, crontab, clocked, solar].filter((kind) => kind != null).length;
  if (kinds !== 1) return null;
  if (interval != null) return intervalKey(interval);
  if (crontab != null) return crontabKey(crontab);
  if (solar != null) return `s ${solar.event} ${solar.latitude} ${solar.longitude}`;
  return clocked == null ? null : `k ${clocked.clockedTime.getTime()}`;
}

const intervalKey = (spec: IntervalSpec): string => `i ${spec.every} ${spec.period}`;

const crontabKey = (spec: CrontabSpec): string =>
  `c ${JSON.stringify([spec.minute, spec.hour, spec.dayOfMonth, spec.monthOfYear, spec.dayOfWeek, spec.timezone])}`;
