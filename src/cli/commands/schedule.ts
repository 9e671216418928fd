import {
  databaseUrl,
  layout,
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
  jsonOutput,
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
import { checkBeatTables } from '../../scheduler/django/tables.js';
import { entryFromRow } from '../../scheduler/entry.js';
import { rowOf, type PeriodicTaskInput, type ScheduleInput } from '../../scheduler/entry-input.js';
import { SchedulerError } from '../../scheduler/errors.js';
import { entryNextRuns, formatInstant, zoneOf } from '../../scheduler/next-runs.js';
import { PeriodicTaskStore, type PeriodicTaskRecord } from '../../scheduler/periodic-tasks.js';
import { canonicalTimeZone, CrontabSchedule, intervalFromDuration, ScheduleError } from '../../scheduler/schedules/index.js';
import type { Resolved } from '../../config/setting.js';
import { TABLES, type Checks } from '../checks.js';
import { defineCommand, UsageError } from '../command.js';
import { cliActor, history } from './schedule-history.js';

const settingsUsed = [
  databaseUrl,
  layout,
  scheduleCrontab,
  scheduleTimezone,
  scheduleEvery,
  scheduleAt,
  scheduleName,
  scheduleFrom,
  scheduleCount,
  jsonOutput,
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
  usage: 'schedule <next|add|edit|list|enable|disable|remove|history> [name] [task] [options]',
  description:
    'Periodic tasks without SQL. `next` prints the next runs (ISO 8601 with offset) of --crontab "m h dom mon dow" ' +
    '[--tz ZONE], --every 90s, or --name ENTRY from the database, after --from (default now), computed as beat ' +
    'computes them. `add NAME TASK` creates an entry with --every, --crontab [--tz] or --at; `edit NAME [TASK]` ' +
    'changes only the fields given, with the same flags; `list` shows every entry; `enable`, `disable` and ' +
    '`remove` take a NAME; `history NAME` lists its recorded changes (who, what, before → after). A running beat picks ' +
    'changes up within half a second.',
  actions: {
    next: 'Print the next --count runs of --crontab, --every or --name (--json for an array)',
    add: 'Create an entry: add NAME TASK (--every | --crontab [--tz] | --at) [--args] [--kwargs] [--queue] …',
    edit: "Change an entry in place: edit NAME [TASK] with add's flags; fields not given keep their values",
    list: 'List entries with schedule, state, runs and next run (--json for objects)',
    enable: 'Enable the entry NAME',
    disable: 'Disable the entry NAME',
    remove: 'Delete the entry NAME',
    history: "List the entry NAME's recorded changes: time, who, action, field: before → after (--json for objects)",
  },
  settings: settingsUsed,

  async run({ positionals, settings, out, check }) {
    const [action, ...rest] = positionals;
    switch (action) {
      case 'next':
        expectArgs(rest, 0, 'schedule next');
        return next(check, settings, out);
      case 'add':
        expectArgs(rest, 2, 'schedule add NAME TASK');
        return withStore(check, settings, (store) => add(store, rest[0] ?? '', rest[1] ?? '', settings, out));
      case 'edit':
        if (rest.length === 0 || rest.length > 2) expectArgs(rest, 2, 'schedule edit NAME [TASK]');
        return withStore(check, settings, (store) => edit(store, rest[0] ?? '', rest[1], settings, out));
      case 'list':
        expectArgs(rest, 0, 'schedule list');
        return withStore(check, settings, (store) => list(store, settings, out));
      case 'enable':
      case 'disable': {
        expectArgs(rest, 1, `schedule ${action} NAME`);
        const name = rest[0] ?? '';
        return withStore(check, settings, async (store) => {
          const changed = action === 'enable' ? await store.enable(name) : await store.disable(name);
          out(changed ? `${action === 'enable' ? 'Enabled' : 'Disabled'} ${name}` : `${name} was ${action}d already`);
          return 0;
        });
      }
      case 'remove': {
        expectArgs(rest, 1, 'schedule remove NAME');
        const name = rest[0] ?? '';
        return withStore(check, settings, async (store) => {
          if (!(await store.remove(name))) throw new SchedulerError('E_ENTRY_NOT_FOUND', `no periodic task is named "${name}"`);
          out(`Removed ${name}`);
          return 0;
        });
      }
      case 'history':
        expectArgs(rest, 1, 'schedule history NAME');
        return withStore(check, settings, (store) => history(store, rest[0] ?? '', settings.jsonOutput, out));
      default:
        throw new UsageError(
          action === undefined
            ? 'schedule needs an action: next, add, edit, list, enable, disable or remove'
            : `unknown schedule action "${action}" (use next, add, edit, list, enable, disable or remove)`,
        );
    }
  },
});

