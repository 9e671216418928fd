// django-celery-beat 2.4's tables as our periodic-task store and beat see
// them: names, the columns we use (checked at start), how times are read
// and written so Django reads ours and we read Django's, and its change
// marker. Django's migrations make and own these tables; we never alter them.
//
// Times are those of a Django project with USE_TZ = True (Django's default):
// UTC instants (timestamptz on PostgreSQL, UTC DATETIME(6) on MySQL, UTC
// text "YYYY-MM-DD HH:MM:SS.ffffff" on SQLite).
import { checkTables, type RequiredTables } from '../../db/layout.js';
import type { Database } from '../../db/open.js';
import type { SqlParam } from '../../db/sql.js';
import { toDate } from '../beat-store.js';

export const TASKS = 'django_celery_beat_periodictask';
export const MARKER = 'django_celery_beat_periodictasks';
export const INTERVALS = 'django_celery_beat_intervalschedule';
export const CRONTABS = 'django_celery_beat_crontabschedule';
export const CLOCKED = 'django_celery_beat_clockedschedule';
export const SOLAR = 'django_celery_beat_solarschedule';

/** Every table and column the django layout's scheduler reads or writes. */
export const REQUIRED: RequiredTables = {
  [TASKS]: [
    'id', 'name', 'task', 'args', 'kwargs', 'headers', 'queue', 'exchange', 'routing_key', 'priority', 'expires',
    'expire_seconds', 'one_off', 'start_time', 'enabled', 'last_run_at', 'total_run_count', 'date_changed',
    'description', 'interval_id', 'crontab_id', 'clocked_id', 'solar_id',
  ],
  [MARKER]: ['ident', 'last_update'],
  [INTERVALS]: ['id', 'every', 'period'],
  [CRONTABS]: ['id', 'minute', 'hour', 'day_of_week', 'day_of_month', 'month_of_year', 'timezone'],
  [CLOCKED]: ['id', 'clocked_time'],
  [SOLAR]: ['id', 'event', 'latitude', 'longitude'],
};

/** Throws a LayoutTablesError naming what django-celery-beat's migrations would make. */
export function checkBeatTables(db: Database): Promise<void> {
  return checkTables(db, REQUIRED, 'run `python manage.py migrate django_celery_beat` in the Django project');
}

/** SQL helpers for one database. */
export class DjangoSql {
  readonly db: Database;

  constructor(db: Database) {
    this.db = db;
  }

  /**
   * The tasks joined with their schedules, as toRow (and the store's
   * description) read them; append a WHERE. `tasks` is the table, or a
   * derived table of it (a page, cut before the joins).
   */
  selectTasks(tasks: string = TASKS): string {
    return (
      'SELECT t.id, t.name, t.task, t.args, t.kwargs, t.headers, t.queue, t.exchange, t.routing_key, t.priority, t.description, ' +
      `${this.time('t.expires')} AS expires, t.expire_seconds, t.one_off, ${this.time('t.start_time')} AS start_time, t.enabled, ` +
      `${this.time('t.last_run_at')} AS last_run_at, ${this.stamp('t.last_run_at')} AS last_run_token, t.total_run_count, ` +
      `${this.time('t.date_changed')} AS date_changed, ${this.stamp('t.date_changed')} AS change_version, ` +
      't.interval_id, t.crontab_id, t.clocked_id, t.solar_id, i.every, i.period, ' +
      'c.minute, c.hour, c.day_of_week, c.day_of_month, c.month_of_year, c.timezone, ' +
      `${this.time('k.clocked_time')} AS clocked_time, s.event, s.latitude, s.longitude ` +
      `FROM ${tasks} t ` +
      `LEFT JOIN ${INTERVALS} i ON i.id = t.interval_id ` +
      `LEFT JOIN ${CRONTABS} c ON c.id = t.crontab_id ` +
      `LEFT JOIN ${CLOCKED} k ON k.id = t.clocked_id ` +
      `LEFT JOIN ${SOLAR} s ON s.id = t.solar_id `
    );
  }

  p(n: number): string {
    return this.db.dialect.param(n);
  }

  bool(value: boolean): string {
    if (this.db.provider === 'mysql') return value ? '1' : '0';
    return value ? 'TRUE' : 'FALSE';
  }

  /**
   * A time column read back as a Date (SQLite: as its text, which toDate
   * reads as UTC, since the driver would read Django's zone-less text as
   * local time).
   */
  time(column: string): string {
    return this.db.provider === 'sqlite' ? `CAST(${column} AS TEXT)` : column;
  }

  /**
   * A time column as an exact token to compare in a WHERE: epoch
   * microseconds on PostgreSQL and MySQL (Python writes microseconds, a
   * Date holds milliseconds), the stored text on SQLite.
   */
  stamp(column: string): string {
    if (this.db.provider === 'postgresql') return `CAST(EXTRACT(EPOCH FROM ${column}) * 1000000 AS BIGINT)`;
    if (this.db.provider === 'mysql') return `TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', ${column})`;
    return `CAST(${column} AS TEXT)`;
  }

  /** A Date as a parameter for a time column: Django's own text on SQLite. */
  timeParam(value: Date | null): SqlParam {
    if (value === null || this.db.provider !== 'sqlite') return value;
    return `${value.toISOString().slice(0, 23).replace('T', ' ')}000`;
  }

  /** The token stamp() reads for a time this side wrote with timeParam(). */
  tokenOf(value: Date): number | string {
    return this.db.provider === 'sqlite' ? (this.timeParam(value) as string) : value.getTime() * 1000;
  }

  /** A token as a parameter to compare with stamp(). */
  tokenParam(token: number | string): SqlParam {
    return typeof token === 'number' ? BigInt(token) : token;
  }

  readTime(value: unknown): Date | null {
    return toDate(value);
  }

  /**
   * Tells every scheduler, ours and Python's, that the schedule changed, as
   * django-celery-beat's signals do on a save: last_update = now, the row
   * made if missing. Not atomic with the write it follows: a poll between
   * the two sees the write through date_changed or the row count anyway.
   */
  async bumpMarker(now: Date): Promise<void> {
    const at = this.timeParam(now);
    const updated = await this.db.sql.execute(`UPDATE ${MARKER} SET last_update = ${this.p(1)} WHERE ident = 1`, [at]);
    if (updated === 0) await this.insertMarker(now);
  }

  /** Makes the marker row if it is missing (Django makes it on the first save). */
  async insertMarker(now: Date): Promise<void> {
    const values = `(ident, last_update) VALUES (1, ${this.p(1)})`;
    const sql =
      this.db.provider === 'mysql' ? `INSERT IGNORE INTO ${MARKER} ${values}` : `INSERT INTO ${MARKER} ${values} ON CONFLICT (ident) DO NOTHING`;
    await this.db.sql.execute(sql, [this.timeParam(now)]);
  }
}
