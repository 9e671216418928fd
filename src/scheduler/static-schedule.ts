// The static schedule: Celery's CELERYBEAT_SCHEDULE (beat_schedule) as a
// config-file setting. Beat writes it to the table at start. Pure.
import { ConfigError } from '../errors.js';
import { defineTask, type CrontabInput, type PeriodicTaskInput, type ScheduleInput } from './entry-input.js';
import { SchedulerError } from './errors.js';
import { parseDuration } from './schedules/index.js';

/**
 * One entry of `beatSchedule`, keyed by its name:
 *
 * ```js
 * beatSchedule: {
 *   'add-every-30s': { task: 'tasks.add', schedule: 30, args: [16, 16] },
 *   'report':        { task: 'tasks.report', schedule: '1h', options: { queue: 'reports', expires: 600 } },
 *   'nightly':       { task: 'tasks.cleanup', schedule: { crontab: '30 2 * * *', timezone: 'Europe/Berlin' } },
 *   'monday-9am':    { task: 'tasks.mail', schedule: { minute: 0, hour: 9, dayOfWeek: 'mon' } },
 * }
 * ```
 */
export interface StaticEntryConfig {
  task: string;
  /** Seconds, a duration ("90s", "5m", "2h", "1d"), a crontab object, or { every } / { clocked }. */
  schedule: number | string | Record<string, unknown>;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
  /** apply_async options: queue, exchange, routing_key, priority, headers, expires (seconds or an ISO instant). */
  options?: Record<string, unknown>;
  description?: string;
  oneOff?: boolean;
  startTime?: string;
}

/** Celery's default entry when results expire: `celery.backend_cleanup` daily at 04:00, its messages expiring after 12 h. */
export const BACKEND_CLEANUP: PeriodicTaskInput = {
  name: 'celery.backend_cleanup',
  task: 'celery.backend_cleanup',
  schedule: { crontab: '0 4 * * *' },
  expireSeconds: 12 * 3600,
  description: 'Deletes expired task results (installed by beat because result expiry is configured)',
};

const ENTRY_KEYS = new Set(['task', 'schedule', 'args', 'kwargs', 'options', 'description', 'oneOff', 'startTime']);
const OPTION_KEYS = new Set(['queue', 'exchange', 'routing_key', 'routingKey', 'priority', 'headers', 'expires']);
const CRONTAB_KEYS: Readonly<Record<string, keyof CrontabInput>> = {
  minute: 'minute',
  hour: 'hour',
  dayOfWeek: 'dayOfWeek',
  day_of_week: 'dayOfWeek',
  dayOfMonth: 'dayOfMonth',
  day_of_month: 'dayOfMonth',
  monthOfYear: 'monthOfYear',
  month_of_year: 'monthOfYear',
  timezone: 'timezone',
};

/**
 * Checks a `beatSchedule` value (an object of entries by name, or its JSON
 * text from a flag or the environment) and returns the entries as API
 * input. Throws a ConfigError naming the entry and what is wrong.
 */
export function parseStaticSchedule(raw: unknown): PeriodicTaskInput[] {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new ConfigError(`not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('must be an object of entries by name, e.g. {"add-every-30s": {"task": "tasks.add", "schedule": 30}}');
  }
  return Object.entries(value).map(([name, entry]) => {
    try {
      const input = entryInput(name, entry);
      defineTask(input);
      return input;
    } catch (error) {
      if (error instanceof SchedulerError || error instanceof ConfigError) {
        const message = error.message.replace(`periodic task "${name}": `, '');
        throw new ConfigError(`entry "${name}": ${message}`, { cause: error });
      }
      throw error;
    }
  });
}

/** The static schedule plus Celery's default entries: backend_cleanup when results expire (unless the schedule names it). */
export function withDefaultEntries(
  entries: readonly PeriodicTaskInput[],
  options: { resultExpires?: number | null },
): PeriodicTaskInput[] {
  const expires = options.resultExpires ?? 0;
  const named = entries.some((entry) => entry.name === BACKEND_CLEANUP.name);
  return expires > 0 && !named ? [...entries, BACKEND_CLEANUP] : [...entries];
}

function entryInput(name: string, raw: unknown): PeriodicTaskInput {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('must be an object with task and schedule');
  const entry = raw as Record<string, unknown>;
  const unknown = Object.keys(entry).filter((key) => !ENTRY_KEYS.has(key));
  if (unknown.length > 0) throw new ConfigError(`unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${[...ENTRY_KEYS].join(', ')})`);
  const options = entry.options ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new ConfigError('options must be an object');
  const opts = options as Record<string, unknown>;
  const badOptions = Object.keys(opts).filter((key) => !OPTION_KEYS.has(key));
  if (badOptions.length > 0) {
    throw new ConfigError(`unknown option${badOptions.length > 1 ? 's' : ''} ${badOptions.join(', ')} (known: queue, exchange, routing_key, priority, headers, expires)`);
  }
  return {
    name,
    task: entry.task as string,
    schedule: scheduleInput(entry.schedule),
    ...(entry.args === undefined ? {} : { args: entry.args as unknown[] }),
    ...(entry.kwargs === undefined ? {} : { kwargs: entry.kwargs as Record<string, unknown> }),
    ...(entry.description === undefined ? {} : { description: entry.description as string }),
    ...(entry.oneOff === undefined ? {} : { oneOff: entry.oneOff as boolean }),
    ...(entry.startTime === undefined ? {} : { startTime: entry.startTime as string }),
    ...(opts.queue === undefined ? {} : { queue: opts.queue as string }),
    ...(opts.exchange === undefined ? {} : { exchange: opts.exchange as string }),
    ...((opts.routing_key ?? opts.routingKey) === undefined ? {} : { routingKey: (opts.routing_key ?? opts.routingKey) as string }),
    ...(opts.priority === undefined ? {} : { priority: opts.priority as number }),
    ...(opts.headers === undefined ? {} : { headers: opts.headers as Record<string, unknown> }),
    ...expiresInput(opts.expires),
  };
}

function scheduleInput(raw: unknown): ScheduleInput {
  if (typeof raw === 'number' || typeof raw === 'string') return { every: raw };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError('schedule must be seconds, a duration ("5m"), or an object such as {"crontab": "0 4 * * *"}');
  }
  const schedule = raw as Record<string, unknown>;
  const timezone = schedule.timezone as string | undefined;
  if ('crontab' in schedule) return { crontab: schedule.crontab as string, ...(timezone === undefined ? {} : { timezone }) };
  if ('every' in schedule) return { every: schedule.every as number | string };
  if ('clocked' in schedule) return { clocked: schedule.clocked as string };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schedule)) {
    const field = CRONTAB_KEYS[key];
    if (field === undefined) {
      throw new ConfigError(`schedule: unknown key "${key}" (a crontab has minute, hour, dayOfWeek, dayOfMonth, monthOfYear, timezone)`);
    }
    fields[field] = value;
  }
  return { crontab: fields as CrontabInput };
}

// Celery's `expires` option: seconds after the send (a number or a
// duration such as "10m"), or an instant (ISO 8601).
function expiresInput(raw: unknown): Pick<PeriodicTaskInput, 'expires' | 'expireSeconds'> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw === 'number') return { expireSeconds: raw };
  if (typeof raw === 'string' && !raw.includes('-')) {
    try {
      return { expireSeconds: Math.ceil(parseDuration(raw)) };
    } catch {
      // not a duration: let defineTask judge it as an instant
    }
  }
  return { expires: raw as string };
}
