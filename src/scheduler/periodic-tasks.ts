// The public API for periodic tasks: create, change, enable, disable and
// remove entries while beat runs. Every write of a task row is one
// statement. On our tables (djcelery) the migration's triggers advance the
// change marker and write the audit trail in its transaction, naming who
// made it (the actor, set in the same transaction); on django-celery-beat's,
// the store bumps Django's marker after the write, as Django's signals do,
// and keeps no audit trail. Either way a running beat (ours or Python's)
// sees the change within its poll, and never half of one.
import type { Layout } from '../db/layout.js';
import type { Database } from '../db/open.js';
import { DjangoTaskRows } from './django/task-rows.js';
import { entryFromRow, nextDueAt } from './entry.js';
import {
  defineTask,
  rowOf,
  type PeriodicTaskInput,
  type ScheduleDefinition,
  type ScheduleInput,
  type TaskDefinition,
} from './entry-input.js';
import { ConfigError } from '../errors.js';
import { SchedulerError } from './errors.js';
import { auditHistory, type AuditEntry } from './schedule-audit.js';
import { scheduleFromRow, type IntervalPeriod, type SolarEvent } from './schedules/index.js';
import { MAX_ATTEMPTS, PrismaTaskRows, type StoredTask, type TaskRows } from './task-rows.js';

/** A periodic task as stored, with beat's bookkeeping. */
export interface PeriodicTaskRecord extends TaskDefinition {
  readonly id: number;
  /** The schedule in words ("every 5 minutes", "at 04:00 (Europe/Berlin)"). */
  readonly scheduleText: string;
  readonly lastRunAt: Date | null;
  readonly totalRunCount: number;
  /** When beat last expected the next run (refreshed by beat's claims and by writes here). */
  readonly nextRunAt: Date | null;
  readonly dateChanged: Date;
}

export interface PeriodicTaskStoreOptions {
  /** The clock for next_run_at. Default: the system clock. */
  clock?: () => Date;
  /** Whose tables: djcelery (ours, the default) or django (django-celery-beat's). */
  layout?: Layout;
  /** Who the audit trail names for this store's changes, unless a call says. Default `api`. */
  actor?: string;
}

/** Per call: who the audit trail names for this change (instead of the store's actor). */
export interface ChangeOptions {
  actor?: string;
}

/** What upsert() did. */
export type UpsertOutcome = 'created' | 'updated' | 'unchanged';


/**
 * Reads and writes periodic tasks (djcelery_periodictask, or
 * django_celery_beat_periodictask, and their schedule tables). Interval
 * rows are shared and never duplicated; crontab, clocked and solar rows are
 * reused when an identical one exists. Definitions are
 * checked as beat checks them (SchedulerError E_ENTRY_INVALID with the
 * field); unknown names are E_ENTRY_NOT_FOUND, taken ones E_ENTRY_EXISTS.
 * It does no I/O until called and owns nothing: close the Database yourself.
 */
export class PeriodicTaskStore {
  readonly #db: Database;
  readonly #layout: Layout;
  readonly #rows: TaskRows;
  readonly #clock: () => Date;
  readonly #actor: string;

  constructor(database: Database, options: PeriodicTaskStoreOptions = {}) {
    this.#db = database;
    this.#layout = options.layout ?? 'djcelery';
    this.#clock = options.clock ?? (() => new Date());
    this.#rows = this.#layout === 'django' ? new DjangoTaskRows(database, this.#clock) : new PrismaTaskRows(database);
    this.#actor = options.actor ?? 'api';
  }

  async create(input: PeriodicTaskInput, options: ChangeOptions = {}): Promise<PeriodicTaskRecord> {
    const definition = defineTask(input);
    await this.#rows.insert(definition, this.#nextRun(definition), this.#actorOf(options));
    return this.#mustGet(definition.name);
  }

  /**
   * Changes the named entry: fields left out keep their values, and a new
   * `schedule` replaces the old one. Last run and run count are kept.
   */
  async update(name: string, patch: Partial<PeriodicTaskInput>, options: ChangeOptions = {}): Promise<PeriodicTaskRecord> {
    let outcome: { name: string } | undefined;
    for (let attempt = 1; outcome === undefined; attempt++) {
      const current = await this.#row(name);
      if (current === null) throw notFound(name);
      const definition = defineTask({ ...inputOf(current), ...patch });
      const written = await this.#writeIf(current, definition, options);
      if (written) outcome = { name: definition.name };
      else if (attempt >= MAX_ATTEMPTS) throw busy(name);
    }
    return this.#mustGet(outcome.name);
  }

