// The row I/O of PeriodicTaskStore, per table layout: TaskRows is what the
// store needs; PrismaTaskRows is djcelery's (our tables, through Prisma,
// the triggers advancing the change marker); DjangoTaskRows
// (django/task-rows.ts) is django-celery-beat's.
import { adapterCause } from '../db/adapter-error.js';
import type { Database } from '../db/open.js';
import type { ScheduleDefinition, TaskDefinition } from './entry-input.js';
import type { RowVersion } from './entry.js';
import { SchedulerError } from './errors.js';
import { withActor } from './schedule-audit.js';
import type { IntervalPeriod, SolarSpec } from './schedules/index.js';

/** A periodic task row with its schedule relations, as the store reads it. */
export interface StoredTask {
  id: number;
  name: string;
  task: string;
  args: string;
  kwargs: string;
  headers: string;
  queue: string | null;
  exchange: string | null;
  routingKey: string | null;
  priority: number | null;
  expires: Date | null;
  expireSeconds: number | null;
  oneOff: boolean;
  startTime: Date | null;
  enabled: boolean;
  lastRunAt: Date | null;
  totalRunCount: number;
  /** Only djcelery keeps it; null on django-celery-beat's tables. */
  nextRunAt: Date | null;
  dateChanged: Date;
  description: string;
  /** What a conditional write compares: change_version, or date_changed's stamp. */
  changeVersion: RowVersion;
  interval: { every: number; period: string } | null;
  crontab: { minute: string; hour: string; dayOfWeek: string; dayOfMonth: string; monthOfYear: string; timezone: string } | null;
  clocked: { clockedTime: Date } | null;
  solar?: SolarSpec | null;
}

export interface TaskRows {
  find(name: string): Promise<StoredTask | null>;
  /** Every row, by name. */
  list(): Promise<StoredTask[]>;
  // Writes name their `actor` for the audit trail, where the layout keeps one.
  /** Inserts; throws SchedulerError E_ENTRY_EXISTS if the name is taken. */
  insert(definition: TaskDefinition, nextRunAt: Date | null, actor: string): Promise<void>;
  /** Writes `definition` over `current` if the row has not changed since it was read. */
  writeIf(current: StoredTask, definition: TaskDefinition, nextRunAt: Date | null, actor: string): Promise<boolean>;
  /** Flips enabled if it is still the opposite. */
  setEnabled(current: StoredTask, enabled: boolean, nextRunAt: Date | null, actor: string): Promise<boolean>;
  remove(name: string, actor: string): Promise<boolean>;
}

export const MAX_ATTEMPTS = 5;
const INCLUDE = { interval: true, crontab: true, clocked: true } as const;
type Prisma = Database['prisma'];

/** djcelery_periodictask and its schedule tables, through Prisma. */
export class PrismaTaskRows implements TaskRows {
  readonly #db: Database;
  readonly #prisma: Prisma;

  constructor(database: Database) {
    this.#db = database;
    this.#prisma = database.prisma;
  }

  find(name: string): Promise<StoredTask | null> {
    return this.#prisma.periodicTask.findUnique({ where: { name }, include: INCLUDE });
  }

  list(): Promise<StoredTask[]> {
    return this.#prisma.periodicTask.findMany({ include: INCLUDE, orderBy: { name: 'asc' } });
  }

  async insert(definition: TaskDefinition, nextRunAt: Date | null, actor: string): Promise<void> {
    const columns = await this.#columns(definition);
    try {
      await withActor(this.#db, actor, (tx) => tx.periodicTask.create({ data: { ...columns, nextRunAt } }));
    } catch (error) {
      throw isUniqueViolation(error) ? nameTaken(definition.name, error) : error;
    }
  }

  async writeIf(current: StoredTask, definition: TaskDefinition, nextRunAt: Date | null, actor: string): Promise<boolean> {
    const columns = await this.#columns(definition);
    try {
      const { count } = await withActor(this.#db, actor, (tx) =>
        tx.periodicTask.updateMany({
          where: { id: current.id, changeVersion: Number(current.changeVersion) },
          data: { ...columns, nextRunAt },
        }),
      );
      return count === 1;
    } catch (error) {
      throw isUniqueViolation(error) ? renameTaken(current.name, definition.name, error) : error;
    }
  }

  async setEnabled(current: StoredTask, enabled: boolean, nextRunAt: Date | null, actor: string): Promise<boolean> {
    const { count } = await withActor(this.#db, actor, (tx) =>
      tx.periodicTask.updateMany({ where: { id: current.id, enabled: !enabled }, data: { enabled, nextRunAt } }),
    );
    return count > 0;
  }

  async remove(name: string, actor: string): Promise<boolean> {
    const { count } = await withActor(this.#db, actor, (tx) => tx.periodicTask.deleteMany({ where: { name } }));
    return count > 0;
  }

  /**
   * The row's columns, with its schedule row found or made first. Schedule
   * rows are shared and harmless when unused, so they are written on their
   * own; the task row is then one statement, atomic with the trigger's
   * marker bump.
   */
  async #columns(definition: TaskDefinition) {
    const { schedule, ...rest } = definition;
    const prisma = this.#prisma;
    const ids = { intervalId: null as number | null, crontabId: null as number | null, clockedId: null as number | null };
    if (schedule.kind === 'interval') ids.intervalId = await intervalId(prisma, schedule.every, schedule.period);
    else if (schedule.kind === 'crontab') ids.crontabId = await crontabId(prisma, schedule);
    else if (schedule.kind === 'clocked') ids.clockedId = await clockedId(prisma, schedule.clockedTime);
    else {
      throw new SchedulerError('E_ENTRY_INVALID', `periodic task "${definition.name}": solar schedules need the django layout (django-celery-beat's tables); the djcelery tables have no solar table`, {
        entry: definition.name,
        field: 'schedule',
      });
    }
    return { ...rest, ...ids };
  }
}

// Interval rows are unique on (every, period); when a concurrent writer
// inserts the same one first, ours fails and theirs is found next time.
async function intervalId(prisma: Prisma, every: number, period: IntervalPeriod): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const found = await prisma.intervalSchedule.findUnique({ where: { every_period: { every, period } } });
    if (found) return found.id;
    try {
      return (await prisma.intervalSchedule.create({ data: { every, period } })).id;
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

async function crontabId(tx: Prisma, spec: Extract<ScheduleDefinition, { kind: 'crontab' }>): Promise<number> {
  const { kind: _kind, ...fields } = spec;
  const found = await tx.crontabSchedule.findFirst({ where: fields, orderBy: { id: 'asc' } });
  if (found) return found.id;
  return (await tx.crontabSchedule.create({ data: fields })).id;
}

async function clockedId(tx: Prisma, clockedTime: Date): Promise<number> {
  const found = await tx.clockedSchedule.findFirst({ where: { clockedTime }, orderBy: { id: 'asc' } });
  if (found) return found.id;
  return (await tx.clockedSchedule.create({ data: { clockedTime } })).id;
}

/** A unique constraint failed: Prisma's P2002, or the driver adapter's kind on raw statements. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'P2002' || adapterCause(error)?.kind === 'UniqueConstraintViolation';
}

export const nameTaken = (name: string, cause: unknown): SchedulerError =>
  new SchedulerError('E_ENTRY_EXISTS', `a periodic task named "${name}" exists already`, { cause, entry: name });

export const renameTaken = (from: string, to: string, cause: unknown): SchedulerError =>
  new SchedulerError('E_ENTRY_EXISTS', `cannot rename "${from}": a periodic task named "${to}" exists already`, { cause, entry: from });
