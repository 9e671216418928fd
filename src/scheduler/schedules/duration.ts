import { parseDuration as parseDurationText } from '../../config/duration.js';
import { ScheduleError } from './errors.js';

/** Shortest duration a schedule may use: beat cannot act on anything finer. */
export const MIN_DURATION_SECONDS = 0.001;
/** Longest: 100 years, far beyond any real schedule, and safe for Date arithmetic. */
export const MAX_DURATION_SECONDS = 100 * 365 * 86_400;

/**
 * Seconds in a duration given as `500ms`, `90s`, `5m`, `2h`, `1d`, or plain
 * seconds (`30`, `2.5`, or a number), as a static schedule's `schedule:`
 * accepts both.
 */
export function parseDuration(input: string | number): number {
  const shown = typeof input === 'number' ? String(input) : JSON.stringify(input);
  let seconds: number;
  if (typeof input === 'number') {
    seconds = input;
  } else {
    const parsed = parseDurationText(input);
    if (parsed === undefined) {
      throw new ScheduleError(
        `duration ${shown}: expected seconds, or a number with a unit ms, s, m, h or d (e.g. "90s", "5m", "500ms")`,
      );
    }
    seconds = parsed;
  }
  if (!Number.isFinite(seconds) || seconds < MIN_DURATION_SECONDS || seconds > MAX_DURATION_SECONDS) {
    throw new ScheduleError(`duration ${shown}: must be between 1ms and 100 years`);
  }
  return seconds;
}
