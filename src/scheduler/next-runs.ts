// Upcoming runs, for `prisma-celery schedule next` and monitors. Pure, and
// the same maths beat uses (entryDueState / Schedule.nextRunAfter).
import { DateTime } from 'luxon';
import { entryDueState, type Entry } from './entry.js';
import { chainRuns } from './schedules/schedule.js';
import type { AnySchedule } from './schedules/index.js';

/**
 * The next `count` runs of an entry as beat would send them, from `from`:
 * its next due time (`from` itself when overdue: beat sends an overdue
 * entry once, at once), then the schedule's following runs after each.
 */
export function entryNextRuns(entry: Entry, from: Date, count: number): Date[] {
  let first: Date | null;
  const state = entryDueState(entry, from);
  if (state.due) first = from;
  else if (Number.isFinite(state.nextCheckSeconds)) first = new Date(from.getTime() + millisecondsOf(state.nextCheckSeconds));
  else first = null;
  let used = false;
  return chainRuns(
    (after) => {
      if (!used) {
        used = true;
        return first;
      }
      const next = entry.schedule.nextRunAfter(after);
      return next !== null && entry.expires !== null && next >= entry.expires ? null : next;
    },
    from,
    count,
  );
}

/**
 * Seconds as whole milliseconds, rounded up, without the float's noise:
 * 2.007 s times 1000 is 2007.0000000000002 as a float, which must stay 2007.
 */
const millisecondsOf = (seconds: number): number => Math.ceil(Math.round(seconds * 1e6) / 1e3);

/** The zone a schedule's times read best in: the crontab's own, else UTC. */
export function zoneOf(schedule: AnySchedule): string {
  return schedule.kind === 'crontab' ? schedule.timezone : 'UTC';
}

/** ISO 8601 with the zone's offset, milliseconds only when there are some: 2026-03-29T03:00:00+02:00. */
export function formatInstant(at: Date, zone = 'UTC'): string {
  const local = DateTime.fromJSDate(at, { zone });
  return local.toFormat(at.getUTCMilliseconds() === 0 ? "yyyy-MM-dd'T'HH:mm:ssZZ" : "yyyy-MM-dd'T'HH:mm:ss.SSSZZ");
}
