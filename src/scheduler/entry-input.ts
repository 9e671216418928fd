// A periodic task as a caller writes it (the API, the CLI, the static
// schedule), checked and turned into column values. Pure. The check is the
// one beat applies to rows (entryFromRow) plus a trial message build, so
// the API never writes a row that beat would have to disable.
import { ProtocolError } from '../core/protocol/errors.js';
import { parseIsoInstant } from '../core/protocol/iso-time.js';
import { assertJsonValue } from '../core/protocol/json-value.js';
import { buildTaskMessage } from '../core/protocol/task-message.js';
import { entryFromRow, messageOptionsFor, type PeriodicTaskRow } from './entry.js';
import type { SchedulerError } from './errors.js';
import { invalidEntry } from './errors.js';
import { CrontabSchedule } from './schedules/crontab.js';
import { canonicalTimeZone } from './schedules/time-zone.js';
import { intervalFromDuration, IntervalSchedule, ScheduleError, SolarSchedule, type IntervalPeriod, type SolarEvent } from './schedules/index.js';

/** A crontab's fields; those left out are `*`, the zone UTC. */
export interface CrontabInput {
  readonly minute?: string | number;
  readonly hour?: string | number;
  readonly dayOfWeek?: string | number;
  readonly dayOfMonth?: string | number;
  readonly monthOfYear?: string | number;
  readonly timezone?: string;
}

/** Exactly one kind of schedule. */
export type ScheduleInput =
  /** Seconds, or a duration: `90`, `"90s"`, `"5m"`, `"2h"`, `"1d"`. Stored as the interval that says it exactly. */
  | { readonly every: number | string }
  | { readonly interval: { readonly every: number; readonly period: IntervalPeriod } }
  /** `"m h dom mon dow"` (Celery's field order is minute, hour, day_of_month, month_of_year, day_of_week) or the fields. */
  | { readonly crontab: string | CrontabInput; readonly timezone?: string }
  /** Once, at this instant (a Date, or ISO 8601; without an offset it is UTC). */
  | { readonly clocked: Date | string }
  /** At a solar event seen from a place (Celery's `solar`; django-celery-beat's tables only). */
  | { readonly solar: { readonly event: SolarEvent; readonly latitude: number; readonly longitude: number } };

/** A periodic task as the API takes it. Only name, task and schedule are required. */
export interface PeriodicTaskInput {
  /** Unique name, 1 to 200 characters. */
  readonly name: string;
  /** Registered task name, e.g. "tasks.add". */
  readonly task: string;
  readonly schedule: ScheduleInput;
  /** Positional arguments (JSON values). Default []. */
  readonly args?: readonly unknown[];
  /** Keyword arguments (JSON values). Default {}. */
  readonly kwargs?: Readonly<Record<string, unknown>>;
  /** Queue to send to. Default: Celery's default queue, "celery". */
  readonly queue?: string | null;
  /** Exchange to send through, with routingKey (instead of a queue). */
  readonly exchange?: string | null;
  readonly routingKey?: string | null;
  /** AMQP priority 0..255. Default: none. */
  readonly priority?: number | null;
  /** Extra message headers (JSON values; integers within int32). Default {}. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** The entry stops running at this instant, and its messages expire then. */
  readonly expires?: Date | string | null;
  /** Messages expire this many seconds after they are sent (when expires is not set). */
  readonly expireSeconds?: number | null;
  /** Run once, then disable. Default false. */
  readonly oneOff?: boolean;
  /** Not before this instant. */
  readonly startTime?: Date | string | null;
  /** Default true. */
  readonly enabled?: boolean;
  /** Free text. Default "". */
  readonly description?: string;
}

export type ScheduleDefinition =
  | { readonly kind: 'interval'; readonly every: number; readonly period: IntervalPeriod }
  | {
      readonly kind: 'crontab';
      readonly minute: string;
      readonly hour: string;
      readonly dayOfWeek: string;
      readonly dayOfMonth: string;
      readonly monthOfYear: string;
      readonly timezone: string;
    }
  | { readonly kind: 'clocked'; readonly clockedTime: Date }
  | { readonly kind: 'solar'; readonly event: SolarEvent; readonly latitude: number; readonly longitude: number };

