// Our solar times against Celery's own (tests/fixtures/celery-5.2.6-solar,
// made by tests/support/python/solar_times.py with Celery 5.2.6 and PyEphem).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ScheduleError, SolarSchedule } from '../../src/scheduler/schedules/index.js';

interface SolarRecord {
  event: string;
  lat: number;
  lon: number;
  start: string;
  next: string;
  circumpolar?: boolean;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/celery-5.2.6-solar/times.json', import.meta.url), 'utf8')) as {
  records: SolarRecord[];
};

describe('SolarSchedule', () => {
  it('gives Celery’s solar times within a minute over a year at latitudes 0, 40.7, -33.9, 60.2 and 64.1', () => {
    const schedules = new Map<string, SolarSchedule>();
    let worst = { seconds: 0, record: fixture.records[0] };
    for (const record of fixture.records) {
      const key = `${record.event} ${record.lat} ${record.lon}`;
      let schedule = schedules.get(key);
      if (!schedule) schedules.set(key, (schedule = new SolarSchedule({ event: record.event, latitude: record.lat, longitude: record.lon })));
      const ours = schedule.nextRunAfter(new Date(record.start));
      expect(ours, key).not.toBeNull();
      const seconds = Math.abs((ours as Date).getTime() - new Date(record.next).getTime()) / 1000;
      if (seconds > worst.seconds) worst = { seconds, record };
    }
    expect(fixture.records.length).toBeGreaterThan(2000);
    expect(fixture.records.some((record) => record.circumpolar)).toBe(true);
    expect(worst.seconds, JSON.stringify(worst.record)).toBeLessThan(60);
  });

  it('is due once the event after the last run has passed, then waits for the next one', () => {
    const sunrise = new SolarSchedule({ event: 'sunrise', latitude: 40.7128, longitude: -74.006 });
    const last = new Date('2026-06-01T12:00:00Z');
    const next = sunrise.nextRunAfter(last) as Date;
    // New York's sunrise on 2 June is at 09:25 UTC.
    expect(next.toISOString().slice(0, 13)).toBe('2026-06-02T09');
    expect(sunrise.isDue(last, new Date(next.getTime() - 10_000))).toEqual({ due: false, nextCheckSeconds: 10 });
    const state = sunrise.isDue(last, new Date(next.getTime() + 1000));
    expect(state.due).toBe(true);
    expect(state.nextCheckSeconds).toBeGreaterThan(23 * 3600);
    expect(sunrise.describe()).toBe('at sunrise (40.7128, -74.006)');
  });

  it('refuses an unknown event and coordinates out of range, naming the field', () => {
    const fieldOf = (spec: { event: string; latitude: number; longitude: number }) => {
      try {
        new SolarSchedule(spec);
      } catch (error) {
        return error instanceof ScheduleError ? error.field : 'not a ScheduleError';
      }
      return 'accepted';
    };
    expect(fieldOf({ event: 'moonrise', latitude: 0, longitude: 0 })).toBe('event');
    expect(fieldOf({ event: 'sunset', latitude: 91, longitude: 0 })).toBe('latitude');
    expect(fieldOf({ event: 'sunset', latitude: 0, longitude: -181 })).toBe('longitude');
  });
});
