// A periodic task as beat holds it: the row, validated once, plus pure
// answers to "is it due?" and "what message does it send?". No I/O.
import type { JsonObject, JsonValue } from '../core/protocol/json-value.js';
import type { TaskMessageOptions } from '../core/protocol/task-message.js';
import type { SchedulerError } from './errors.js';
import { invalidEntry } from './errors.js';
import { ScheduleCache } from './schedule-cache.js';
import type { CrontabSpec } from './schedules/crontab.js';
import { entryIsDue, ScheduleError, type AnySchedule, type EntryState } from './schedules/index.js';
import type { IntervalSpec } from './schedules/interval.js';
import type { SolarSpec } from './schedules/solar.js';

/**
 * A version a row carries: change_version (djcelery), or date_changed as
 * the database's text (django-celery-beat's tables have no counter).
 */
export type RowVersion = number | string;

/** A periodic task row with its schedule relations, as the stores read it. */
export interface PeriodicTaskRow {
  readonly id: number;
  readonly name: string;
  readonly task: string;
  /** JSON text: a list. */
  readonly args: string;
  /** JSON text: an object. */
  readonly kwargs: string;
  /** JSON text: an object of extra message headers. */
  readonly headers: string;
  readonly queue: string | null;
  readonly exchange: string | null;
  readonly routingKey: string | null;
  readonly priority: number | null;
  readonly expires: Date | null;
  readonly expireSeconds: number | null;
  readonly oneOff: boolean;
  readonly startTime: Date | null;
  readonly enabled: boolean;
  readonly lastRunAt: Date | null;
  readonly totalRunCount: number;
  readonly dateChanged: Date;
  readonly changeVersion: RowVersion;
  readonly interval: IntervalSpec | null;
  readonly crontab: CrontabSpec | null;
  readonly clocked: { readonly clockedTime: Date } | null;
  /** Only django-celery-beat's tables have solar schedules. */
  readonly solar?: SolarSpec | null;
}

/** Where the message goes: a queue (through the default exchange), an exchange and key, or Celery's default queue. */
export type EntryRoute =
  | { readonly queue: string }
  | { readonly exchange: string; readonly routingKey: string }
  | Record<string, never>;

/** A valid periodic task. Immutable: a run makes a new one (afterRun). */
export interface Entry {
  readonly id: number;
  readonly name: string;
  readonly task: string;
  readonly schedule: AnySchedule;
  readonly args: JsonValue[];
  readonly kwargs: JsonObject;
  readonly headers: JsonObject;
  readonly route: EntryRoute;
  readonly priority: number | null;
  /** The instant after which the entry no longer runs (and its messages' expiry). */
  readonly expires: Date | null;
  /** Messages expire this many seconds after they are sent (when `expires` is not set). */
  readonly expireSeconds: number | null;
  readonly oneOff: boolean;
  readonly startTime: Date | null;
  readonly dateChanged: Date;
  readonly changeVersion: RowVersion;
  readonly lastRunAt: Date | null;
  readonly totalRunCount: number;
}

/** What an entry's timing depends on: all that beat keeps at hand for every entry it holds. */
export type EntryTimes = Pick<Entry, 'schedule' | 'expires' | 'oneOff' | 'startTime' | 'dateChanged' | 'lastRunAt' | 'totalRunCount'>;

export interface EntryDueState extends EntryState {
  /** Finished because its `expires` instant has passed (beat disables it, as django-celery-beat does). */
  readonly expired: boolean;
}

const defaultCache = new ScheduleCache();

/** What validating a row finds beyond its columns: its schedule and its message's route. */
export interface RowCheck {
  readonly schedule: AnySchedule;
  readonly route: EntryRoute;
}

/**
 * Validates a row. Throws SchedulerError E_ENTRY_INVALID naming the field:
 * beat disables such a row and logs why, the API refuses to write one.
 * Enabled or not is the caller's business. Its JSON is parsed to check it,
 * and given back in case the caller wants it.
 */
