/**
 * Periodic tasks for the monitor's list: a page of rows by name, each with
 * its schedule in words and in cron form (the scheduler's pure schedule
 * maths), next and last run and run count. Read-only.
 */
import type { Layout } from '../../db/layout.js';
import type { Database } from '../../db/open.js';
import { rowOf } from '../../scheduler/entry-input.js';
import { entryFromRow, PeriodicTaskStore, SchedulerError, scheduleFromRow, type PeriodicTaskRow, type ScheduleRow } from '../../scheduler/index.js';
import { entryNextRuns } from '../../scheduler/next-runs.js';
import { HttpError } from '../http/responses.js';
import { filterValue, pageSize } from './paging.js';

export interface PeriodicTaskSummary {
  name: string;
  task: string;
  enabled: boolean;
  kind: 'interval' | 'crontab' | 'clocked' | 'solar' | null;
  /** "every 5 minutes", "at 04:00 every day (Europe/Berlin)"; "invalid: …" for a row beat cannot use. */
  schedule: string;
  /** `minute hour day_of_month month_of_year day_of_week` for a crontab; null for other kinds. */
  cron: string | null;
  /** When beat sends it next, by beat's maths from the row (as `schedule next --name`); null when disabled, finished or invalid. */
  nextRunAt: string | null;
  lastRunAt: string | null;
  totalRunCount: number;
  oneOff: boolean;
  description: string;
}

/** The schedule's words and cron form; a row beat would refuse says why instead. */
export function describeSchedule(row: ScheduleRow): Pick<PeriodicTaskSummary, 'kind' | 'schedule' | 'cron'> {
  try {
    const schedule = scheduleFromRow(row);
    return { kind: schedule.kind, schedule: schedule.describe(), cron: schedule.toCron() };
  } catch (error) {
    return { kind: null, schedule: `invalid: ${(error as Error).message}`, cron: null };
  }
}

/** As `schedule list` shows it: computed from the row, not the writer's estimate in next_run_at. */
function nextRunOf(row: PeriodicTaskRow, now: Date): string | null {
  if (!row.enabled) return null;
  try {
    return entryNextRuns(entryFromRow(row), now, 1)[0]?.toISOString() ?? null;
  } catch (error) {
    if (error instanceof SchedulerError) return null;
    throw error;
  }
}

const MAX_NAME_CURSOR = 1000;

/** `?after=<name>&limit=&task=`: a page of entries by name, after the one named; `task` filters exactly. */
export async function listPeriodicTasks(
  database: Database,
  params: URLSearchParams,
  now: Date,
  layout: Layout = 'djcelery',
): Promise<{ items: PeriodicTaskSummary[]; next: string | null }> {
  const limit = pageSize(params.get('limit'));
  const after = filterValue(params, 'after');
  if (after !== undefined && after.length > MAX_NAME_CURSOR) throw new HttpError(400, 'after: not a periodic task name');
  const task = filterValue(params, 'task');
  const rows =
    layout === 'django'
      ? // Django's tables are read whole through the store: they hold what an admin edits by hand, not a hundred thousand rows.
        (await new PeriodicTaskStore(database, { layout }).list())
          .filter((record) => (after === undefined || record.name > after) && (task === undefined || record.task === task))
          .slice(0, limit + 1)
          .map((record) => ({ ...rowOf(record, { lastRunAt: record.lastRunAt, totalRunCount: record.totalRunCount, dateChanged: record.dateChanged }), description: record.description }))
      : await database.prisma.periodicTask.findMany({
          where: { ...(after === undefined ? {} : { name: { gt: after } }), ...(task === undefined ? {} : { task }) },
          orderBy: { name: 'asc' },
          take: limit + 1,
          include: { interval: true, crontab: true, clocked: true },
        });
  const shown = rows.slice(0, limit);
  return {
    items: shown.map((row) => ({
      name: row.name,
      task: row.task,
      enabled: row.enabled,
      ...describeSchedule(row),
      nextRunAt: nextRunOf(row, now),
      lastRunAt: row.lastRunAt?.toISOString() ?? null,
      totalRunCount: row.totalRunCount,
      oneOff: row.oneOff,
      description: row.description,
    })),
    next: rows.length > limit ? (shown.at(-1)?.name ?? null) : null,
  };
}
