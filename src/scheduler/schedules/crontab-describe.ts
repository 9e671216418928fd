import type { CrontabFields } from './crontab-fields.js';

const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTH_NAMES = [
  ...['January', 'February', 'March', 'April', 'May', 'June'],
  ...['July', 'August', 'September', 'October', 'November', 'December'],
];

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * "a, b and c". With `through`, runs of three or more consecutive values
 * shrink to "x to y" (or "x-y").
 */
function listWords(
  values: readonly number[],
  render: (n: number) => string,
  { through, conjunction = 'and' }: { through?: string; conjunction?: string } = {},
): string {
  const items: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (through !== undefined && j + 1 < values.length && values[j + 1] === (values[j] ?? 0) + 1) j++;
    if (j - i >= 2) items.push(`${render(values[i] ?? 0)}${through}${render(values[j] ?? 0)}`);
    else for (let k = i; k <= j; k++) items.push(render(values[k] ?? 0));
    i = j + 1;
  }
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1) ?? ''}`;
}

function stepOf(text: string): number | null {
  const match = /^\*\/(\d+)$/.exec(text);
  return match ? Number(match[1]) : null;
}

/** "every 15 minutes" when the step divides the field evenly, else "every 7th minute" (it restarts at 0). */
function everyNth(step: number, unit: string, size: number): string {
  return size % step === 0 ? `every ${step} ${unit}s` : `every ${ordinal(step)} ${unit}`;
}

function timeWords({ minute, hour }: CrontabFields): string {
  const everyHour = hour.values.length === 24;
  const m = minute.values[0];
  if (m !== undefined && minute.values.length === 1 && !everyHour && hour.values.length <= 6) {
    return `at ${listWords(hour.values, (h) => `${twoDigits(h)}:${twoDigits(m)}`)}`;
  }
  const minuteStep = stepOf(minute.text);
  const minutes =
    minute.values.length === 60
      ? 'every minute'
      : minuteStep !== null
        ? everyNth(minuteStep, 'minute', 60)
        : `at minute${minute.values.length > 1 ? 's' : ''} ${listWords(minute.values, String, { through: '-' })}`;
  if (everyHour) return minutes.startsWith('at') ? `${minutes} past every hour` : minutes;
  const hourStep = stepOf(hour.text);
  const hours =
    hourStep !== null
      ? everyNth(hourStep, 'hour', 24)
      : `hour${hour.values.length > 1 ? 's' : ''} ${listWords(hour.values, String, { through: '-' })}`;
  return `${minutes} of ${hours}`;
}

function dayWords({ hour, day_of_week: dow, day_of_month: dom, month_of_year: month }: CrontabFields): string {
  const everyDow = dow.values.length === 7;
  const everyDom = dom.values.length === 31;
  const weekdays = (conjunction: string) =>
    listWords(dow.values, (d) => DAY_NAMES[d] ?? String(d), { through: ' to ', conjunction });
  let days = '';
  // "every day" reads well after clock times only: "at 02:30 every day", but just "every 5 minutes".
  if (everyDom && everyDow) days = hour.values.length < 24 ? ' every day' : '';
  else if (everyDom) days = ` on ${weekdays('and')}`;
  else {
    days = ` on the ${listWords(dom.values, ordinal, { through: ' to ' })}`;
    if (!everyDow) days += ` if that is a ${weekdays('or')}`;
  }
  const monthNames = listWords(month.values, (n) => MONTH_NAMES[n - 1] ?? String(n), { through: ' to ' });
  const months = month.values.length === 12 ? '' : ` in ${monthNames}`;
  return days + months;
}

/** A crontab in words for the monitor and the CLI: "at 02:30 every day (Europe/Berlin)". */
export function describeCrontab(fields: CrontabFields, timezone: string): string {
  return `${timeWords(fields)}${dayWords(fields)} (${timezone})`;
}
