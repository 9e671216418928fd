// Time zone names as Python reads them. A crontab row's zone is read by
// beat here and by Python tools (django-celery-beat, its admin) through
// zoneinfo, so a name is taken only when zoneinfo loads it, and is stored
// spelt as tzdata spells it (zoneinfo's lookups are case-sensitive on Linux).
//
// The names are a list committed from IANA tzdata (zone-names.ts), not
// Intl.supportedValuesOf('timeZone'): that one follows the ICU built into
// Node, so it differs between Node versions, lists no links (US/Pacific,
// and on Node 20 not even UTC) and spells some zones the CLDR way
// (Asia/Calcutta for Asia/Kolkata); Intl and luxon also still accept names
// tzdata dropped, such as US/Pacific-New.
import { ScheduleError } from './errors.js';
import { TZDATA_VERSION, ZONE_NAMES } from './zone-names.js';

let byFolded: Map<string, string> | undefined;

/** The tzdata spelling of a zone name, whatever its case; ScheduleError (field `timezone`) when tzdata has no such name. */
export function canonicalTimeZone(name: string): string {
  byFolded ??= new Map(ZONE_NAMES.trim().split(/\s+/).map((zone) => [zone.toLowerCase(), zone]));
  const zone = typeof name === 'string' ? byFolded.get(name.toLowerCase()) : undefined;
  if (zone === undefined) {
    throw new ScheduleError(
      `unknown time zone ${JSON.stringify(name)}: give a tzdata name such as "Europe/Berlin" or "UTC" (IANA tzdata ${TZDATA_VERSION})`,
      { field: 'timezone' },
    );
  }
  return zone;
}
