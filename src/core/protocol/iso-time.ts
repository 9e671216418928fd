import { ProtocolError } from './errors.js';

/**
 * `datetime.isoformat()` of an aware UTC datetime, as Celery writes eta and
 * expires: "+00:00" rather than "Z", six fraction digits, or none when the
 * fraction is zero. A Date holds milliseconds, so the last three digits are
 * always 0.
 */
export function pythonIsoformat(instant: Date, what: string): string {
  const ms = instant.getTime();
  if (!Number.isFinite(ms)) throw new ProtocolError(`${what}: invalid Date`);
  const year = instant.getUTCFullYear();
  // Python's datetime stops at years 1..9999; the worker could not parse more.
  if (year < 1 || year > 9999) throw new ProtocolError(`${what}: year ${year} is outside 1..9999`);
  const iso = instant.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ for these years
  const fraction = instant.getUTCMilliseconds() === 0 ? '' : `.${iso.slice(20, 23)}000`;
  return `${iso.slice(0, 19)}${fraction}+00:00`;
}

// The ISO 8601 forms Celery's worker reads (celery.utils.iso8601) that a
// client would write: date, "T" or space, hours and minutes, optional
// seconds and fraction, optional "Z" or ±HH:MM offset.
const ISO_DATETIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Epoch milliseconds of an ISO 8601 date-time; a value without an offset is
 * UTC, which is how the 5.2.6 worker reads naive eta/expires. Fractions
 * below a millisecond are dropped (truncated, as Python's int() would).
 */
export function parseIsoInstant(text: string, what: string): number {
  const m = ISO_DATETIME.exec(text);
  if (!m) throw new ProtocolError(`${what}: ${JSON.stringify(text)} is not an ISO 8601 date-time like 2030-01-02T03:04:05+00:00`);
  const [, y, mo, d, h, mi, s = '0', fraction = '', offset = 'Z'] = m;
  const fields = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = fields;
  // setUTCFullYear, unlike Date.UTC, does not move years 0..99 to the 1900s.
  const check = new Date(0);
  check.setUTCFullYear(year, month - 1, day);
  check.setUTCHours(hour, minute, second, Number(fraction.slice(0, 3).padEnd(3, '0')));
  const local = check.getTime();
  if (
    year < 1 ||
    check.getUTCFullYear() !== year ||
    check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    throw new ProtocolError(`${what}: ${JSON.stringify(text)} is not a valid date-time`);
  }
  if (offset === 'Z') return local;
  const sign = offset.startsWith('-') ? -1 : 1;
  const offsetMinutes = Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6));
  if (offsetMinutes >= 24 * 60) throw new ProtocolError(`${what}: ${JSON.stringify(text)} has an offset of a day or more`);
  return local - sign * offsetMinutes * 60_000;
}