function expectArgs(args: readonly string[], count: number, usage: string): void {
  if (args.length !== count) throw new UsageError(`usage: prisma-celery ${usage}${args.length > count ? ` (extra: ${args.slice(count).join(' ')})` : ''}`);
}

async function withStore(check: Checks, settings: Settings, work: (store: PeriodicTaskStore) => Promise<number>): Promise<number> {
  await using database = await openStore(check, settings);
  return await work(new PeriodicTaskStore(database, { layout: settings.layout, actor: cliActor() }));
}

/** The database, its periodic-task tables checked: ours, or Django's column by column. */
async function openStore(check: Checks, settings: Settings) {
  const django = settings.layout === 'django';
  await check.database({ tables: django ? [] : TABLES.periodic, create: false });
  const database = await openDatabase(settings.databaseUrl);
  try {
    if (django) await checkBeatTables(database);
  } catch (error) {
    await database.close();
    throw error;
  }
  return database;
}

/** The schedule flags given, as one ScheduleInput (exactly one kind). */
function scheduleInput(settings: Settings, allowName: boolean): ScheduleInput | { name: string } {
  const chosen = givenSchedule(settings, allowName);
  if (chosen === undefined) throw new UsageError(`give a schedule: ${allowName ? '--crontab, --every or --name' : '--every, --crontab or --at'}`);
  return chosen;
}

