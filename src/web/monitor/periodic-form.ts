/**
 * The monitor's periodic-task form, as the page sends it, turned into the
 * scheduler's PeriodicTaskInput. Only the form's own checks live here (is
 * it JSON, is a number a number); what makes a valid entry is the
 * scheduler's to say, so the page shows the very message beat would give.
 * Every field at fault is reported at once, not one per submit. Pure.
 */
import { defineTask, SchedulerError, type IntervalPeriod, type PeriodicTaskInput, type ScheduleInput } from '../../scheduler/index.js';
import { HttpError } from '../http/responses.js';

/**
 * Field names the page's inputs carry, as the scheduler names fields in its
 * errors: name, task, schedule.every, schedule.period, schedule.minute, …,
 * schedule.timezone, schedule.clocked, args, kwargs, queue, description.
 */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** 422 naming every field at fault: `{error, field}` of the first, and `errors` with all of them. */
export const invalid = (problems: readonly FieldProblem[]): HttpError => {
  const [first = { field: 'name', message: 'the form is not valid' }] = problems;
  return new HttpError(422, first.message, { field: first.field, errors: problems });
};

type Form = Record<string, unknown>;

/** Collects problems; each check answers a stand-in value so the others still run. */
class Problems {
  readonly list: FieldProblem[] = [];

  add(field: string, message: string): void {
    if (!this.list.some((problem) => problem.field === field)) this.list.push({ field, message });
  }

  text(form: Form, key: string, field = key): string {
    const value = form[key] ?? '';
    if (typeof value === 'string') return value.trim();
    this.add(field, `${field} must be text`);
    return '';
  }

  flag(form: Form, key: string): boolean | undefined {
    const value = form[key];
    if (value === undefined || typeof value === 'boolean') return value;
    this.add(key, `${key} must be true or false`);
    return undefined;
  }

  /** JSON typed into a textarea; empty means the default. */
  json(form: Form, key: 'args' | 'kwargs'): unknown {
    const fallback = key === 'args' ? [] : {};
    const source = this.text(form, key);
    if (source === '') return fallback;
    try {
      return JSON.parse(source) as unknown;
    } catch (error) {
      const example = key === 'args' ? '[2, "two"]' : '{"x": 1}';
      this.add(key, `${key} is not valid JSON (${(error as Error).message}); write e.g. ${example}`);
      return fallback;
    }
  }
}

// A valid schedule in place of one the form got wrong, so the rest is still checked.
const STAND_IN: ScheduleInput = { every: 60 };

function scheduleOf(value: unknown, problems: Problems): ScheduleInput {
  if (typeof value !== 'object' || value === null) {
    problems.add('schedule', 'choose a schedule: interval, crontab or clocked');
    return STAND_IN;
  }
  const schedule = value as Form;
  switch (schedule.kind) {
    case 'interval': {
      const every = problems.text(schedule, 'every', 'schedule.every');
      const period = problems.text(schedule, 'period', 'schedule.period') as IntervalPeriod;
      if (/^\d+$/.test(every)) return { interval: { every: Number(every), period } };
      problems.add('schedule.every', `every "${every}": write a whole number, e.g. 5`);
      return STAND_IN;
    }
    case 'crontab':
      return {
        crontab: {
          minute: problems.text(schedule, 'minute', 'schedule.minute') || '*',
          hour: problems.text(schedule, 'hour', 'schedule.hour') || '*',
          dayOfWeek: problems.text(schedule, 'day_of_week', 'schedule.day_of_week') || '*',
          dayOfMonth: problems.text(schedule, 'day_of_month', 'schedule.day_of_month') || '*',
          monthOfYear: problems.text(schedule, 'month_of_year', 'schedule.month_of_year') || '*',
        },
        timezone: problems.text(schedule, 'timezone', 'schedule.timezone') || 'UTC',
      };
    case 'clocked': {
      const at = problems.text(schedule, 'clocked', 'schedule.clocked');
      if (at !== '') return { clocked: at };
      problems.add('schedule.clocked', 'give the instant to run at');
      return STAND_IN;
    }
    default:
      problems.add('schedule', 'choose a schedule: interval, crontab or clocked');
      return STAND_IN;
  }
}

