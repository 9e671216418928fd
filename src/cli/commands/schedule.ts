import {
  databaseUrl,
  logLevel,
  scheduleArgs,
  scheduleAt,
  scheduleCount,
  scheduleCrontab,
  scheduleDescription,
  scheduleDisabled,
  scheduleEvery,
  scheduleExchange,
  scheduleExpiry,
  scheduleFrom,
  scheduleHeaders,
  scheduleJson,
  scheduleKwargs,
  scheduleName,
  scheduleOneOff,
  schedulePriority,
  scheduleQueue,
  scheduleRoutingKey,
  scheduleStartTime,
  scheduleTimezone,
} from '../../config/settings.js';
import { ProtocolError } from '../../core/protocol/errors.js';
import { parseIsoInstant } from '../../core/protocol/iso-time.js';
import { openDatabase } from '../../db/open.js';
import { entryFromRow } from '../../scheduler/entry.js';
import { rowOf, type PeriodicTaskInput, type ScheduleInput } from '../../scheduler/entry-input.js';
import { SchedulerError } from '../../scheduler/errors.js';
import { entryNextRuns, formatInstant, zoneOf } from '../../scheduler/next-runs.js';
import { PeriodicTaskStore, type PeriodicTaskRecord } from '../../scheduler/periodic-tasks.js';
import { canonicalTimeZone, CrontabSchedule, intervalFromDuration, ScheduleError } from '../../scheduler/schedules/index.js';
import type { Resolved } from '../../config/setting.js';
import { defineCommand, UsageError } from '../command.js';

const settingsUsed = [
  databaseUrl,
  scheduleCrontab,
  scheduleTimezone,
  scheduleEvery,
  scheduleAt,
  scheduleName,
  scheduleFrom,
  scheduleCount,
  scheduleJson,
  scheduleArgs,
  scheduleKwargs,
  scheduleQueue,
  scheduleExchange,
  scheduleRoutingKey,
  schedulePriority,
  scheduleHeaders,
  scheduleExpiry,
  scheduleOneOff,
  scheduleStartTime,
  scheduleDescription,
  scheduleDisabled,
  logLevel,
] as const;
type Settings = Resolved<typeof settingsUsed>;
type Out = (line: string) => void;

export const schedule = defineCommand({
  usage: 'schedule <next|add|list|enable|disable|remove> [name] [task] [options]',
  description:
    'Periodic tasks without SQL. `next` prints the next runs (ISO 8601 with offset) of --crontab "m h dom mon dow" ' +
    '[--tz ZONE], --every 90s, or --name ENTRY from the database, after --from (default now), computed as beat ' +
    'computes them. `add NAME TASK` creates an entry with --every, --crontab [--tz] or --at; `list` shows every ' +
    'entry; `enable`, `disable` and `remove` take a NAME. A running beat picks changes up within half a second.',
  actions: {
    next: 'Print the next --count runs of --crontab, --every or --name (--json for an array)',
    add: 'Create an entry: add NAME TASK (--every | --crontab [--tz] | --at) [--args] [--kwargs] [--queue] …',
    list: 'List entries with schedule, state, runs and next run (--json for objects)',
    enable: 'Enable the entry NAME',
    disable: 'Disable the entry NAME',
    remove: 'Delete the entry NAME',
  },
  settings: settingsUsed,

  async run({ positionals, settings, out }) {
    const [action, ...rest] = positionals;
    switch (action) {
      case 'next':
        expectArgs(rest, 0, 'schedule next');
        return next(settings, out);
      case 'add':
        expectArgs(rest, 2, 'schedule add NAME TASK');
        return withStore(settings, (store) => add(store, rest[0] ?? '', rest[1] ?? '', settings, out));
      case 'list':
        expectArgs(rest, 0, 'schedule list');
        return withStore(settings, (store) => list(store, settings, out));
      case 'enable':
      case 'disable': {
        expectArgs(rest, 1, `schedule ${action} NAME`);
        const name = rest[0] ?? '';
        return withStore(settings, async (store) => {
          const changed = action === 'enable' ? await store.enable(name) : await store.disable(name);
          out(changed ? `${action === 'enable' ? 'Enabled' : 'Disabled'} ${name}` : `${name} was ${action}d already`);
          return 0;
        });
      }
      case 'remove': {
        expectArgs(rest, 1, 'schedule remove NAME');
        const name = rest[0] ?? '';
        return withStore(settings, async (store) => {
          if (!(await store.remove(name))) throw new SchedulerError('E_ENTRY_NOT_FOUND', `no periodic task is named "${name}"`);
          out(`Removed ${name}`);
          return 0;
        });
      }
      default:
        throw new UsageError(
          action === undefined
            ? 'schedule needs an action: next, add, list, enable, disable or remove'
            : `unknown schedule action "${action}" (use next, add, list, enable, disable or remove)`,
        );
    }
  },
});