  /**
   * Creates the entry, or brings an existing one of that name to this
   * definition, writing only if something differs. With `keepEnabled`, an
   * existing entry keeps its enabled flag (the static schedule's import: an
   * entry someone disabled stays disabled across restarts).
   */
  async upsert(input: PeriodicTaskInput, options: ChangeOptions & { keepEnabled?: boolean } = {}): Promise<UpsertOutcome> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.#row(input.name);
      if (current === null) {
        try {
          await this.create(input, options);
          return 'created';
        } catch (error) {
          // Someone created it meanwhile: compare with theirs.
          if (!(error instanceof SchedulerError && error.code === 'E_ENTRY_EXISTS') || attempt >= MAX_ATTEMPTS) throw error;
          continue;
        }
      }
      const wanted = defineTask(input);
      const definition = options.keepEnabled ? { ...wanted, enabled: current.enabled } : wanted;
      if (sameDefinition(definitionOf(current), definition)) return 'unchanged';
      if (await this.#writeIf(current, definition, options)) return 'updated';
      if (attempt >= MAX_ATTEMPTS) throw busy(input.name);
    }
  }

  /** Enables the entry; false if it was enabled already. */
  enable(name: string, options: ChangeOptions = {}): Promise<boolean> {
    return this.#setEnabled(name, true, options);
  }

  /** Disables the entry; false if it was disabled already. */
  disable(name: string, options: ChangeOptions = {}): Promise<boolean> {
    return this.#setEnabled(name, false, options);
  }

  /** Deletes the entry (its schedule rows stay, as they may be shared); false if there was none. */
  remove(name: string, options: ChangeOptions = {}): Promise<boolean> {
    return this.#rows.remove(name, this.#actorOf(options));
  }

  async get(name: string): Promise<PeriodicTaskRecord | null> {
    const row = await this.#row(name);
    return row === null ? null : recordOf(row);
  }

  /** Every entry, by name. */
  async list(): Promise<PeriodicTaskRecord[]> {
    return (await this.#rows.list()).map(recordOf);
  }

  /** The entry's recorded changes, oldest first (the last `limit`, default 1000); after a deletion, by its name. */
  history(name: string, options: { limit?: number } = {}): Promise<AuditEntry[]> {
    if (this.#layout === 'django') {
      throw new ConfigError("the django layout keeps no audit trail of schedule changes (django-celery-beat's tables have no triggers of ours)");
    }
    return auditHistory(this.#db, name, options);
  }

  async #setEnabled(name: string, enabled: boolean, options: ChangeOptions): Promise<boolean> {
    const current = await this.#row(name);
    if (current === null) throw notFound(name);
    if (current.enabled === enabled) return false;
    const definition = { ...definitionOf(current), enabled };
    return this.#rows.setEnabled(current, enabled, enabled ? this.#nextRun(definition, current) : null, this.#actorOf(options));
  }

  /** Writes `definition` over `current` if the row has not changed since it was read. */
  #writeIf(current: StoredTask, definition: TaskDefinition, options: ChangeOptions): Promise<boolean> {
    return this.#rows.writeIf(current, definition, this.#nextRun(definition, current), this.#actorOf(options));
  }

  #actorOf(options: ChangeOptions): string {
    return options.actor ?? this.#actor;
  }

  #nextRun(definition: TaskDefinition, current?: StoredTask): Date | null {
    const now = this.#clock();
    const run = current ? { lastRunAt: current.lastRunAt, totalRunCount: current.totalRunCount } : {};
    return nextDueAt(entryFromRow(rowOf(definition, { ...run, dateChanged: now })), now);
  }

  #row(name: string): Promise<StoredTask | null> {
    return this.#rows.find(name);
  }

  async #mustGet(name: string): Promise<PeriodicTaskRecord> {
    const record = await this.get(name);
    if (record === null) throw notFound(name);
    return record;
  }
}

