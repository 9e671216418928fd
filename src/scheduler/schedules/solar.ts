// Celery's `solar` schedule: a run at a solar event (sunrise, sunset,
// twilight, noon) seen from a latitude and longitude.
//
// Celery asks PyEphem, with pressure 0 (no refraction model) and elevation
// 0, for the next crossing of a horizon per event: sunrise and sunset put
// the sun's upper limb 34′ below the horizon; the dawns and dusks put its
// centre 6°, 12° or 18° below; solar noon is the meridian transit. Celery
// 5.2's astronomical dusk has its horizon at +18° (not −18°), so Python's
// beat runs it as the sun sinks through 18° above the horizon, mid
// afternoon; we keep that, as a deployment sharing a table with Python's
// beat must run each entry at the same time as it does.
//
// The times come from astronomy-engine (VSOP87-based, within an arcminute
// of JPL's ephemerides, no dependencies) rather than suncalc: suncalc's
// closed-form hour angle uses noon's declination all day and drifts by
// minutes at high latitudes, while astronomy-engine searches the sun's
// actual altitude, as PyEphem does. tests/unit/solar-schedule.test.ts holds
// it within a minute of Celery's own times over a year at five latitudes.
//
// Where the sun does not cross that altitude on a day (polar day or night),
// the run falls on the next day it does. (Celery 5.2.6 with PyEphem 4.1
// fails there with a TypeError in its fallback.)
import * as Astronomy from 'astronomy-engine';
import { ScheduleError } from './errors.js';
import { chainRuns, secondsUntil, type Schedule, type ScheduleState } from './schedule.js';

/** django-celery-beat's SOLAR_SCHEDULES, Celery's `solar` events. */
export const SOLAR_EVENTS = [
  'dawn_astronomical',
  'dawn_civil',
  'dawn_nautical',
  'dusk_astronomical',
  'dusk_civil',
  'dusk_nautical',
  'solar_noon',
  'sunrise',
  'sunset',
] as const;
export type SolarEvent = (typeof SOLAR_EVENTS)[number];

/** A solar row's data (django_celery_beat_solarschedule). */
export interface SolarSpec {
  readonly event: string;
  readonly latitude: number;
  readonly longitude: number;
}

type Crossing =
  | { readonly kind: 'altitude'; readonly direction: 1 | -1; readonly degrees: number; readonly limb: boolean }
  | { readonly kind: 'transit' };

const HORIZON_34 = 34 / 60;

const CROSSINGS: Readonly<Record<SolarEvent, Crossing>> = {
  dawn_astronomical: { kind: 'altitude', direction: 1, degrees: -18, limb: false },
  dawn_nautical: { kind: 'altitude', direction: 1, degrees: -12, limb: false },
  dawn_civil: { kind: 'altitude', direction: 1, degrees: -6, limb: false },
  sunrise: { kind: 'altitude', direction: 1, degrees: -HORIZON_34, limb: true },
  solar_noon: { kind: 'transit' },
  sunset: { kind: 'altitude', direction: -1, degrees: -HORIZON_34, limb: true },
  dusk_civil: { kind: 'altitude', direction: -1, degrees: -6, limb: false },
  dusk_nautical: { kind: 'altitude', direction: -1, degrees: -12, limb: false },
  dusk_astronomical: { kind: 'altitude', direction: -1, degrees: 18, limb: false },
};

const SUN_RADIUS_KM = 696_000;
/**
 * The search starts this long after the last run, so the event just run is
 * not found again through the solver's last digits; events of one kind are
 * hours apart.
 */
const AFTER_MS = 1000;
/** Far enough to leave any polar night or day; at the poles the sun crosses the horizon twice a year. */
const SEARCH_DAYS = 366;

function isEvent(event: string): event is SolarEvent {
  return (SOLAR_EVENTS as readonly string[]).includes(event);
}

export class SolarSchedule implements Schedule {
  readonly kind = 'solar';
  readonly event: SolarEvent;
  readonly latitude: number;
  readonly longitude: number;
  readonly #observer: Astronomy.Observer;

  constructor(spec: SolarSpec) {
    if (!isEvent(spec.event)) {
      throw new ScheduleError(`solar event "${spec.event}": must be one of ${SOLAR_EVENTS.join(', ')}`, { field: 'event' });
    }
    if (!Number.isFinite(spec.latitude) || spec.latitude < -90 || spec.latitude > 90) {
      throw new ScheduleError(`solar latitude ${spec.latitude}: must be from -90 to 90`, { field: 'latitude' });
    }
    if (!Number.isFinite(spec.longitude) || spec.longitude < -180 || spec.longitude > 180) {
      throw new ScheduleError(`solar longitude ${spec.longitude}: must be from -180 to 180`, { field: 'longitude' });
    }
    this.event = spec.event;
    this.latitude = spec.latitude;
    this.longitude = spec.longitude;
    this.#observer = new Astronomy.Observer(spec.latitude, spec.longitude, 0);
  }

  /** Celery: due once the event after the last run has passed; then check again at the event after now. */
  isDue(lastRunAt: Date | null, now: Date): ScheduleState {
    const next = lastRunAt === null ? now : this.nextRunAfter(lastRunAt);
    if (next === null) return { due: false, nextCheckSeconds: Infinity };
    if (next > now) return { due: false, nextCheckSeconds: secondsUntil(next, now) };
    const following = this.nextRunAfter(now);
    return { due: true, nextCheckSeconds: following === null ? Infinity : secondsUntil(following, now) };
  }

  /** The first event after `lastRunAt` (null only if the sun never crosses that altitude within a year). */
  nextRunAfter(lastRunAt: Date): Date | null {
    const start = new Date(lastRunAt.getTime() + AFTER_MS);
    const crossing = CROSSINGS[this.event];
    if (crossing.kind === 'transit') return Astronomy.SearchHourAngle(Astronomy.Body.Sun, this.#observer, 0, start).time.date;
    const degrees = crossing.limb ? crossing.degrees - sunRadiusDegrees(start) : crossing.degrees;
    return Astronomy.SearchAltitude(Astronomy.Body.Sun, this.#observer, crossing.direction, start, SEARCH_DAYS, degrees)?.date ?? null;
  }

  nextRunsAfter(from: Date, count: number): Date[] {
    return chainRuns((after) => this.nextRunAfter(after), from, count);
  }

  describe(): string {
    return `at ${this.event.replace('_', ' ')} (${this.latitude}, ${this.longitude})`;
  }

  toCron(): null {
    return null;
  }
}

/** The sun's apparent radius (its distance varies by 3 % over the year: 15.7′ to 16.3′). */
function sunRadiusDegrees(at: Date): number {
  const distanceKm = Astronomy.GeoVector(Astronomy.Body.Sun, at, true).Length() * Astronomy.KM_PER_AU;
  return (Math.atan(SUN_RADIUS_KM / distanceKm) * 180) / Math.PI;
}
