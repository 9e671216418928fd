// The demo's periodic tasks: each one runs within the first seconds of a
// demo, whatever second of the minute it starts at.
import { describe, expect, it } from 'vitest';
import { periodicTasks } from '../../src/demo/tasks.js';
import { entryFromRow } from '../../src/scheduler/entry.js';
import { defineTask, rowOf } from '../../src/scheduler/entry-input.js';
import { entryNextRuns } from '../../src/scheduler/next-runs.js';

describe('the demo schedule', () => {
  it.each(['2026-12-07T09:00:01Z', '2026-12-07T09:00:30Z', '2026-12-07T09:59:59Z'])('runs every entry within 10 s of a start at %s', (start) => {
    const now = new Date(start);
    for (const input of periodicTasks('q', now)) {
      const entry = entryFromRow(rowOf(defineTask(input), { dateChanged: now }));
      const [first] = entryNextRuns(entry, now, 1);
      expect(first!.getTime() - now.getTime(), input.name).toBeLessThanOrEqual(10_000);
    }
  });
});