/** The schedule flags given, if any: at most one kind. */
function givenSchedule(settings: Settings, allowName: boolean): ScheduleInput | { name: string } | undefined {
  const given = [
    settings.scheduleCrontab !== undefined && '--crontab',
    settings.scheduleEvery !== undefined && '--every',
    settings.scheduleAt !== undefined && '--at',
    allowName && settings.scheduleName !== undefined && '--name',
  ].filter((flag): flag is string => typeof flag === 'string');
  if (given.length > 1) throw new UsageError(`give one schedule, not ${given.join(' and ')}`);
  if (given.length === 0) return undefined;
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

async function next(check: Checks, settings: Settings, out: Out): Promise<number> {
  const from = settings.scheduleFrom === undefined ? new Date() : instant(settings.scheduleFrom, '--from');
  const count = settings.scheduleCount;
  const chosen = scheduleInput(settings, true);
  let runs: Date[];
  let zone: string;
  if ('name' in chosen) {
    await using database = await openStore(check, settings);
    const record = await new PeriodicTaskStore(database, { layout: settings.layout }).get(chosen.name);
    if (record === null) throw new SchedulerError('E_ENTRY_NOT_FOUND', `no periodic task is named "${chosen.name}"`);
    const entry = entryOf(record);
    runs = entryNextRuns(entry, from, count);
    zone = zoneOf(entry.schedule);
  } else {
    const built = scheduleOf(chosen);
    runs = built.nextRunsAfter(from, count);
    zone = zoneOf(built);
  }
  const lines = runs.map((run) => formatInstant(run, zone));
  if (settings.jsonOutput) out(JSON.stringify(lines));
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
  const record = await store.create({ name, task, schedule: chosen, ...givenFields(settings) });
  out(`Created ${record.name}: ${record.task} ${record.scheduleText}${describeNext(record, new Date())}`);
  return 0;
}

/** Changes only what the flags give; the store checks the whole entry as add does. */
async function edit(store: PeriodicTaskStore, name: string, task: string | undefined, settings: Settings, out: Out): Promise<number> {
  const patch: Partial<PeriodicTaskInput> = {
    ...givenFields(settings),
    ...(task === undefined ? {} : { task }),
    ...(await editedSchedule(store, name, settings)),
  };
  if (Object.keys(patch).length === 0) {
    throw new UsageError(`schedule edit ${name}: give something to change (TASK, --every, --crontab, --at, --args, --queue, …)`);
  }
  const record = await store.update(name, patch);
  out(`Changed ${record.name}: ${record.task} ${record.scheduleText}${describeNext(record, new Date())}`);
  return 0;
}

/** The schedule flags of an edit: a new crontab keeps the entry's zone unless --tz is given, and --tz alone moves it. */
async function editedSchedule(store: PeriodicTaskStore, name: string, settings: Settings): Promise<Partial<Pick<PeriodicTaskInput, 'schedule'>>> {
  const { scheduleCrontab: crontab, scheduleTimezone: timezone } = settings;
  const otherKind = settings.scheduleEvery !== undefined || settings.scheduleAt !== undefined;
  if (otherKind || (crontab === undefined && timezone === undefined) || (crontab !== undefined && timezone !== undefined)) {
    const chosen = givenSchedule(settings, false);
    return chosen === undefined ? {} : { schedule: chosen as ScheduleInput };
  }
  const current = await store.get(name);
  if (current === null) throw new SchedulerError('E_ENTRY_NOT_FOUND', `no periodic task is named "${name}"`);
  const stored = current.schedule.kind === 'crontab' ? current.schedule : undefined;
  if (crontab !== undefined) return { schedule: { crontab, timezone: stored?.timezone ?? 'UTC' } };
  if (stored === undefined) throw new UsageError(`--tz applies to crontab entries; ${name} runs ${current.scheduleText}`);
  const { kind: _kind, timezone: _old, ...fields } = stored;
  return { schedule: { crontab: fields, timezone } };
}

/**
 * The entry's fields the flags give, schedule aside; absent flags are
 * absent here, so add gets the defaults and edit keeps the stored values.
 * The route (--queue, --exchange, --routing-key) and the expiry are each
 * replaced as a whole, so an edit cannot leave half of the old one behind.
 */
function givenFields(settings: Settings): Partial<PeriodicTaskInput> {
  const fields: { -readonly [K in keyof PeriodicTaskInput]?: PeriodicTaskInput[K] } = {};
  if (settings.scheduleArgs !== undefined) fields.args = jsonList(settings.scheduleArgs, '--args', '[2, 3]');
  if (settings.scheduleKwargs !== undefined) fields.kwargs = jsonObject(settings.scheduleKwargs, '--kwargs', '{"n": 1}');
  if (settings.scheduleHeaders !== undefined) fields.headers = jsonObject(settings.scheduleHeaders, '--headers', '{"x-tenant": "a"}');
  if ([settings.scheduleQueue, settings.scheduleExchange, settings.scheduleRoutingKey].some((value) => value !== undefined)) {
    fields.queue = settings.scheduleQueue ?? null;
    fields.exchange = settings.scheduleExchange ?? null;
    fields.routingKey = settings.scheduleRoutingKey ?? null;
  }
  if (settings.schedulePriority !== undefined) fields.priority = settings.schedulePriority;
  if (settings.scheduleExpiry !== undefined) Object.assign(fields, expiry(settings.scheduleExpiry));
  if (settings.scheduleOneOff !== undefined) fields.oneOff = settings.scheduleOneOff;
  if (settings.scheduleStartTime !== undefined) fields.startTime = settings.scheduleStartTime;
  if (settings.scheduleDisabled !== undefined) fields.enabled = !settings.scheduleDisabled;
  if (settings.scheduleDescription !== undefined) fields.description = settings.scheduleDescription;
  return fields;
}

function expiry(value: string): Pick<PeriodicTaskInput, 'expires' | 'expireSeconds'> {
  if (/^\d{4}-\d\d-\d\d/.test(value.trim())) return { expires: value, expireSeconds: null };
  try {
    return { expires: null, expireSeconds: Math.ceil(intervalFromDuration(value).seconds) };
  } catch (error) {
    if (!(error instanceof ScheduleError)) throw error;
    throw new UsageError(`--expiry "${value}": give an instant (2030-01-02T03:04:05Z) or a duration (10m)`);
  }
}

async function list(store: PeriodicTaskStore, settings: Settings, out: Out): Promise<number> {
  const records = await store.list();
  const now = new Date();
  if (settings.jsonOutput) {
    out(JSON.stringify(records.map((record) => jsonRecord(record, now))));
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
    nextRunText(r, now),
  ]);
  const header = ['NAME', 'TASK', 'SCHEDULE', 'STATE', 'RUNS', 'LAST RUN', 'NEXT RUN'];
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)));
  for (const row of [header, ...rows]) out(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  return 0;
}

