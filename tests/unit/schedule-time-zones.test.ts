import { describe, expect, it } from 'vitest';
import { defineTask } from '../../src/scheduler/entry-input.js';

const crontab = (timezone: string) => defineTask({ name: 'n', task: 't', schedule: { crontab: '0 4 * * *', timezone } }).schedule;

describe('time zone names of crontab entries', () => {
  it('are stored as tzdata spells them', () => {
    expect(crontab('europe/berlin')).toMatchObject({ timezone: 'Europe/Berlin' });
    expect(crontab('AMERICA/NEW_YORK')).toMatchObject({ timezone: 'America/New_York' });
    expect(crontab('utc')).toMatchObject({ timezone: 'UTC' });
    // A link (alias) Python's zoneinfo loads is kept as written, not replaced by its target.
    expect(crontab('us/pacific')).toMatchObject({ timezone: 'US/Pacific' });
    expect(crontab('Asia/Kolkata')).toMatchObject({ timezone: 'Asia/Kolkata' });
  });

  it("refuses names Python's zoneinfo cannot load, even where luxon and Intl take them", () => {
    // US/Pacific-New left tzdata in 2020b; Node's ICU still maps it to America/Los_Angeles.
    for (const name of ['US/Pacific-New', 'Mars/Base', 'Factory', 'localtime', ' Europe/Berlin', '']) {
      expect(() => crontab(name), name).toThrow(
        expect.objectContaining({
          code: 'E_ENTRY_INVALID',
          field: 'schedule.timezone',
          message: expect.stringContaining(`unknown time zone ${JSON.stringify(name)}`),
        }),
      );
    }
  });
});