/** A checked periodic task, in column values (JSON as text): the row's own columns, and its schedule. */
export interface TaskDefinition
  extends Pick<
    PeriodicTaskRow,
    | 'name'
    | 'task'
    | 'args'
    | 'kwargs'
    | 'headers'
    | 'queue'
    | 'exchange'
    | 'routingKey'
    | 'priority'
    | 'expires'
    | 'expireSeconds'
    | 'oneOff'
    | 'startTime'
    | 'enabled'
  > {
  readonly schedule: ScheduleDefinition;
  readonly description: string;
}

const MAX_NAME = 200;

/** Checks an input; throws SchedulerError E_ENTRY_INVALID with the field and a message that says what to write. */
export function defineTask(input: PeriodicTaskInput): TaskDefinition {
  if (typeof input !== 'object' || input === null) throw invalidEntry('a periodic task must be an object', 'name');
  const name = input.name;
  if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_NAME) {
    throw invalidEntry(`name ${JSON.stringify(name)}: must be 1 to ${MAX_NAME} characters`, 'name');
  }
  const fail = (message: string, field: string, cause?: unknown): SchedulerError =>
    invalidEntry(`periodic task "${name}": ${message}`, field, { cause, entry: name });
  const definition: TaskDefinition = {
    name,
    task: text(input.task, 'task', fail),
    schedule: scheduleDefinition(input.schedule, fail),
    args: json(input.args ?? [], 'args', 'list', fail),
    kwargs: json(input.kwargs ?? {}, 'kwargs', 'object', fail),
    headers: json(input.headers ?? {}, 'headers', 'object', fail),
    queue: optionalText(input.queue, 'queue', fail),
    exchange: optionalText(input.exchange, 'exchange', fail),
    routingKey: optionalText(input.routingKey, 'routingKey', fail),
    priority: input.priority ?? null,
    expires: optionalInstant(input.expires, 'expires', fail),
    expireSeconds: input.expireSeconds ?? null,
    oneOff: flag(input.oneOff, false, 'oneOff', fail),
    startTime: optionalInstant(input.startTime, 'startTime', fail),
    enabled: flag(input.enabled, true, 'enabled', fail),
    description: input.description ?? '',
  };
  if (typeof definition.description !== 'string') throw fail('description must be text', 'description');
  if (definition.queue !== null && definition.exchange !== null) {
    throw fail('give either queue, or exchange with routingKey, not both', 'queue');
  }
  if (definition.expireSeconds !== null && !(Number.isSafeInteger(definition.expireSeconds) && definition.expireSeconds >= 1)) {
    throw fail(`expireSeconds ${definition.expireSeconds}: must be a whole number of seconds, at least 1`, 'expireSeconds');
  }
  checkAsBeatWould(definition);
  return definition;
}

/** The row beat would read for this definition, as if just written. */
export function rowOf(definition: TaskDefinition, extra: Partial<PeriodicTaskRow> = {}): PeriodicTaskRow {
  const { schedule } = definition;
  return {
    id: 0,
    name: definition.name,
    task: definition.task,
    args: definition.args,
    kwargs: definition.kwargs,
    headers: definition.headers,
    queue: definition.queue,
    exchange: definition.exchange,
    routingKey: definition.routingKey,
    priority: definition.priority,
    expires: definition.expires,
    expireSeconds: definition.expireSeconds,
    oneOff: definition.oneOff,
    startTime: definition.startTime,
    enabled: definition.enabled,
    lastRunAt: null,
    totalRunCount: 0,
    dateChanged: new Date(0),
    changeVersion: 0,
    interval: schedule.kind === 'interval' ? { every: schedule.every, period: schedule.period } : null,
    crontab: schedule.kind === 'crontab' ? schedule : null,
    clocked: schedule.kind === 'clocked' ? { clockedTime: schedule.clockedTime } : null,
    solar: schedule.kind === 'solar' ? { event: schedule.event, latitude: schedule.latitude, longitude: schedule.longitude } : null,
    ...extra,
  };
}

// The same validation beat applies to rows, then a message built for real,
// so queue names, header values and priorities are refused here rather
// than at 4 a.m. in beat.
function checkAsBeatWould(definition: TaskDefinition): void {
  const entry = entryFromRow(rowOf(definition));
  try {
    buildTaskMessage({ ...messageOptionsFor(entry, 'check'), id: 'check' }, new Date(0));
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    const field = /^(\w+)/.exec(error.message)?.[1] ?? 'task';
    throw invalidEntry(`periodic task "${definition.name}": ${error.message}`, field, { cause: error, entry: definition.name });
  }
}