function expectArgs(args: readonly string[], count: number, usage: string): void {
  if (args.length !== count) throw new UsageError(`usage: prisma-celery ${usage}${args.length > count ? ` (extra: ${args.slice(count).join(' ')})` : ''}`);
}

async function withStore(settings: Settings, work: (store: PeriodicTaskStore) => Promise<number>): Promise<number> {
  await using database = await openDatabase(settings.databaseUrl);
  return await work(new PeriodicTaskStore(database));
}

/** The schedule flags given, as one ScheduleInput (exactly one kind). */
function scheduleInput(settings: Settings, allowName: boolean): ScheduleInput | { name: string } {
  const given = [
    settings.scheduleCrontab !== undefined && '--crontab',
    settings.scheduleEvery !== undefined && '--every',
    settings.scheduleAt !== undefined && '--at',
    allowName && settings.scheduleName !== undefined && '--name',
  ].filter((flag): flag is string => typeof flag === 'string');
  const choices = allowName ? '--crontab, --every or --name' : '--every, --crontab or --at';
  if (given.length !== 1) {
    throw new UsageError(given.length === 0 ? `give a schedule: ${choices}` : `give one schedule, not ${given.join(' and ')}`);
  }
  if (settings.scheduleTimezone !== undefined && settings.scheduleCrontab === undefined) {
    throw new UsageError('--tz applies to --crontab only');
  }
  if (settings.scheduleCrontab !== undefined) {
    return { crontab: settings.scheduleCrontab, timezone: settings.scheduleTimezone ?? 'UTC' };
  }
  if (settings.scheduleEvery !== undefined) return { every: settings.scheduleEvery };
  if (settings.scheduleAt !== undefined) return { clocked: settings.scheduleAt };
  return { name: settings.scheduleName ?? '' };
}

async function next(settings: Settings, out: Out): Promise<number> {
  const from = settings.scheduleFrom === undefined ? new Date() : instant(settings.scheduleFrom, '--from');
  const count = settings.scheduleCount;
  const chosen = scheduleInput(settings, true);
  let runs: Date[];
  let zone: string;
  if ('name' in chosen) {
    await using database = await openDatabase(settings.databaseUrl);
    const record = await new PeriodicTaskStore(database).get(chosen.name);
    if (record === null) throw new SchedulerError('E_ENTRY_NOT_FOUND', `no periodic task is named "${chosen.name}"`);
    const entry = entryFromRow(rowOf(record, { lastRunAt: record.lastRunAt, totalRunCount: record.totalRunCount, dateChanged: record.dateChanged }));
    runs = entryNextRuns(entry, from, count);
    zone = zoneOf(entry.schedule);
  } else {
    const built = scheduleOf(chosen);
    runs = built.nextRunsAfter(from, count);
    zone = zoneOf(built);
  }
  const lines = runs.map((run) => formatInstant(run, zone));
  if (settings.scheduleJson) out(JSON.stringify(lines));
  else for (const line of lines) out(line);
  return 0;
}

function scheduleOf(input: ScheduleInput) {
  if ('crontab' in input) return CrontabSchedule.fromExpression(String(input.crontab), canonicalTimeZone(input.timezone ?? 'UTC'));
  if ('every' in input) return intervalFromDuration(input.every);
  throw new UsageError('schedule next takes --crontab, --every or --name');
}

