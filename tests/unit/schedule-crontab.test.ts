import { describe, expect, it } from 'vitest';
import { CrontabSchedule, parseCrontabField, ScheduleError, type CrontabFieldName } from '../../src/scheduler/schedules/index.js';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

describe('crontab fields, as Celery parses them', () => {
  it.each([
    ['minute', '*/15', [0, 15, 30, 45]],
    ['minute', '1-30/5', [1, 6, 11, 16, 21, 26]],
    ['minute', '1,13,30-32,50-59/4', [1, 13, 30, 31, 32, 50, 54, 58]],
    ['minute', '*/90', [0]], // a step past the end keeps the first value, as Python's [::90] does
    ['hour', '22-2', [0, 1, 2, 22, 23]], // ranges wrap past the end
    ['hour', '22-2/2', [0, 2, 22]], // the step walks the wrapped range
    ['hour', ' 8 , 17 ', [8, 17]],
    ['day_of_week', 'mon-fri', [1, 2, 3, 4, 5]],
    ['day_of_week', 'fri-mon', [0, 1, 5, 6]],
    ['day_of_week', 'Sunday,SAT', [0, 6]],
    ['day_of_week', '7', [0]], // Sunday, as in Vixie cron
    ['day_of_week', '5-7', [0, 5, 6]],
    ['day_of_week', '0-7', [0, 1, 2, 3, 4, 5, 6]],
    ['day_of_week', 'mon-fri/2', [1, 3, 5]],
    ['day_of_month', '*/10', [1, 11, 21, 31]],
    ['month_of_year', 'jan,Jul,december', [1, 7, 12]],
    ['month_of_year', '2-12/2', [2, 4, 6, 8, 10, 12]],
  ] as const)('%s "%s" is %o', (field, text, values) => {
    expect(parseCrontabField(field, text)).toEqual(values);
  });

  it.each([
    ['minute', '61', 'crontab minute "61": must be 0-59'],
    ['minute', '0,61', 'crontab minute "0,61": 61 must be 0-59'],
    ['hour', '24', 'crontab hour "24": must be 0-23'],
    ['hour', '9-25', 'crontab hour "9-25": 25 must be 0-23'],
    ['day_of_week', '8', 'crontab day_of_week "8": must be 0-7 or sun-sat'],
    ['day_of_week', 'mon-funday', 'crontab day_of_week "mon-funday": "funday" is not a number or a name (0-7 or sun-sat)'],
    ['day_of_month', '0', 'crontab day_of_month "0": must be 1-31'],
    ['day_of_month', '32', 'crontab day_of_month "32": must be 1-31'],
    ['month_of_year', '13', 'crontab month_of_year "13": must be 1-12 or jan-dec'],
    ['month_of_year', 'foo', 'crontab month_of_year "foo": not a number or a name (1-12 or jan-dec)'],
    ['minute', 'mon', 'crontab minute "mon": not a number'], // Celery would read 1 here, by accident
    ['minute', '', 'crontab minute "": must not be empty'],
    ['minute', '1,,2', 'crontab minute "1,,2": an item of the list is empty'],
    ['minute', '-5', 'crontab minute "-5": negative numbers and open-ended ranges are not allowed'],
    ['minute', '5-', 'crontab minute "5-": negative numbers and open-ended ranges are not allowed'],
    ['minute', '1-2-3', 'crontab minute "1-2-3": a range has two ends, as in "1-5"'],
    ['minute', '*/0', 'crontab minute "*/0": a step must be a whole number of at least 1'],
    ['minute', '*/', 'crontab minute "*/": a step must be a whole number of at least 1'],
    ['minute', '*/5/2', 'crontab minute "*/5/2": an item may have only one step'],
    ['minute', '5/15', 'crontab minute "5/15": a step needs * or a range before it, as in "*/15" or "5-59/15"'],
  ] as const)('%s "%s" fails: %s', (field, text, message) => {
    const error = captureError(() => parseCrontabField(field, text));
    expect(error).toBeInstanceOf(ScheduleError);
    expect(error).toMatchObject({ code: 'E_SCHEDULE', message, field });
  });

  it.each([
    ['day_of_month', 'L'],
    ['day_of_month', '15W'],
    ['day_of_month', 'LW'],
    ['day_of_week', '5L'],
    ['day_of_week', 'fri#2'],
    ['day_of_week', '+mon'],
    ['day_of_month', '?'],
    ['minute', '?'],
  ] as const)('rejects croner syntax %s "%s" by name', (field: CrontabFieldName, text) => {
    expect(() => parseCrontabField(field, text)).toThrow(
      `crontab ${field} "${text}": L, W, #, ? and a leading + are croner extensions, not Celery syntax`,
    );
  });
});