type Fail = (message: string, field: string, cause?: unknown) => SchedulerError;

function scheduleDefinition(input: ScheduleInput | undefined, fail: Fail): ScheduleDefinition {
  const forms = 'give exactly one of every (e.g. "5m"), interval, crontab, clocked or solar';
  if (typeof input !== 'object' || input === null) throw fail(`schedule is missing: ${forms}`, 'schedule');
  const kinds = (['every', 'interval', 'crontab', 'clocked', 'solar'] as const).filter((kind) => kind in input);
  if (kinds.length !== 1) throw fail(`schedule has ${kinds.length === 0 ? 'no kind' : kinds.join(' and ')}: ${forms}`, 'schedule');
  try {
    if ('every' in input) {
      const interval = intervalFromDuration(input.every);
      return { kind: 'interval', every: interval.every, period: interval.period };
    }
    if ('interval' in input) {
      const interval = new IntervalSchedule(input.interval);
      return { kind: 'interval', every: interval.every, period: interval.period };
    }
    if ('crontab' in input) return crontabDefinition(input.crontab, input.timezone);
    if ('solar' in input) {
      const solar = new SolarSchedule(input.solar ?? { event: '', latitude: NaN, longitude: NaN });
      return { kind: 'solar', event: solar.event, latitude: solar.latitude, longitude: solar.longitude };
    }
    return { kind: 'clocked', clockedTime: instant(input.clocked, 'clocked', fail) };
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    throw fail(error.message, error.field === undefined ? 'schedule' : `schedule.${error.field}`, error);
  }
}

function crontabDefinition(crontab: string | CrontabInput, given: string | undefined): ScheduleDefinition {
  const timezone = canonicalTimeZone(given ?? (typeof crontab === 'string' ? undefined : crontab.timezone) ?? 'UTC');
  const schedule =
    typeof crontab === 'string'
      ? CrontabSchedule.fromExpression(crontab, timezone)
      : new CrontabSchedule({
          minute: field(crontab.minute),
          hour: field(crontab.hour),
          dayOfWeek: field(crontab.dayOfWeek),
          dayOfMonth: field(crontab.dayOfMonth),
          monthOfYear: field(crontab.monthOfYear),
          timezone,
        });
  const f = schedule.fields;
  return {
    kind: 'crontab',
    minute: f.minute.text,
    hour: f.hour.text,
    dayOfWeek: f.day_of_week.text,
    dayOfMonth: f.day_of_month.text,
    monthOfYear: f.month_of_year.text,
    timezone: schedule.timezone,
  };
}

const field = (value: string | number | undefined): string | undefined => (value === undefined ? undefined : String(value));

function text(value: unknown, what: string, fail: Fail): string {
  if (typeof value !== 'string' || value.trim() === '') throw fail(`${what} must be a non-empty string`, what);
  return value;
}

function optionalText(value: unknown, what: string, fail: Fail): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw fail(`${what} must be a string`, what);
  return value;
}

function flag(value: unknown, fallback: boolean, what: string, fail: Fail): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw fail(`${what} must be true or false`, what);
  return value;
}

function json(value: unknown, what: string, shape: 'list' | 'object', fail: Fail): string {
  const isList = Array.isArray(value);
  if (shape === 'list' ? !isList : typeof value !== 'object' || value === null || isList) {
    throw fail(`${what} must be ${shape === 'list' ? 'a list' : 'an object'}`, what);
  }
  try {
    assertJsonValue(value, what);
  } catch (error) {
    throw fail((error as Error).message, what, error);
  }
  return JSON.stringify(value);
}

function instant(value: unknown, what: string, fail: Fail): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw fail(`${what} is an invalid Date`, what);
    return value;
  }
  if (typeof value !== 'string') throw fail(`${what} must be a Date or an ISO 8601 time such as 2030-01-02T03:04:05Z`, what);
  try {
    return new Date(parseIsoInstant(value.trim(), what));
  } catch (error) {
    throw fail((error as Error).message, what, error);
  }
}

function optionalInstant(value: unknown, what: string, fail: Fail): Date | null {
  return value === undefined || value === null || value === '' ? null : instant(value, what, fail);
}