export function checkRow(
  row: PeriodicTaskRow,
  schedules: ScheduleCache = defaultCache,
): RowCheck & Pick<Entry, 'args' | 'kwargs' | 'headers'> {
  const fail = (message: string, field: string, cause?: unknown): SchedulerError =>
    invalidEntry(`periodic task "${row.name}": ${message}`, field, { cause, entry: row.name });
  let schedule: AnySchedule;
  try {
    schedule = schedules.get(row);
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    const kind = row.crontab ? 'crontab' : row.interval ? 'interval' : row.clocked ? 'clocked' : row.solar ? 'solar' : '';
    const field = error.field === undefined || error.field === 'schedule' ? 'schedule' : `${kind}.${error.field}`;
    throw fail(error.message, field, error);
  }
  if (typeof row.task !== 'string' || row.task.trim() === '') throw fail('task must name a task, e.g. "tasks.add"', 'task');
  const priority = row.priority;
  if (priority !== null && (!Number.isInteger(priority) || priority < 0 || priority > 255)) {
    throw fail(`priority ${priority}: must be a whole number from 0 to 255`, 'priority');
  }
  if (row.expireSeconds !== null && !(row.expireSeconds > 0)) {
    throw fail(`expire_seconds ${row.expireSeconds}: must be at least 1`, 'expire_seconds');
  }
  return {
    schedule,
    route: routeOf(row, fail),
    args: parseJson(row.args, 'args', 'list', fail) as JsonValue[],
    kwargs: parseJson(row.kwargs, 'kwargs', 'object', fail) as JsonObject,
    headers: parseJson(row.headers, 'headers', 'object', fail) as JsonObject,
  };
}

/** Validates a row into an Entry (checkRow's errors). */
export function entryFromRow(row: PeriodicTaskRow, schedules: ScheduleCache = defaultCache): Entry {
  const { schedule, route, args, kwargs, headers } = checkRow(row, schedules);
  return {
    id: row.id,
    name: row.name,
    task: row.task,
    schedule,
    args,
    kwargs,
    headers,
    route,
    priority: row.priority,
    expires: row.expires,
    expireSeconds: row.expireSeconds,
    oneOff: row.oneOff,
    startTime: row.startTime,
    dateChanged: row.dateChanged,
    changeVersion: row.changeVersion,
    lastRunAt: row.lastRunAt,
    totalRunCount: row.totalRunCount,
  };
}

type Fail = (message: string, field: string, cause?: unknown) => SchedulerError;

// django-celery-beat reads `loads(model.args or '[]')`: an empty text is the default.
function parseJson(text: string | null, field: string, shape: 'list' | 'object', fail: Fail): JsonValue[] | JsonObject {
  if (text === null || text.trim() === '') return shape === 'list' ? [] : {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw fail(`${field} is not valid JSON (${(error as Error).message}): ${preview(text)}`, field, error);
  }
  const isList = Array.isArray(value);
  const isObject = typeof value === 'object' && value !== null && !isList;
  if (shape === 'list' ? !isList : !isObject) {
    throw fail(`${field} must be a JSON ${shape === 'list' ? 'list, e.g. [1, "a"]' : 'object, e.g. {"a": 1}'}: ${preview(text)}`, field);
  }
  return value as JsonValue[] | JsonObject;
}

const preview = (text: string): string => (text.length > 60 ? `${JSON.stringify(text.slice(0, 60))}…` : JSON.stringify(text));

// Django's admin saves an empty form field as "", which means "not set".
const blank = (value: string | null): string | null => (value === null || value.trim() === '' ? null : value);

/**
 * Celery's routing options as a row holds them: exchange with routing_key
 * sends through that exchange (a queue given too is not used, as in
 * Celery's publish); routing_key alone goes through the default exchange to
 * the queue of that name; queue alone goes to that queue; nothing goes to
 * Celery's default queue.
 */
