import { describe, expect, it } from 'vitest';
import { ScheduleCache } from '../../src/scheduler/schedule-cache.js';
import { CrontabSchedule, ScheduleError } from '../../src/scheduler/schedules/index.js';

describe('ScheduleCache', () => {
  it('shares one schedule per definition', () => {
    const cache = new ScheduleCache();
    const a = cache.get({ interval: { every: 5, period: 'minutes' } });
    expect(cache.get({ interval: { every: 5, period: 'minutes' } })).toBe(a);
    expect(cache.get({ interval: { every: 6, period: 'minutes' } })).not.toBe(a);
    const c = cache.get({ crontab: { minute: '0', hour: '4', timezone: 'Europe/Berlin' } });
    expect(cache.get({ crontab: { minute: '0', hour: '4', timezone: 'Europe/Berlin' } })).toBe(c);
    expect(cache.get({ crontab: { minute: '0', hour: '4', timezone: 'UTC' } })).not.toBe(c);
  });

  it('knows a frozen spec by identity, and an unfrozen one only by its definition', () => {
    const cache = new ScheduleCache();
    const frozen = Object.freeze({ every: 5, period: 'minutes' });
    const a = cache.get({ interval: frozen });
    expect(cache.get({ interval: frozen })).toBe(a);
    // An unfrozen spec may change between calls: it is looked up by what it says now.
    const open = { every: 7, period: 'minutes' };
    const b = cache.get({ interval: open });
    open.every = 9;
    expect(cache.get({ interval: open }).describe()).toBe('every 9 minutes');
    expect(b.describe()).toBe('every 7 minutes');
    // A frozen invalid spec is not remembered either.
    const bad = Object.freeze({ minute: '*', hour: '25', dayOfWeek: '*', dayOfMonth: '*', monthOfYear: '*', timezone: 'UTC' });
    for (let i = 0; i < 2; i++) expect(() => cache.get({ crontab: bad })).toThrow(ScheduleError);
  });

  it('throws the schedule error for an invalid definition every time', () => {
    const cache = new ScheduleCache();
    for (let i = 0; i < 2; i++) expect(() => cache.get({ crontab: { hour: '25' } })).toThrow(ScheduleError);
    expect(() => cache.get({})).toThrow(/exactly one schedule/);
  });

  it("answers crontab next runs as the schedule itself does, at and between minute boundaries and across DST", () => {
    const cache = new ScheduleCache();
    for (const [spec, zone] of [
      ['*/7 1-3 * * *', 'Europe/Berlin'],
      ['30 1 * * *', 'America/New_York'],
      ['0,15,45 2 * * *', 'Australia/Lord_Howe'],
    ] as const) {
      const [minute, hour, dayOfMonth, monthOfYear, dayOfWeek] = spec.split(' ');
      const fields = { minute, hour, dayOfMonth, monthOfYear, dayOfWeek, timezone: zone };
      const memo = cache.get({ crontab: fields });
      const plain = new CrontabSchedule(fields);
      let seed = 7;
      const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
      for (const base of ['2026-03-28T22:00:00Z', '2026-11-01T04:00:00Z', '2026-10-03T14:00:00Z', '2026-04-04T13:00:00Z']) {
        for (let i = 0; i < 400; i++) {
          const offset = Math.floor(random() * 8 * 3600) * 1000;
          // Whole minutes, a millisecond either side, and anywhere in between.
          const t = new Date(Date.parse(base) + [offset - (offset % 60_000), offset - (offset % 60_000) - 1, offset + 1, offset][i % 4]!);
          expect(memo.nextRunAfter(t), `${spec} ${zone} after ${t.toISOString()}`).toEqual(plain.nextRunAfter(t));
          expect(memo.isDue(t, new Date(t.getTime() + 3_600_000))).toEqual(plain.isDue(t, new Date(t.getTime() + 3_600_000)));
        }
      }
    }
  });
});
