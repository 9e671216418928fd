// PeriodicTaskStore's rows on django-celery-beat's tables, written as
// Django's model saves them: args/kwargs/headers as JSON text, empty
// queue/exchange/routing_key as NULL, date_changed set on every save,
// last_run_at cleared when disabled, and the change marker bumped after
// every write (Django's signals do the same), so Python's
// DatabaseScheduler and ours both reload. A conditional write compares
// date_changed, the only row version Django keeps.
import type { Database } from '../../db/open.js';
import type { SqlParam } from '../../db/sql.js';
import { ScheduleSpecs, toRow, type RawRow } from '../beat-store.js';
import type { ScheduleDefinition, TaskDefinition } from '../entry-input.js';
import { invalidEntry } from '../errors.js';
import { isUniqueViolation, MAX_ATTEMPTS, nameTaken, renameTaken, type StoredTask, type TaskRows } from '../task-rows.js';
import { CLOCKED, CRONTABS, DjangoSql, INTERVALS, SOLAR, TASKS } from './tables.js';

const WRITTEN = [
  'name', 'task', 'args', 'kwargs', 'headers', 'queue', 'exchange', 'routing_key', 'priority', 'expires', 'expire_seconds',
  'one_off', 'start_time', 'enabled', 'description', 'interval_id', 'crontab_id', 'clocked_id', 'solar_id', 'date_changed',
] as const;

export class DjangoTaskRows implements TaskRows {
  readonly #sql: DjangoSql;
  readonly #clock: () => Date;
  readonly #select: string;

  constructor(database: Database, clock: () => Date) {
    this.#sql = new DjangoSql(database);
    this.#clock = clock;
    this.#select = this.#sql.selectTasks();
  }