function routeOf(row: PeriodicTaskRow, fail: Fail): EntryRoute {
  const queue = blank(row.queue);
  const exchange = blank(row.exchange);
  const routingKey = blank(row.routingKey);
  if (exchange !== null) {
    if (routingKey === null) throw fail(`exchange "${exchange}" needs a routing_key`, 'routing_key');
    return { exchange, routingKey };
  }
  if (routingKey !== null) {
    if (queue !== null && queue !== routingKey) {
      throw fail(
        `routing_key "${routingKey}" without an exchange routes to the queue of that name, not to queue "${queue}"; set an exchange, or only the queue`,
        'routing_key',
      );
    }
    return { exchange: '', routingKey };
  }
  return queue === null ? {} : { queue };
}

/**
 * The instant the schedule counts from. Like django-celery-beat, an entry
 * that never ran counts from when its row last changed (a crontab made at
 * 10:00 for 04:00 first runs the next morning; an hourly interval first runs
 * an hour after it was saved), except that an entry with a start_time, and a
 * clocked entry, are due at once when their time comes.
 */
export function effectiveLastRun(entry: EntryTimes): Date | null {
  // django-celery-beat's clocked schedule ignores last_run_at: a one-off
  // whose count was reset (beat resets it when it disables the finished
  // entry) runs again when enabled again.
  if (entry.schedule.kind === 'clocked' && entry.oneOff && entry.totalRunCount === 0) return null;
  if (entry.lastRunAt !== null) return entry.lastRunAt;
  if (entry.startTime !== null || entry.schedule.kind === 'clocked') return null;
  return entry.dateChanged;
}

/**
 * The instant the entry's next run is scheduled for, from the row alone
 * (not from when a beat gets to it): every beat reading the row, and the
 * same beat after giving the run back, finds the same instant. Null when it
 * will never run again.
 */
export function scheduledAt(entry: EntryTimes): Date | null {
  const last = effectiveLastRun(entry);
  const { schedule, startTime } = entry;
  const next = last !== null ? schedule.nextRunAfter(last) : schedule.kind === 'clocked' ? schedule.clockedTime : startTime;
  return next !== null && startTime !== null && startTime > next ? startTime : next;
}

/** Whether the entry is due at `now`, and when to look again. */
export function entryDueState(entry: EntryTimes, now: Date): EntryDueState {
  // django-celery-beat: an expired entry is disabled, never sent.
  if (entry.expires !== null && now >= entry.expires) {
    return { due: false, nextCheckSeconds: Infinity, finished: true, expired: true };
  }
  const { due, nextCheckSeconds, finished } = entryIsDue(
    entry.schedule,
    { lastRunAt: effectiveLastRun(entry), startTime: entry.startTime, oneOff: entry.oneOff, totalRunCount: entry.totalRunCount },
    now,
  );
  return { due, nextCheckSeconds, finished, expired: false };
}

/** When the entry is next due, as of `now` (now itself if due); null when never again. */
export function nextDueAt(entry: EntryTimes, now: Date): Date | null {
  const state = entryDueState(entry, now);
  if (state.due) return now;
  return Number.isFinite(state.nextCheckSeconds) ? new Date(now.getTime() + Math.ceil(state.nextCheckSeconds * 1000)) : null;
}

/** The entry after a run sent at `at`. */
export function afterRun(entry: Entry, at: Date): Entry {
  return { ...entry, lastRunAt: at, totalRunCount: entry.totalRunCount + 1 };
}

/**
 * What to send for a run: Celery's apply_async options from the entry, as
 * django-celery-beat's ModelEntry passes them (queue/exchange/routing_key,
 * priority, headers, expires — the instant if set, else the seconds).
 */
export function messageOptionsFor(entry: Entry, origin: string): TaskMessageOptions {
  const options: TaskMessageOptions = { task: entry.task, args: entry.args, kwargs: entry.kwargs, origin, ...entry.route };
  if (entry.priority !== null) options.priority = entry.priority;
  if (Object.keys(entry.headers).length > 0) options.headers = entry.headers;
  if (entry.expires !== null) options.expires = entry.expires;
  else if (entry.expireSeconds !== null) options.expires = entry.expireSeconds;
  return options;
}