const CRONTAB_KEYS: Readonly<Record<string, string>> = {
  minute: 'minute',
  hour: 'hour',
  day_of_week: 'dayOfWeek',
  day_of_month: 'dayOfMonth',
  month_of_year: 'monthOfYear',
};

/**
 * The input with the field at fault replaced by a value the scheduler
 * takes, so its next check can find the next problem; null when there is
 * no such value for that field.
 */
function withStandIn(input: PeriodicTaskInput, field: string): PeriodicTaskInput | null {
  const schedule = input.schedule;
  const [head, part = ''] = field.split('.');
  if (head === 'schedule' && 'crontab' in schedule && typeof schedule.crontab === 'object') {
    if (part === 'timezone') return { ...input, schedule: { ...schedule, timezone: 'UTC' } };
    const key = CRONTAB_KEYS[part];
    if (key !== undefined) return { ...input, schedule: { ...schedule, crontab: { ...schedule.crontab, [key]: '*' } } };
  }
  switch (head) {
    case 'schedule':
    case 'clocked':
      return { ...input, schedule: STAND_IN };
    case 'name':
    case 'task':
      return { ...input, [head]: 'stand-in' };
    case 'args':
      return { ...input, args: [] };
    case 'kwargs':
      return { ...input, kwargs: {} };
    case 'queue':
      return { ...input, queue: null };
    case 'description':
      return { ...input, description: '' };
    default:
      return null;
  }
}

/**
 * What the scheduler says about each field: its check stops at the first
 * problem, so each one found is set aside with a stand-in and the check
 * run again, until it passes or a problem has no stand-in.
 */
function schedulerProblems(input: PeriodicTaskInput, problems: Problems): void {
  let current: PeriodicTaskInput | null = input;
  for (let round = 0; current !== null && round < 20; round++) {
    try {
      defineTask(current);
      return;
    } catch (error) {
      if (!(error instanceof SchedulerError) || error.code !== 'E_ENTRY_INVALID') throw error;
      const field = error.field === undefined ? 'schedule' : error.field === 'clocked' ? 'schedule.clocked' : error.field;
      // Shown next to the field of that entry's form, the entry's name would only repeat itself.
      const prefix = error.entry === undefined ? '' : `periodic task ${JSON.stringify(error.entry)}: `;
      problems.add(field, error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message);
      current = withStandIn(current, field);
    }
  }
}

/**
 * The form as PeriodicTaskInput, checked as beat checks an entry; 422
 * naming every field at fault. Fields the form does not have (priority,
 * headers, expiry, exchange) are left out, so an edit keeps them.
 */
export function formToInput(body: unknown): PeriodicTaskInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid([{ field: 'name', message: 'send the form as a JSON object' }]);
  }
  const form = body as Form;
  const problems = new Problems();
  const queue = problems.text(form, 'queue');
  const enabled = problems.flag(form, 'enabled');
  const oneOff = problems.flag(form, 'oneOff');
  const input: PeriodicTaskInput = {
    name: problems.text(form, 'name'),
    task: problems.text(form, 'task'),
    schedule: scheduleOf(form.schedule, problems),
    args: problems.json(form, 'args') as unknown[],
    kwargs: problems.json(form, 'kwargs') as Record<string, unknown>,
    queue: queue === '' ? null : queue,
    description: problems.text(form, 'description'),
    ...(enabled === undefined ? {} : { enabled }),
    ...(oneOff === undefined ? {} : { oneOff }),
  };
  schedulerProblems(input, problems);
  if (problems.list.length > 0) throw invalid(problems.list);
  return input;
}
