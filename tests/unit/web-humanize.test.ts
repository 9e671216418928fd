// The monitor's humanized times (djcelery.humanize.naturaldate), the very
// file the browser loads.
import { describe, expect, it } from 'vitest';
import { exactTime, naturalDate, shortDuration } from '../../src/web/assets/humanize.js';

const now = new Date('2026-11-29T13:00:00Z'); // 14:00 in Berlin
const before = (ms: number): Date => new Date(now.getTime() - ms);
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const berlin = { timeZone: 'Europe/Berlin' };

describe('naturalDate', () => {
  it.each([
    [0, 'just now'],
    [59 * SECOND, 'just now'],
    [MINUTE, '1 minute ago'],
    [3 * MINUTE + 59 * SECOND, '3 minutes ago'],
    [59 * MINUTE, '59 minutes ago'],
    [HOUR, '1 hour ago'],
    // djcelery floors the hours: 1 h 59 min is still one hour.
    [HOUR + 59 * MINUTE, '1 hour ago'],
    [23 * HOUR + 59 * MINUTE, '23 hours ago'],
  ])('%i ms ago reads "%s"', (ms, words) => {
    expect(naturalDate(before(ms), now, berlin)).toBe(words);
  });

  it('counts seconds when asked to', () => {
    expect(naturalDate(before(SECOND), now, { ...berlin, includeSeconds: true })).toBe('1 second ago');
    expect(naturalDate(before(42 * SECOND), now, { ...berlin, includeSeconds: true })).toBe('42 seconds ago');
    expect(naturalDate(before(300), now, { ...berlin, includeSeconds: true })).toBe('just now');
  });

  it('says "yesterday at" with the wall time of the zone given', () => {
    const date = before(25 * HOUR); // 2026-11-28 12:00 UTC
    expect(naturalDate(date, now, berlin)).toBe('yesterday at 13:00');
    expect(naturalDate(date, now, { timeZone: 'UTC' })).toBe('yesterday at 12:00');
    expect(naturalDate(date, now, { timeZone: 'Asia/Tokyo' })).toBe('yesterday at 21:00');
  });

  it('decides "yesterday" by the calendar of the zone, not by 48 hours', () => {
    // 40 hours before: 22:00 two days back in Berlin, but 06:00 yesterday in Tokyo (now 22:00 there).
    const date = before(40 * HOUR);
    expect(naturalDate(date, now, berlin)).toBe('2 days ago');
    expect(naturalDate(date, now, { timeZone: 'Asia/Tokyo' })).toBe('yesterday at 06:00');
  });

  it.each([
    [3 * DAY, '3 days ago'],
    [7 * DAY, '1 week ago'],
    [17 * DAY, '2 weeks ago'],
    [30 * DAY, '1 month ago'],
    [75 * DAY, '3 months ago'],
    [365 * DAY, '1 year ago'],
    [800 * DAY, '2 years ago'],
  ])('%i ms ago reads "%s"', (ms, words) => {
    expect(naturalDate(before(ms), now, berlin)).toBe(words);
  });

  it('reads a time ahead of the clock as "just now", as djcelery does', () => {
    expect(naturalDate(new Date(now.getTime() + 5 * MINUTE), now, berlin)).toBe('just now');
  });

  it('counts calendar days across a DST change (a 25-hour day)', () => {
    const afterChange = new Date('2026-10-26T10:00:00Z'); // Monday, the day after Berlin fell back
    expect(naturalDate(new Date('2026-10-24T10:00:00Z'), afterChange, berlin)).toBe('2 days ago');
    expect(naturalDate(new Date('2026-10-25T08:00:00Z'), afterChange, berlin)).toBe('yesterday at 09:00');
  });
});

describe('exactTime', () => {
  it('writes the instant on the wall clock of the zone, with the zone', () => {
    expect(exactTime(now, { timeZone: 'UTC' })).toBe('2026-11-29 13:00:00 UTC');
    expect(exactTime(now, berlin)).toMatch(/^2026-11-29 14:00:00 (CET|GMT\+1)$/);
    expect(exactTime(new Date('2026-07-01T23:30:05Z'), { timeZone: 'Asia/Kolkata' })).toMatch(/^2026-07-02 05:00:05 /);
  });
});

describe('shortDuration', () => {
  it.each([
    [0.0123, '12 ms'],
    [0.999, '999 ms'],
    [2.4123, '2.41 s'],
    [12.34, '12.3 s'],
    [185, '3 min 5 s'],
    [7900, '2 h 11 min'],
  ])('%f s reads "%s"', (seconds, text) => {
    expect(shortDuration(seconds)).toBe(text);
  });
});