const zoneOfRecord = (r: PeriodicTaskRecord): string => (r.schedule.kind === 'crontab' ? r.schedule.timezone : 'UTC');

/** The entry as beat reads its row: its schedule counts from the row's own date_changed until it first runs. */
const entryOf = (record: PeriodicTaskRecord) =>
  entryFromRow(rowOf(record, { lastRunAt: record.lastRunAt, totalRunCount: record.totalRunCount, dateChanged: record.dateChanged }));

/**
 * When beat sends the entry next, as of `now`, by the maths `schedule next
 * --name` uses, so the two agree. The stored next_run_at is only the
 * writer's estimate: an entry that never ran counts from date_changed,
 * which the database stamps a moment after the writer's clock reading.
 */
function nextRunOf(record: PeriodicTaskRecord, now: Date): Date | null {
  if (!record.enabled) return null;
  try {
    return entryNextRuns(entryOf(record), now, 1)[0] ?? null;
  } catch (error) {
    if (error instanceof SchedulerError) return null; // a row beat cannot use never runs
    throw error;
  }
}

function nextRunText(record: PeriodicTaskRecord, now: Date): string {
  const next = nextRunOf(record, now);
  return next === null ? '-' : formatInstant(next, zoneOfRecord(record));
}

function jsonRecord(r: PeriodicTaskRecord, now: Date): Record<string, unknown> {
  return {
    ...r,
    nextRunAt: nextRunOf(r, now),
    args: JSON.parse(r.args) as unknown,
    kwargs: JSON.parse(r.kwargs) as unknown,
    headers: JSON.parse(r.headers) as unknown,
  };
}

function describeNext(record: PeriodicTaskRecord, now: Date): string {
  if (!record.enabled) return ' (disabled)';
  const next = nextRunOf(record, now);
  return next === null ? '' : `; next run ${formatInstant(next, zoneOfRecord(record))}`;
}

function json(text: string, flag: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${flag} is not valid JSON: ${(error as Error).message}`);
  }
}

// null is refused with the rest: JSON's null is not "no arguments".
function jsonList(text: string, flag: string, example: string): unknown[] {
  const value = json(text, flag);
  if (!Array.isArray(value)) throw new UsageError(`${flag} must be a JSON list such as ${example}, got ${text.trim()}`);
  return value;
}

function jsonObject(text: string, flag: string, example: string): Record<string, unknown> {
  const value = json(text, flag);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${flag} must be a JSON object such as ${example}, got ${text.trim()}`);
  }
  return value as Record<string, unknown>;
}

function instant(text: string, flag: string): Date {
  try {
    return new Date(parseIsoInstant(text.trim(), flag));
  } catch (error) {
    if (error instanceof ProtocolError) throw new UsageError(error.message);
    throw error;
  }
}