describe('crontab schedule', () => {
  it('rejects an unknown time zone', () => {
    expect(captureError(() => new CrontabSchedule({ timezone: 'Mars/Olympus' }))).toMatchObject({
      code: 'E_SCHEDULE',
      message: 'unknown time zone "Mars/Olympus"',
      field: 'timezone',
    });
  });

  it('rejects a day that never comes, where Celery would search forever', () => {
    expect(() => new CrontabSchedule({ dayOfMonth: '30,31', monthOfYear: '2' })).toThrow(
      'crontab never runs: day_of_month "30,31" does not occur in month_of_year "2"',
    );
    expect(iso(new CrontabSchedule({ minute: '0', hour: '0', dayOfMonth: '29', monthOfYear: '2' }).nextRunsAfter(new Date('2026-01-01T00:00:00Z'), 2))).toEqual([
      '2028-02-29T00:00:00.000Z',
      '2032-02-29T00:00:00.000Z',
    ]);
  });

  it.each([
    ['0 0 0 * * *', 'crontab "0 0 0 * * *": expected 5 fields (minute hour day_of_month month_of_year day_of_week), got 6; Celery crontabs have no seconds or year field'],
    ['0 0 *', 'crontab "0 0 *": expected 5 fields (minute hour day_of_month month_of_year day_of_week), got 3'],
    ['@daily', 'crontab "@daily": nicknames such as @daily are not Celery syntax; write the five fields'],
  ])('rejects the expression "%s"', (expression, message) => {
    expect(() => CrontabSchedule.fromExpression(expression)).toThrow(new ScheduleError(message));
  });

  it('ANDs day_of_month and day_of_week, as Celery does (cron would OR them)', () => {
    // The first Monday of each month: only days 1-7 that are Mondays.
    const firstMonday = CrontabSchedule.fromExpression('0 9 1-7 * mon');
    expect(iso(firstMonday.nextRunsAfter(new Date('2026-01-01T00:00:00Z'), 4))).toEqual([
      '2026-01-05T09:00:00.000Z',
      '2026-02-02T09:00:00.000Z',
      '2026-03-02T09:00:00.000Z',
      '2026-04-06T09:00:00.000Z',
    ]);
    // Friday the 13th.
    const friday13 = new CrontabSchedule({ minute: '0', hour: '0', dayOfMonth: '13', dayOfWeek: 'fri' });
    expect(iso(friday13.nextRunsAfter(new Date('2026-01-01T00:00:00Z'), 3))).toEqual([
      '2026-02-13T00:00:00.000Z',
      '2026-03-13T00:00:00.000Z',
      '2026-11-13T00:00:00.000Z',
    ]);
  });

  it('reads wall-clock times in its own zone', () => {
    const kolkata = new CrontabSchedule({ minute: '0', hour: '9', timezone: 'Asia/Kolkata' });
    expect(kolkata.nextRunAfter(new Date('2026-05-01T00:00:00Z'))).toEqual(new Date('2026-05-01T03:30:00Z'));
    const sunday = CrontabSchedule.fromExpression('30 23 * * 0', 'Pacific/Auckland');
    expect(sunday.nextRunAfter(new Date('2026-05-01T00:00:00Z'))).toEqual(new Date('2026-05-03T11:30:00Z'));
  });

  describe('is_due', () => {
    const quarterly = CrontabSchedule.fromExpression('*/15 * * * *');
    const t = (hhmmss: string) => new Date(`2026-05-01T${hhmmss}Z`);

    it('is not due before the run after last_run_at, and says when that is', () => {
      expect(quarterly.isDue(t('10:00:00'), t('10:05:00'))).toEqual({ due: false, nextCheckSeconds: 600 });
    });

    it('is due from that run on, then checks again at the following run', () => {
      expect(quarterly.isDue(t('10:00:00'), t('10:15:00'))).toEqual({ due: true, nextCheckSeconds: 900 });
      expect(quarterly.isDue(t('10:00:00'), t('10:15:20'))).toEqual({ due: true, nextCheckSeconds: 880 });
      // Many runs missed: due once, not once per missed run.
      expect(quarterly.isDue(t('01:00:00'), t('10:40:00'))).toEqual({ due: true, nextCheckSeconds: 300 });
    });

    it('never counts the minute of the last run again', () => {
      expect(quarterly.nextRunAfter(t('10:15:00'))).toEqual(t('10:30:00'));
      expect(quarterly.nextRunAfter(t('10:15:30'))).toEqual(t('10:30:00'));
      expect(quarterly.nextRunAfter(t('10:14:59.999'))).toEqual(t('10:15:00'));
    });

    it('is due at once when it has never run', () => {
      expect(quarterly.isDue(null, t('10:05:00'))).toEqual({ due: true, nextCheckSeconds: 600 });
    });
  });

  it.each([
    ['30 2 * * *', 'Europe/Berlin', 'at 02:30 every day (Europe/Berlin)'],
    ['0 9,12,17 * * *', 'UTC', 'at 09:00, 12:00 and 17:00 every day (UTC)'],
    ['*/15 9-17 * * mon-fri', 'UTC', 'every 15 minutes of hours 9-17 on Monday to Friday (UTC)'],
    ['* * * * *', 'UTC', 'every minute (UTC)'],
    ['5 * * * *', 'UTC', 'at minute 5 past every hour (UTC)'],
    ['*/7 * 1,15 * *', 'UTC', 'every 7th minute on the 1st and 15th (UTC)'],
    ['0,30 */2 * * *', 'UTC', 'at minutes 0 and 30 of every 2 hours every day (UTC)'],
    ['0 0 1-7 * 1', 'UTC', 'at 00:00 on the 1st to 7th if that is a Monday (UTC)'],
    ['0 0 1 jan,jul *', 'UTC', 'at 00:00 on the 1st in January and July (UTC)'],
    ['0 4 * * sat,sun', 'UTC', 'at 04:00 on Sunday and Saturday (UTC)'],
  ])('"%s" in %s reads "%s"', (expression, zone, words) => {
    const crontab = CrontabSchedule.fromExpression(expression, zone);
    expect(crontab.describe()).toBe(words);
    expect(crontab.toCron()).toBe(expression);
  });

  it('gives the row fields back in cron order, items trimmed', () => {
    const crontab = new CrontabSchedule({ minute: '0, 30', hour: '8', dayOfWeek: 'mon', monthOfYear: '1-6' });
    expect(crontab.toCron()).toBe('0,30 8 * 1-6 mon');
    expect(crontab.timezone).toBe('UTC');
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