  async find(name: string): Promise<StoredTask | null> {
    return (await this.#query(`${this.#select}WHERE t.name = ${this.#sql.p(1)}`, [name]))[0] ?? null;
  }

  list(): Promise<StoredTask[]> {
    return this.#query(`${this.#select}ORDER BY t.name`, []);
  }

  async insert(definition: TaskDefinition, _nextRunAt: Date | null): Promise<void> {
    const now = this.#clock();
    const values = await this.#values(definition, now);
    const sql = this.#sql;
    try {
      await sql.db.sql.execute(
        `INSERT INTO ${TASKS} (${WRITTEN.join(', ')}, total_run_count) VALUES (${WRITTEN.map((_, i) => sql.p(i + 1)).join(', ')}, 0)`,
        values,
      );
    } catch (error) {
      throw isUniqueViolation(error) ? nameTaken(definition.name, error) : error;
    }
    await sql.bumpMarker(now);
  }

  async writeIf(current: StoredTask, definition: TaskDefinition, _nextRunAt: Date | null): Promise<boolean> {
    const now = this.#clock();
    const values = await this.#values(definition, now);
    const sql = this.#sql;
    const n = WRITTEN.length;
    let count: number;
    try {
      count = await sql.db.sql.execute(
        `UPDATE ${TASKS} SET ${WRITTEN.map((column, i) => `${column} = ${sql.p(i + 1)}`).join(', ')}` +
          // Django clears last_run_at on saving a disabled task.
          `${definition.enabled ? '' : ', last_run_at = NULL'} ` +
          `WHERE id = ${sql.p(n + 1)} AND ${sql.stamp('date_changed')} = ${sql.p(n + 2)}`,
        [...values, current.id, sql.tokenParam(current.changeVersion)],
      );
    } catch (error) {
      throw isUniqueViolation(error) ? renameTaken(current.name, definition.name, error) : error;
    }
    if (count === 1) await sql.bumpMarker(now);
    return count === 1;
  }

  async setEnabled(current: StoredTask, enabled: boolean, _nextRunAt: Date | null): Promise<boolean> {
    const now = this.#clock();
    const sql = this.#sql;
    const count = await sql.db.sql.execute(
      `UPDATE ${TASKS} SET enabled = ${sql.bool(enabled)}, date_changed = ${sql.p(1)}${enabled ? '' : ', last_run_at = NULL'} ` +
        `WHERE id = ${sql.p(2)} AND enabled = ${sql.bool(!enabled)}`,
      [sql.timeParam(now), current.id],
    );
    if (count === 1) await sql.bumpMarker(now);
    return count === 1;
  }

  async remove(name: string): Promise<boolean> {
    const sql = this.#sql;
    const count = await sql.db.sql.execute(`DELETE FROM ${TASKS} WHERE name = ${sql.p(1)}`, [name]);
    if (count > 0) await sql.bumpMarker(this.#clock());
    return count > 0;
  }

  async #values(definition: TaskDefinition, now: Date): Promise<SqlParam[]> {
    const { schedule } = definition;
    if (schedule.kind === 'clocked' && !definition.oneOff) {
      // Django's model refuses to save this (its admin could not edit the row).
      throw invalidEntry(`periodic task "${definition.name}": django-celery-beat runs a clocked schedule only as a one-off task: set oneOff`, 'oneOff', {
        entry: definition.name,
      });
    }
    const ids = await this.#scheduleIds(schedule);
    const sql = this.#sql;
    const orNull = (text: string | null) => (text === null || text === '' ? null : text);
    return [
      definition.name, definition.task, definition.args, definition.kwargs, definition.headers,
      orNull(definition.queue), orNull(definition.exchange), orNull(definition.routingKey), definition.priority,
      sql.timeParam(definition.expires), definition.expireSeconds, definition.oneOff, sql.timeParam(definition.startTime),
      definition.enabled, definition.description, ids.interval, ids.crontab, ids.clocked, ids.solar, sql.timeParam(now),
    ];
  }

  async #scheduleIds(schedule: ScheduleDefinition): Promise<Record<'interval' | 'crontab' | 'clocked' | 'solar', number | null>> {
    const ids = { interval: null as number | null, crontab: null as number | null, clocked: null as number | null, solar: null as number | null };
    const sql = this.#sql;
    switch (schedule.kind) {
      case 'interval':
        ids.interval = await this.#findOrInsert(INTERVALS, { every: schedule.every, period: schedule.period });
        break;
      case 'crontab': {
        const { minute, hour, dayOfWeek, dayOfMonth, monthOfYear, timezone } = schedule;
        ids.crontab = await this.#findOrInsert(CRONTABS, {
          minute, hour, day_of_week: dayOfWeek, day_of_month: dayOfMonth, month_of_year: monthOfYear, timezone,
        });
        break;
      }
      case 'clocked':
        ids.clocked = await this.#findOrInsert(CLOCKED, { clocked_time: sql.timeParam(schedule.clockedTime) });
        break;
      case 'solar':
        // DECIMAL(9, 6): compared and stored as that text, so Django's rows are found.
        ids.solar = await this.#findOrInsert(SOLAR, {
          event: schedule.event,
          latitude: schedule.latitude.toFixed(6),
          longitude: schedule.longitude.toFixed(6),
        });
        break;
    }
    return ids;
  }

  /**
   * The id of a schedule row with these values, made if there is none.
   * Django keeps solar rows unique; a concurrent insert of the same one
   * fails ours, and theirs is found on the next attempt.
   */
  async #findOrInsert(table: string, values: Record<string, SqlParam>): Promise<number> {
    const sql = this.#sql;
    const columns = Object.keys(values);
    const params = Object.values(values);
    const decimal = (column: string, n: number) =>
      column === 'latitude' || column === 'longitude' ? `CAST(${sql.p(n)} AS DECIMAL(9, 6))` : sql.p(n);
    const where = columns.map((column, i) => (column === 'clocked_time' ? `${sql.stamp(column)} = ${sql.p(i + 1)}` : `${column} = ${decimal(column, i + 1)}`));
    const find = `SELECT id FROM ${table} WHERE ${where.join(' AND ')} ORDER BY id`;
    const findParams = params.map((value, i) => (columns[i] === 'clocked_time' && value instanceof Date ? sql.tokenParam(sql.tokenOf(value)) : value));
    for (let attempt = 1; ; attempt++) {
      const [found] = await sql.db.sql.query<{ id: unknown }>(find, findParams);
      if (found) return Number(found.id);
      try {
        await sql.db.sql.execute(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((c, i) => decimal(c, i + 1)).join(', ')})`, params);
      } catch (error) {
        if (!isUniqueViolation(error) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }

  async #query(statement: string, params: SqlParam[]): Promise<StoredTask[]> {
    const rows = await this.#sql.db.sql.query(statement, params);
    const specs = new ScheduleSpecs();
    return rows.map((raw: RawRow) => ({ ...toRow(raw, specs), description: String(raw.description ?? ''), nextRunAt: null }) as StoredTask);
  }
}
