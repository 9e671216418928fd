/**
 * The monitor's periodic-task routes. Reads are open; every change needs
 * the token, and goes through the scheduler's PeriodicTaskStore, so a
 * running beat notices it (the change marker) and the checks are beat's.
 *
 *   GET  /api/periodic-tasks[?after&limit&task]   a page by name
 *   GET  /api/periodic-tasks/:name                one entry, as the edit form shows it
 *   POST /api/periodic-tasks                      add        (422 {error, field} when invalid)
 *   PUT  /api/periodic-tasks/:name                edit
 *   POST /api/periodic-tasks/:name/enable|disable
 *   POST /api/periodic-tasks/:name/run            send its task now, as beat would
 *   GET  /api/periodic-tasks/:name/history        its recorded changes, oldest first
 *
 * Changes are named `web:<tokenLabel>` in the audit trail.
 */
import { buildTaskMessage } from '../../core/protocol/index.js';
import { entryFromRow, messageOptionsFor, PeriodicTaskStore, SchedulerError, type PeriodicTaskRecord } from '../../scheduler/index.js';
import { rowOf } from '../../scheduler/entry-input.js';
import { readJson } from '../http/body.js';
import { HttpError, json } from '../http/responses.js';
import type { Router } from '../http/router.js';
import { defaultOrigin, sendOrFail } from '../views/apply.js';
import { formToInput, invalid } from './periodic-form.js';
import { describeSchedule, listPeriodicTasks } from './periodic-list.js';
import type { MonitorContext } from './context.js';

/** Changes the page shows of one entry: the latest. */
const HISTORY_LIMIT = 200;

/** The scheduler's refusals as answers: the page shows the message next to the field. */
function refusal(error: unknown): never {
  if (!(error instanceof SchedulerError)) throw error;
  switch (error.code) {
    case 'E_ENTRY_INVALID': {
      const field = error.field === undefined ? 'schedule' : error.field === 'clocked' ? 'schedule.clocked' : error.field;
      // Shown next to the field of that entry's form, the entry's name would only repeat itself.
      const prefix = error.entry === undefined ? '' : `periodic task ${JSON.stringify(error.entry)}: `;
      throw invalid([{ field, message: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message }]);
    }
    case 'E_ENTRY_EXISTS':
      throw new HttpError(409, error.message, { field: 'name' });
    case 'E_ENTRY_NOT_FOUND':
      throw new HttpError(404, error.message);
    case 'E_ENTRY_BUSY':
      throw new HttpError(409, error.message);
    default:
      throw error;
  }
}

/** The entry as the edit form fills in, plus what the detail shows. */
function formOf(record: PeriodicTaskRecord): Record<string, unknown> {
  const { schedule } = record;
  const iso = (date: Date | null): string | null => date?.toISOString() ?? null;
  return {
    name: record.name,
    task: record.task,
    schedule:
      schedule.kind === 'interval'
        ? { kind: 'interval', every: String(schedule.every), period: schedule.period }
        : schedule.kind === 'crontab'
          ? {
              kind: 'crontab',
              minute: schedule.minute,
              hour: schedule.hour,
              day_of_week: schedule.dayOfWeek,
              day_of_month: schedule.dayOfMonth,
              month_of_year: schedule.monthOfYear,
              timezone: schedule.timezone,
            }
          : schedule.kind === 'clocked'
            ? { kind: 'clocked', clocked: iso(schedule.clockedTime) }
            : { kind: 'solar', event: schedule.event, latitude: schedule.latitude, longitude: schedule.longitude },
    args: record.args,
    kwargs: record.kwargs,
    queue: record.queue ?? '',
    description: record.description,
    enabled: record.enabled,
    oneOff: record.oneOff,
    scheduleText: record.scheduleText,
    cron: describeSchedule({
      interval: schedule.kind === 'interval' ? schedule : null,
      crontab: schedule.kind === 'crontab' ? schedule : null,
      clocked: schedule.kind === 'clocked' ? schedule : null,
      solar: schedule.kind === 'solar' ? schedule : null,
    }).cron,
    exchange: record.exchange,
    routingKey: record.routingKey,
    priority: record.priority,
    expires: iso(record.expires),
    expireSeconds: record.expireSeconds,
    startTime: iso(record.startTime),
    nextRunAt: record.enabled ? iso(record.nextRunAt) : null,
    lastRunAt: iso(record.lastRunAt),
    totalRunCount: record.totalRunCount,
    dateChanged: iso(record.dateChanged),
  };
}

