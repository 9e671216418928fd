/**
 * What the demo runs: three task functions for the celery-node worker, and
 * three periodic tasks that send them — one every 5 seconds, one crontab in
 * a zone half an hour off UTC (Asia/Kolkata) that matches this hour and the
 * next there, and one that fails. Each has a start time of now, so each runs
 * at once: a crontab that never ran would otherwise first run at the next
 * full minute, up to a minute into a demo that may last 40 s.
 */
import { DateTime } from 'luxon';
import type { PeriodicTaskInput } from '../scheduler/index.js';

export const ZONE = 'Asia/Kolkata';

/** Task functions by name, as celery-node calls them: args spread, then the kwargs object. */
export const taskFunctions = {
  'demo.add': (a: number, b: number): number => a + b,
  'demo.divide': (a: number, b: number): number => {
    if (b === 0) throw new RangeError('division by zero');
    return a / b;
  },
  'demo.local-time': (zone: string): string => DateTime.now().setZone(zone).toFormat("HH:mm 'in' z"),
};

export function periodicTasks(queue: string, now: Date): PeriodicTaskInput[] {
  const hour = DateTime.fromJSDate(now).setZone(ZONE).hour;
  return [
    {
      name: 'demo.add-every-5s',
      task: 'demo.add',
      schedule: { every: '5s' },
      args: [2, 3],
      queue,
      startTime: now, // first run at once, then every 5 s
      description: 'interval: adds 2 and 3',
    },
    {
      name: 'demo.local-time-in-kolkata',
      task: 'demo.local-time',
      schedule: { crontab: `* ${hour},${(hour + 1) % 24} * * *`, timezone: ZONE },
      args: [ZONE],
      queue,
      startTime: now, // first run at once, then at each full minute
      description: `crontab in ${ZONE}: every minute of ${hour}:xx and ${(hour + 1) % 24}:xx there`,
    },
    {
      name: 'demo.divide-by-zero-every-10s',
      task: 'demo.divide',
      schedule: { every: '10s' },
      args: [1, 0],
      queue,
      startTime: now,
      description: 'interval: fails on purpose, to show a stored FAILURE',
    },
  ];
}