function scheduleOf(row: StoredTask): ScheduleDefinition {
  if (row.interval) return { kind: 'interval', every: row.interval.every, period: row.interval.period as IntervalPeriod };
  if (row.crontab) {
    const { minute, hour, dayOfWeek, dayOfMonth, monthOfYear, timezone } = row.crontab;
    return { kind: 'crontab', minute, hour, dayOfWeek, dayOfMonth, monthOfYear, timezone };
  }
  if (row.clocked) return { kind: 'clocked', clockedTime: row.clocked.clockedTime };
  if (row.solar) return { kind: 'solar', event: row.solar.event as SolarEvent, latitude: row.solar.latitude, longitude: row.solar.longitude };
  // A row without a schedule (made by raw SQL): beat disables it; an update must give one.
  return { kind: 'clocked', clockedTime: new Date(NaN) };
}

function scheduleInputOf(schedule: ScheduleDefinition): ScheduleInput {
  switch (schedule.kind) {
    case 'interval':
      return { interval: { every: schedule.every, period: schedule.period } };
    case 'crontab': {
      const { kind: _kind, timezone, ...fields } = schedule;
      return { crontab: fields, timezone };
    }
    case 'clocked':
      return { clocked: schedule.clockedTime };
    case 'solar': {
      const { kind: _kind, ...solar } = schedule;
      return { solar };
    }
  }
}

function definitionOf(row: StoredTask): TaskDefinition {
  return {
    name: row.name,
    task: row.task,
    schedule: scheduleOf(row),
    args: row.args,
    kwargs: row.kwargs,
    headers: row.headers,
    queue: row.queue,
    exchange: row.exchange,
    routingKey: row.routingKey,
    priority: row.priority,
    expires: row.expires,
    expireSeconds: row.expireSeconds,
    oneOff: row.oneOff,
    startTime: row.startTime,
    enabled: row.enabled,
    description: row.description,
  };
}

/** The stored row as API input, so a patch can be applied and checked as a whole. */
function inputOf(row: StoredTask): PeriodicTaskInput {
  const definition = definitionOf(row);
  const parse = (text: string, fallback: unknown): unknown => {
    try {
      return text.trim() === '' ? fallback : JSON.parse(text);
    } catch {
      return text; // refused by defineTask unless the patch replaces it
    }
  };
  const kinds = [row.interval, row.crontab, row.clocked, row.solar ?? null].filter((kind) => kind !== null).length;
  return {
    ...definition,
    // A row with no schedule, or two (raw SQL), keeps none: an update must give one.
    schedule: kinds === 1 ? scheduleInputOf(definition.schedule) : ({} as ScheduleInput),
    args: parse(definition.args, []) as unknown[],
    kwargs: parse(definition.kwargs, {}) as Record<string, unknown>,
    headers: parse(definition.headers, {}) as Record<string, unknown>,
  };
}

function recordOf(row: StoredTask): PeriodicTaskRecord {
  const definition = definitionOf(row);
  let scheduleText: string;
  try {
    scheduleText = scheduleFromRow(row).describe();
  } catch (error) {
    scheduleText = `invalid: ${(error as Error).message}`;
  }
  return {
    ...definition,
    id: row.id,
    scheduleText,
    lastRunAt: row.lastRunAt,
    totalRunCount: row.totalRunCount,
    nextRunAt: row.nextRunAt,
    dateChanged: row.dateChanged,
  };
}

function sameDefinition(a: TaskDefinition, b: TaskDefinition): boolean {
  const canonical = (d: TaskDefinition) =>
    JSON.stringify({
      ...d,
      args: reparse(d.args),
      kwargs: reparse(d.kwargs),
      headers: reparse(d.headers),
      schedule: d.schedule.kind === 'clocked' ? { kind: 'clocked', at: d.schedule.clockedTime.getTime() } : d.schedule,
      expires: d.expires?.getTime() ?? null,
      startTime: d.startTime?.getTime() ?? null,
    });
  return canonical(a) === canonical(b);
}

function reparse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const notFound = (name: string): SchedulerError =>
  new SchedulerError('E_ENTRY_NOT_FOUND', `no periodic task is named "${name}"`, { entry: name });

const busy = (name: string): SchedulerError =>
  new SchedulerError('E_ENTRY_BUSY', `periodic task "${name}" kept changing while it was being written; try again`, {
    entry: name,
  });
