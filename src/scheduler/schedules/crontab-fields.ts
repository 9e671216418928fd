import { ScheduleError } from './errors.js';

/** The five crontab fields, named as Celery and the table's columns name them. */
export type CrontabFieldName = 'minute' | 'hour' | 'day_of_week' | 'day_of_month' | 'month_of_year';

/** A field's text as written (items trimmed) and the values it stands for. */
export interface CrontabField {
  readonly text: string;
  readonly values: readonly number[];
}
export type CrontabFields = Readonly<Record<CrontabFieldName, CrontabField>>;

interface FieldRule {
  readonly min: number;
  /** Highest value `*` stands for. */
  readonly max: number;
  /** Highest value accepted when written: 7 for day_of_week, Sunday again as in Vixie cron. */
  readonly top: number;
  readonly names?: ReadonlyMap<string, number>;
  readonly allowed: string;
}

function nameTable(names: readonly string[], first: number): ReadonlyMap<string, number> {
  return new Map(names.flatMap((name, i) => [[name, first + i] as const, [name.slice(0, 3), first + i] as const]));
}

const DAYS = nameTable(['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'], 0);
const MONTHS = nameTable(
  [
    ...['january', 'february', 'march', 'april', 'may', 'june'],
    ...['july', 'august', 'september', 'october', 'november', 'december'],
  ],
  1,
);

const RULES: Readonly<Record<CrontabFieldName, FieldRule>> = {
  minute: { min: 0, max: 59, top: 59, allowed: '0-59' },
  hour: { min: 0, max: 23, top: 23, allowed: '0-23' },
  day_of_week: { min: 0, max: 6, top: 7, names: DAYS, allowed: '0-7 or sun-sat' },
  day_of_month: { min: 1, max: 31, top: 31, allowed: '1-31' },
  month_of_year: { min: 1, max: 12, top: 12, names: MONTHS, allowed: '1-12 or jan-dec' },
};

// Croner and Quartz extensions that Celery's parser does not know; named so the error can say why.
const FOREIGN_SYNTAX = /^(\?|L|LW|\d+[LW]|.*#.*|\+.*)$/i;

function span(from: number, to: number): number[] {
  return Array.from({ length: Math.max(to - from + 1, 0) }, (_, i) => from + i);
}

/**
 * Expands one field as Celery's crontab_parser does: `*`, numbers, names,
 * ranges (which wrap past the end: `fri-mon`, `22-2`), steps on `*` or on a
 * range (`1-30/5`, and `*` followed by `/15`; a step past the end keeps
 * only the first value), and comma lists. Returns the sorted values;
 * day_of_week 7 becomes 0. Stricter than Celery where Celery is accidentally lax (trailing garbage,
 * day names in the minute field); also accepts month names and day_of_week
 * 7, which Celery itself rejects.
 */
export function parseCrontabField(field: CrontabFieldName, text: string): number[] {
  const rule = RULES[field];
  const whole = text.trim();
  const fail = (reason: string) => new ScheduleError(`crontab ${field} "${text}": ${reason}`, { field });
  // Name the culprit only when it is part of a longer field, so `"61": must be 0-59` does not say 61 twice.
  const about = (token: string): string => (token === whole ? '' : `${token} `);

  const value = (token: string): number => {
    if (/^\d+$/.test(token)) {
      const n = Number(token);
      if (n < rule.min || n > rule.top) throw fail(`${about(token)}must be ${rule.allowed}`);
      return n;
    }
    const named = rule.names?.get(token.toLowerCase());
    if (named !== undefined) return named;
    if (token === '') throw fail('negative numbers and open-ended ranges are not allowed');
    if (FOREIGN_SYNTAX.test(token)) throw fail('L, W, #, ? and a leading + are croner extensions, not Celery syntax');
    const expected = rule.names ? `a number or a name (${rule.allowed})` : 'a number';
    throw fail(token === whole ? `not ${expected}` : `"${token}" is not ${expected}`);
  };

  const expand = (part: string): number[] => {
    const [base = '', step, ...more] = part.split('/');
    if (more.length > 0) throw fail('an item may have only one step');
    let values: number[];
    if (base === '*') {
      values = span(rule.min, rule.max);
    } else {
      const [first = '', last, ...rest] = base.split('-');
      if (rest.length > 0) throw fail('a range has two ends, as in "1-5"');
      const from = value(first);
      if (last === undefined) {
        if (step !== undefined) throw fail('a step needs * or a range before it, as in "*/15" or "5-59/15"');
        return [from];
      }
      const to = value(last);
      values = to >= from ? span(from, to) : [...span(from, rule.max), ...span(rule.min, to)];
    }
    if (step === undefined) return values;
    if (!/^\d+$/.test(step) || Number(step) < 1) throw fail('a step must be a whole number of at least 1');
    return values.filter((_, i) => i % Number(step) === 0);
  };

  if (whole === '') throw fail('must not be empty');
  const values = new Set<number>();
  for (const raw of text.split(',')) {
    const part = raw.trim();
    if (part === '') throw fail('an item of the list is empty');
    for (const v of expand(part)) values.add(field === 'day_of_week' && v === 7 ? 0 : v);
  }
  return [...values].sort((a, b) => a - b);
}

/** Every value `*` stands for in a field, to tell a field that matches everything. */
export function fieldSize(field: CrontabFieldName): number {
  return RULES[field].max - RULES[field].min + 1;
}