export function addPeriodicRoutes(router: Router, context: MonitorContext): void {
  const { database, guard, maxBodyBytes } = context;
  const store = new PeriodicTaskStore(database, { clock: context.now, layout: context.layout, actor: context.actor });
  const mustGet = async (name: string): Promise<PeriodicTaskRecord> => {
    const record = await store.get(name);
    if (record === null) throw new HttpError(404, `no periodic task is named ${JSON.stringify(name)}`);
    return record;
  };
  const changing =
    (work: (request: Request, name: string) => Promise<Response>) =>
    async (request: Request, { name = '' }: Readonly<Record<string, string>>): Promise<Response> => {
      guard.check(request);
      try {
        return await work(request, name);
      } catch (error) {
        if (error instanceof HttpError) throw error;
        return refusal(error);
      }
    };
  const setEnabled = (enabled: boolean) =>
    changing(async (_, name) => {
      const changed = enabled ? await store.enable(name) : await store.disable(name);
      if (changed) context.onAction(`periodic task ${JSON.stringify(name)} ${enabled ? 'enabled' : 'disabled'}`);
      return json({ name, enabled, changed });
    });

  router
    .add('GET', '/api/periodic-tasks', async (request) => {
      const now = context.now();
      return json({ ...(await listPeriodicTasks(database, new URL(request.url).searchParams, now, context.layout)), now: now.toISOString() });
    })
    .add('GET', '/api/periodic-tasks/:name', async (_, { name = '' }) => json(formOf(await mustGet(name))))
    .add('GET', '/api/periodic-tasks/:name/history', async (_, { name = '' }) => {
      const entries = await store.history(name, { limit: HISTORY_LIMIT });
      return json({ name, changes: entries.map((entry) => ({ ...entry, at: entry.at.toISOString() })) });
    })
    .add(
      'POST',
      '/api/periodic-tasks',
      changing(async (request) => {
        const record = await store.create(formToInput(await readJson(request, maxBodyBytes)));
        context.onAction(`periodic task ${JSON.stringify(record.name)} added (${record.task})`);
        return json(formOf(record), 201);
      }),
    )
    .add(
      'PUT',
      '/api/periodic-tasks/:name',
      changing(async (request, name) => {
        const record = await store.update(name, formToInput(await readJson(request, maxBodyBytes)));
        context.onAction(`periodic task ${JSON.stringify(name)} edited${record.name === name ? '' : ` (now ${JSON.stringify(record.name)})`}`);
        return json(formOf(record));
      }),
    )
    .add('POST', '/api/periodic-tasks/:name/enable', setEnabled(true))
    .add('POST', '/api/periodic-tasks/:name/disable', setEnabled(false))
    .add(
      'POST',
      '/api/periodic-tasks/:name/run',
      changing(async (_, name) => {
        if (context.publisher === undefined) throw new HttpError(503, 'run now: no broker is configured to send tasks');
        // The row as beat reads it, so the message is the one beat would send.
        const record = await mustGet(name);
        const row = rowOf(record, { id: record.id, lastRunAt: record.lastRunAt, totalRunCount: record.totalRunCount, dateChanged: record.dateChanged });
        const message = buildTaskMessage(messageOptionsFor(entryFromRow(row), defaultOrigin()), context.now());
        await sendOrFail(context.publisher, message);
        context.onAction(`periodic task ${JSON.stringify(name)} run now: ${row.task}[${message.id}] sent`);
        return json({ ok: 'true', task_id: message.id });
      }),
    );
}