async function add(store: PeriodicTaskStore, name: string, task: string, settings: Settings, out: Out): Promise<number> {
  const chosen = scheduleInput(settings, false);
  if ('name' in chosen) throw new UsageError('schedule add takes --every, --crontab or --at');
  const input: PeriodicTaskInput = {
    name,
    task,
    schedule: chosen,
    ...(settings.scheduleArgs === undefined ? {} : { args: json(settings.scheduleArgs, '--args') as unknown[] }),
    ...(settings.scheduleKwargs === undefined ? {} : { kwargs: json(settings.scheduleKwargs, '--kwargs') as Record<string, unknown> }),
    ...(settings.scheduleHeaders === undefined ? {} : { headers: json(settings.scheduleHeaders, '--headers') as Record<string, unknown> }),
    queue: settings.scheduleQueue ?? null,
    exchange: settings.scheduleExchange ?? null,
    routingKey: settings.scheduleRoutingKey ?? null,
    priority: settings.schedulePriority ?? null,
    ...expiry(settings.scheduleExpiry),
    oneOff: settings.scheduleOneOff ?? false,
    startTime: settings.scheduleStartTime ?? null,
    enabled: !(settings.scheduleDisabled ?? false),
    description: settings.scheduleDescription ?? '',
  };
  const record = await store.create(input);
  out(`Created ${record.name}: ${record.task} ${record.scheduleText}${describeNext(record)}`);
  return 0;
}

function expiry(value: string | undefined): Pick<PeriodicTaskInput, 'expires' | 'expireSeconds'> {
  if (value === undefined) return {};
  if (/^\d{4}-\d\d-\d\d/.test(value.trim())) return { expires: value };
  try {
    return { expireSeconds: Math.ceil(intervalFromDuration(value).seconds) };
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    throw new UsageError(`--expiry "${value}": give an instant (2030-01-02T03:04:05Z) or a duration (10m)`);
  }
}

async function list(store: PeriodicTaskStore, settings: Settings, out: Out): Promise<number> {
  const records = await store.list();
  if (settings.scheduleJson) {
    out(JSON.stringify(records.map(jsonRecord)));
    return 0;
  }
  if (records.length === 0) {
    out('No periodic tasks.');
    return 0;
  }
  const rows = records.map((r) => [
    r.name,
    r.task,
    r.scheduleText,
    r.enabled ? 'enabled' : 'disabled',
    String(r.totalRunCount),
    r.lastRunAt === null ? '-' : formatInstant(r.lastRunAt, zoneOfRecord(r)),
    r.enabled && r.nextRunAt !== null ? formatInstant(r.nextRunAt, zoneOfRecord(r)) : '-',
  ]);
  const header = ['NAME', 'TASK', 'SCHEDULE', 'STATE', 'RUNS', 'LAST RUN', 'NEXT RUN'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  for (const row of [header, ...rows]) out(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  return 0;
}

const zoneOfRecord = (r: PeriodicTaskRecord): string => (r.schedule.kind === 'crontab' ? r.schedule.timezone : 'UTC');

function jsonRecord(r: PeriodicTaskRecord): Record<string, unknown> {
  return {
    ...r,
    args: JSON.parse(r.args) as unknown,
    kwargs: JSON.parse(r.kwargs) as unknown,
    headers: JSON.parse(r.headers) as unknown,
  };
}

function describeNext(record: PeriodicTaskRecord): string {
  if (!record.enabled) return ' (disabled)';
  return record.nextRunAt === null ? '' : `; next run ${formatInstant(record.nextRunAt, zoneOfRecord(record))}`;
}

function json(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag} is not valid JSON: ${(error as Error).message}`);
  }
}

function instant(text: string, flag: string): Date {
  try {
    return new Date(parseIsoInstant(text.trim(), flag));
  } catch (error) {
    if (error instanceof ProtocolError) throw new UsageError(error.message);
    throw error;
  }
}
