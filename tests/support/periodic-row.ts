import type { PeriodicTaskRow } from '../../src/scheduler/index.js';

/** A periodic-task row as beat reads it: an enabled interval entry that has run before, with the given fields. */
export function periodicRow(fields: Partial<PeriodicTaskRow> & Pick<PeriodicTaskRow, 'lastRunAt' | 'dateChanged'>): PeriodicTaskRow {
  return {
    id: 1,
    name: 'entry',
    task: 'tasks.add',
    args: '[]',
    kwargs: '{}',
    headers: '{}',
    queue: null,
    exchange: null,
    routingKey: null,
    priority: null,
    expires: null,
    expireSeconds: null,
    oneOff: false,
    startTime: null,
    enabled: true,
    totalRunCount: 3,
    changeVersion: 1,
    interval: { every: 10, period: 'seconds' },
    crontab: null,
    clocked: null,
    ...fields,
  };
}
