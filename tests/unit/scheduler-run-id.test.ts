// The task id of a periodic run: a UUIDv5 (checked against Python's
// uuid.uuid5) of the entry and the instant its run is scheduled for, so it
// is the same for every beat and every resend of one run, and differs from
// run to run.
import { describe, expect, it } from 'vitest';
import { afterRun, entryFromRow, type PeriodicTaskRow } from '../../src/scheduler/index.js';
import { runTaskId, uuidV5 } from '../../src/scheduler/run-id.js';
import { periodicRow } from '../support/periodic-row.js';

const T0 = new Date('2026-05-04T12:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const row = (overrides: Partial<PeriodicTaskRow> = {}): PeriodicTaskRow =>
  periodicRow({ id: 7, lastRunAt: T0, dateChanged: at(-3600), interval: { every: 60, period: 'seconds' }, ...overrides });

describe('uuidV5', () => {
  it("gives Python's uuid.uuid5 for the same namespace and name", () => {
    // python3 -c "import uuid; print(uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org'))"
    const dns = Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex');
    expect(uuidV5('python.org', dns)).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
    // ... and with the runs' namespace, uuid.UUID('6f1c2a8e-4b7d-4e0f-9a3c-5d2b1e8f7a60')
    expect(uuidV5('hello')).toBe('2015a40f-38b1-5f83-9a61-9c0de72feaee');
  });
});

describe('runTaskId', () => {
  it('is one id per run: the same for any read of the row, whenever it is sent, new for the next run', () => {
    const entry = entryFromRow(row());
    const id = runTaskId(entry);
    expect(runTaskId(entryFromRow(row()))).toBe(id);
    expect(runTaskId(afterRun(entry, at(61)))).not.toBe(id); // the next run
    expect(runTaskId(entryFromRow(row({ id: 8 })))).not.toBe(id);
    expect(runTaskId(entryFromRow(row({ name: 'other' })))).not.toBe(id);
  });

  it('counts an entry that never ran from date_changed or start_time, as its schedule does', () => {
    const never = entryFromRow(row({ lastRunAt: null, totalRunCount: 0 }));
    expect(runTaskId(never)).toBe(runTaskId(entryFromRow(row({ lastRunAt: null, totalRunCount: 0 }))));
    expect(runTaskId(entryFromRow(row({ lastRunAt: null, dateChanged: at(-3000) })))).not.toBe(runTaskId(never));
    const started = entryFromRow(row({ lastRunAt: null, startTime: at(10) }));
    expect(runTaskId(entryFromRow(row({ lastRunAt: null, startTime: at(20) })))).not.toBe(runTaskId(started));
  });

  it('tells a one-off run again after its count was reset from its first run', () => {
    const clocked = { clocked: { clockedTime: at(5) }, interval: null, oneOff: true };
    const first = entryFromRow(row({ ...clocked, lastRunAt: null, totalRunCount: 0 }));
    const again = entryFromRow(row({ ...clocked, lastRunAt: at(6), totalRunCount: 0 }));
    expect(runTaskId(again)).not.toBe(runTaskId(first));
  });
});
