// djcelery.humanize.naturaldate for the monitor page: how long ago an
// instant was, in words. Plain JavaScript, because the browser loads this
// very file as it is (no build step); the package's tests import it too.
// Pure: the clock and the time zone are arguments.

const plural = (count, unit) => `${count} ${unit}${count === 1 ? '' : 's'}`;

// djcelery's OLDER_CHUNKS: past yesterday, the largest unit that fits.
const OLDER_CHUNKS = [
  [365, 'year'],
  [30, 'month'],
  [7, 'week'],
  [1, 'day'],
];

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Midnight starting the calendar day of `instant` in `timeZone`, as epoch ms. */
function startOfDay(instant, timeZone) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(instant);
  const part = (type) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const sinceMidnight = ((part('hour') * 60 + part('minute')) * 60 + part('second')) * 1000 + (instant.getTime() % 1000);
  return instant.getTime() - sinceMidnight;
}

/** Whole calendar days in `timeZone` between the days of `earlier` and `later`. */
function calendarDays(earlier, later, timeZone) {
  // Rounded: a day with a DST change is 23 or 25 hours long.
  return Math.round((startOfDay(later, timeZone) - startOfDay(earlier, timeZone)) / DAY);
}

/** `HH:MM` of `instant` on the wall clock of `timeZone`. */
function clockTime(instant, timeZone) {
  return new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(instant);
}

/**
 * "just now", "5 minutes ago", "2 hours ago", "yesterday at 14:05",
 * "3 days ago", "2 weeks ago", … as djcelery's naturaldate says them.
 * A time in the future (a clock ahead of ours) reads "just now", as there.
 *
 * @param {Date} date the instant to describe
 * @param {Date} now the current instant
 * @param {{ timeZone?: string, includeSeconds?: boolean }} [options]
 *   timeZone decides where "yesterday" starts (default: the runtime's own);
 *   includeSeconds says "12 seconds ago" instead of "just now" under a minute
 * @returns {string}
 */
export function naturalDate(date, now, options = {}) {
  const timeZone = options.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const delta = now.getTime() - date.getTime();
  if (delta < 0) return 'just now';
  if (delta < DAY) {
    const hours = Math.floor(delta / HOUR);
    if (hours > 0) return `${plural(hours, 'hour')} ago`;
    const minutes = Math.floor(delta / MINUTE);
    if (minutes > 0) return `${plural(minutes, 'minute')} ago`;
    const seconds = Math.floor(delta / 1000);
    return options.includeSeconds && seconds > 0 ? `${plural(seconds, 'second')} ago` : 'just now';
  }
  const days = calendarDays(date, now, timeZone);
  if (days <= 1) return `yesterday at ${clockTime(date, timeZone)}`;
  // As djcelery: the unit is chosen by full days elapsed, the count is of calendar days.
  const elapsed = Math.floor(delta / DAY);
  const [size, unit] = OLDER_CHUNKS.find(([chunk]) => elapsed >= chunk) ?? [1, 'day'];
  return `${plural(Math.round(days / size), unit)} ago`;
}

/**
 * The exact instant for a tooltip, in `timeZone`: "2026-11-29 14:05:09 CET".
 *
 * @param {Date} date
 * @param {{ timeZone?: string }} [options]
 * @returns {string}
 */
export function exactTime(date, options = {}) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: options.timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZoneName: 'short',
  }).formatToParts(date);
  const part = (type) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')} ${part('hour')}:${part('minute')}:${part('second')} ${part('timeZoneName')}`;
}

/**
 * A duration in seconds, short: "850 ms", "2.41 s", "3 min 5 s", "2 h 10 min".
 *
 * @param {number} seconds
 * @returns {string}
 */
export function shortDuration(seconds) {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${Number(seconds.toFixed(seconds < 10 ? 2 : 1))} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.floor(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
