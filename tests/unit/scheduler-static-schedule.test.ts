// The static schedule (beatSchedule, Celery's CELERYBEAT_SCHEDULE) and the
// API's input checks that it goes through.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { BACKEND_CLEANUP, defineTask, parseStaticSchedule, SchedulerError, withDefaultEntries } from '../../src/scheduler/index.js';

const configError = (raw: unknown): string => {
  try {
    parseStaticSchedule(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('parseStaticSchedule', () => {
  it('takes seconds, durations, crontab expressions and crontab objects, and the apply_async options', () => {
    const entries = parseStaticSchedule({
      'every-30': { task: 'tasks.add', schedule: 30, args: [16, 16] },
      report: { task: 'tasks.report', schedule: '1h', kwargs: { full: true }, options: { queue: 'reports', expires: 600, priority: 5 } },
      nightly: { task: 'tasks.cleanup', schedule: { crontab: '30 2 * * *', timezone: 'Europe/Berlin' } },
      monday: { task: 'tasks.mail', schedule: { minute: 0, hour: 9, day_of_week: 'mon' } },
      routed: { task: 'tasks.x', schedule: 5, options: { exchange: 'ex', routing_key: 'rk', expires: '2030-01-01T00:00:00Z', headers: { a: 1 } } },
      tenMinutes: { task: 'tasks.y', schedule: 5, options: { expires: '10m' } },
    });
    expect(entries).toEqual([
      { name: 'every-30', task: 'tasks.add', schedule: { every: 30 }, args: [16, 16] },
      { name: 'report', task: 'tasks.report', schedule: { every: '1h' }, kwargs: { full: true }, queue: 'reports', priority: 5, expireSeconds: 600 },
      { name: 'nightly', task: 'tasks.cleanup', schedule: { crontab: '30 2 * * *', timezone: 'Europe/Berlin' } },
      { name: 'monday', task: 'tasks.mail', schedule: { crontab: { minute: 0, hour: 9, dayOfWeek: 'mon' } } },
      { name: 'routed', task: 'tasks.x', schedule: { every: 5 }, exchange: 'ex', routingKey: 'rk', headers: { a: 1 }, expires: '2030-01-01T00:00:00Z' },
      { name: 'tenMinutes', task: 'tasks.y', schedule: { every: 5 }, expireSeconds: 600 },
    ]);
    expect(defineTask(entries[3]!).schedule).toMatchObject({ kind: 'crontab', minute: '0', hour: '9', dayOfWeek: 'mon' });
  });

  it('reads JSON text, as the flag and the environment give it', () => {
    expect(parseStaticSchedule('{"a": {"task": "t", "schedule": "5m"}}')).toEqual([{ name: 'a', task: 't', schedule: { every: '5m' } }]);
    expect(configError('{"a": ')).toMatch(/^not valid JSON: /);
  });

  it('names the entry and the problem', () => {
    expect(configError([])).toMatch(/^must be an object of entries by name/);
    expect(configError({ a: { task: 't' } })).toBe('entry "a": schedule must be seconds, a duration ("5m"), or an object such as {"crontab": "0 4 * * *"}');
    expect(configError({ a: { task: 't', schedule: 'often' } })).toMatch(/^entry "a": duration "often": expected seconds/);
    expect(configError({ a: { task: 't', schedule: { crontab: '0 4 * *' } } })).toMatch(/^entry "a": crontab "0 4 \* \*": expected 5 fields/);
    expect(configError({ a: { task: 't', schedule: { hour: 4, weekday: 1 } } })).toMatch(/^entry "a": schedule: unknown key "weekday"/);
    expect(configError({ a: { task: 't', schedule: 5, every: 5 } })).toMatch(/^entry "a": unknown key every/);
    expect(configError({ a: { task: 't', schedule: 5, options: { countdown: 5 } } })).toMatch(/^entry "a": unknown option countdown/);
    expect(configError({ a: { task: '', schedule: 5 } })).toBe('entry "a": task must be a non-empty string');
    expect(configError({ a: { task: 't', schedule: 5, args: 'x' } })).toBe('entry "a": args must be a list');
  });
});

describe('withDefaultEntries', () => {
  it("adds Celery's celery.backend_cleanup (04:00 daily, expiring after 12 h) when results expire", () => {
    expect(withDefaultEntries([], { resultExpires: 86_400 })).toEqual([BACKEND_CLEANUP]);
    expect(BACKEND_CLEANUP).toMatchObject({ task: 'celery.backend_cleanup', schedule: { crontab: '0 4 * * *' }, expireSeconds: 43_200 });
    expect(withDefaultEntries([], { resultExpires: 0 })).toEqual([]);
    expect(withDefaultEntries([], {})).toEqual([]);
    const own = { name: 'celery.backend_cleanup', task: 'celery.backend_cleanup', schedule: { every: '1h' } };
    expect(withDefaultEntries([own], { resultExpires: 60 })).toEqual([own]);
  });
});

describe('defineTask', () => {
  const field = (input: Parameters<typeof defineTask>[0]): string | undefined => {
    try {
      defineTask(input);
    } catch (error) {
      if (error instanceof SchedulerError) return error.field;
      throw error;
    }
    return undefined;
  };

  it('stores a duration as the interval that says it exactly', () => {
    const schedule = (every: string | number) => defineTask({ name: 'a', task: 't', schedule: { every } }).schedule;
    expect(schedule('90s')).toEqual({ kind: 'interval', every: 90, period: 'seconds' });
    expect(schedule('5m')).toEqual({ kind: 'interval', every: 5, period: 'minutes' });
    expect(schedule(86_400)).toEqual({ kind: 'interval', every: 1, period: 'days' });
    expect(schedule('500ms')).toEqual({ kind: 'interval', every: 500_000, period: 'microseconds' });
  });

  it('reads instants with offsets, and without one as UTC', () => {
    const definition = defineTask({ name: 'a', task: 't', schedule: { clocked: '2030-01-02T03:04:05' }, startTime: '2030-01-01T00:00:00+02:00' });
    expect(definition.schedule).toEqual({ kind: 'clocked', clockedTime: new Date('2030-01-02T03:04:05Z') });
    expect(definition.startTime).toEqual(new Date('2029-12-31T22:00:00Z'));
    expect(field({ name: 'a', task: 't', schedule: { clocked: 'tomorrow' } })).toBe('clocked');
  });

  it('checks what the message would need', () => {
    expect(field({ name: 'a', task: 't', schedule: { every: 5 }, queue: 'x'.repeat(256) })).toBe('queue');
    expect(field({ name: 'a', task: 't', schedule: { every: 5 }, headers: { n: 1.5, big: 2 ** 33 } })).toBe('headers');
    expect(field({ name: 'a', task: 't', schedule: { every: 5 }, expireSeconds: 1.5 })).toBe('expireSeconds');
    expect(field({ name: 'a', task: 't', schedule: { every: 5 }, oneOff: 'yes' as never })).toBe('oneOff');
    expect(field({ name: 'a'.repeat(201), task: 't', schedule: { every: 5 } })).toBe('name');
  });
});
