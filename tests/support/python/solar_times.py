"""Celery's own solar times, as a fixture for our solar schedule.

For each event, observer and start instant, records the next event time
Celery 5.2's `celery.schedules.solar` computes (its `remaining_estimate`
from that instant, i.e. the run after a run at `start`). Where PyEphem says
the sun never crosses that altitude that day (Celery 5.2.6 then fails with a
TypeError), the record holds the next time the event does happen, found with
the same observer settings, and is marked `circumpolar`.

Run: python3 tests/support/python/solar_times.py > tests/fixtures/celery-5.2.6-solar/times.json
"""
import json
import sys
from datetime import datetime, timedelta, timezone

import celery
import ephem
from celery.schedules import solar

OBSERVERS = [(0.0, 32.6), (40.7128, -74.006), (-33.8688, 151.2093), (60.1699, 24.9384), (64.1466, -21.9426)]
EVENTS = sorted(solar._all_events)
START = datetime(2026, 1, 1, 3, 0, tzinfo=timezone.utc)
# 53 starts over the year, each at another time of day.
STEP = timedelta(days=7, hours=5, minutes=17)


def iso(moment):
    return moment.astimezone(timezone.utc).isoformat(timespec='seconds').replace('+00:00', 'Z')


def next_event(schedule, start):
    """The next event after `start` with Celery's observer; circumpolar days are skipped."""
    cal = schedule.cal
    method = getattr(cal, schedule.method)
    probe = start
    for _ in range(400):
        cal.date = probe
        try:
            if schedule.use_center:
                found = method(ephem.Sun(), start=probe, use_center=True)
            else:
                found = method(ephem.Sun(), start=probe)
            return found.datetime().replace(tzinfo=timezone.utc), probe != start
        except ephem.CircumpolarError:
            probe = probe + timedelta(hours=12)
    raise RuntimeError('no event within 200 days')


def main():
    records = []
    for lat, lon in OBSERVERS:
        for event in EVENTS:
            schedule = solar(event, lat, lon)
            start = START
            while start.year == 2026:
                at, circumpolar = next_event(schedule, start)
                if not circumpolar:
                    # The same instant through Celery's own entry point.
                    celery_at = start + schedule.remaining_estimate(start) + (schedule.now() - start)
                    drift = abs((celery_at - at).total_seconds())
                    assert drift < 1, (event, lat, lon, start, celery_at, at)
                record = {'event': event, 'lat': lat, 'lon': lon, 'start': iso(start), 'next': iso(at)}
                if circumpolar:
                    record['circumpolar'] = True
                records.append(record)
                start += STEP
    # One record a line: small diffs, readable.
    lines = ',\n'.join(json.dumps(record) for record in records)
    sys.stdout.write(f'{{"celery": "{celery.__version__}", "ephem": "{ephem.__version__}", "records": [\n{lines}\n]}}\n')


if __name__ == '__main__':
    main()
