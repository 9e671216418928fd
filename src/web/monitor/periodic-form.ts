/**
 * The monitor's periodic-task form, as the page sends it, turned into the
 * scheduler's PeriodicTaskInput. Only the form's own checks live here (is
 * it JSON, is a number a number); what makes a valid entry is the
 * scheduler's to say, so the page shows the very message beat would give.
 * Pure.
 */
import type { IntervalPeriod, PeriodicTaskInput, ScheduleInput } from '../../scheduler/index.js';
import { HttpError } from '../http/responses.js';

/**
 * Field names the page's inputs carry, as the scheduler names fields in its
 * errors: name, task, schedule.every, schedule.period, schedule.minute, …,
 * schedule.timezone, schedule.clocked, args, kwargs, queue, description.
 */
export const invalid = (field: string, message: string): HttpError => new HttpError(422, message, { field });

type Form = Record<string, unknown>;

function text(form: Form, key: string, field = key): string {
  const value = form[key] ?? '';
  if (typeof value !== 'string') throw invalid(field, `${field} must be text`);
  return value.trim();
}

function flag(form: Form, key: string): boolean | undefined {
  const value = form[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalid(key, `${key} must be true or false`);
  return value;
}

/** JSON typed into a textarea; empty means the default. */
function jsonField(form: Form, key: 'args' | 'kwargs'): unknown {
  const source = text(form, key);
  if (source === '') return key === 'args' ? [] : {};
  try {
    return JSON.parse(source) as unknown;
  } catch (error) {
    const example = key === 'args' ? '[2, "two"]' : '{"x": 1}';
    throw invalid(key, `${key} is not valid JSON (${(error as Error).message}); write e.g. ${example}`);
  }
}

function scheduleOf(value: unknown): ScheduleInput {
  if (typeof value !== 'object' || value === null) throw invalid('schedule', 'choose a schedule: interval, crontab or clocked');
  const schedule = value as Form;
  switch (schedule.kind) {
    case 'interval': {
      const every = text(schedule, 'every', 'schedule.every');
      if (!/^\d+$/.test(every)) throw invalid('schedule.every', `every "${every}": write a whole number, e.g. 5`);
      return { interval: { every: Number(every), period: text(schedule, 'period', 'schedule.period') as IntervalPeriod } };
    }
    case 'crontab':
      return {
        crontab: {
          minute: text(schedule, 'minute', 'schedule.minute') || '*',
          hour: text(schedule, 'hour', 'schedule.hour') || '*',
          dayOfWeek: text(schedule, 'day_of_week', 'schedule.day_of_week') || '*',
          dayOfMonth: text(schedule, 'day_of_month', 'schedule.day_of_month') || '*',
          monthOfYear: text(schedule, 'month_of_year', 'schedule.month_of_year') || '*',
        },
        timezone: text(schedule, 'timezone', 'schedule.timezone') || 'UTC',
      };
    case 'clocked': {
      const at = text(schedule, 'clocked', 'schedule.clocked');
      if (at === '') throw invalid('schedule.clocked', 'give the instant to run at');
      return { clocked: at };
    }
    default:
      throw invalid('schedule', 'choose a schedule: interval, crontab or clocked');
  }
}

/**
 * The form as PeriodicTaskInput. Fields the form does not have (priority,
 * headers, expiry, exchange) are left out, so an edit keeps them.
 */
export function formToInput(body: unknown): PeriodicTaskInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('name', 'send the form as a JSON object');
  const form = body as Form;
  const queue = text(form, 'queue');
  const input: PeriodicTaskInput = {
    name: text(form, 'name'),
    task: text(form, 'task'),
    schedule: scheduleOf(form.schedule),
    args: jsonField(form, 'args') as unknown[],
    kwargs: jsonField(form, 'kwargs') as Record<string, unknown>,
    queue: queue === '' ? null : queue,
    description: text(form, 'description'),
  };
  const enabled = flag(form, 'enabled');
  const oneOff = flag(form, 'oneOff');
  return { ...input, ...(enabled === undefined ? {} : { enabled }), ...(oneOff === undefined ? {} : { oneOff }) };
}
