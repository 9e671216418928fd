// The database side of DatabaseScheduler: a handful of statements, written
// as plain SQL so the hot ones (the marker poll, the claim) cost one round
// trip with nothing in between. Everything beat decides is in entry.ts and
// database-scheduler.ts; this file only moves rows.
import type { Database } from '../db/open.js';
import type { PeriodicTaskRow, RowVersion } from './entry.js';
import { withActor } from './schedule-audit.js';
import type { CrontabSpec } from './schedules/crontab.js';
import type { IntervalSpec } from './schedules/interval.js';

/**
 * last_run_at as beat read it, to compare in the claim's WHERE. PostgreSQL
 * and MySQL compare the instant (their columns hold milliseconds, as a Date
 * does). SQLite holds text in whatever form its writer chose, so the token
 * is that exact text, and beat writes its own times as text too. On
 * django-celery-beat's tables, whose times Python writes in microseconds,
 * PostgreSQL and MySQL tokens are epoch microseconds.
 */
export type RunToken = Date | string | number | null;

export interface StoredRow {
  readonly row: PeriodicTaskRow;
  readonly lastRunToken: RunToken;
}

export interface Claim {
  readonly id: number;
  /** The row's version as beat read it: an edit since then makes the claim fail. */
  readonly changeVersion: RowVersion;
  readonly lastRunToken: RunToken;
  readonly runAt: Date;
  readonly nextRunAt: Date | null;
}

export interface Unclaim {
  readonly id: number;
  /** What the claim wrote (claim()'s result) and the count it left. */
  readonly claimedToken: RunToken;
  readonly claimedCount: number;
  /** What to put back. */
  readonly lastRunToken: RunToken;
  readonly nextRunAt: Date | null;
}

/**
 * What DatabaseScheduler needs from a table layout's periodic-task tables:
 * a change marker to poll, rows to load, and the conditional writes that
 * claim, give back and disable runs. BeatStore is djcelery's;
 * DjangoBeatStore (django/beat-store.ts) is django-celery-beat's.
 */
export interface BeatTables {
  /** A number that moves when the schedule changed; null when the marker row is missing. */
  readVersion(): Promise<number | null>;
  ensureMarker(now: Date): Promise<void>;
  /**
   * Rows after the last one of the previous page (`after`; null for the
   * first), at most `limit`, by id: a page of a full read. Disabled rows
   * too: the primary key alone then orders and bounds the page, whatever
   * the planner's statistics say about `enabled`.
   */
  loadPage(after: StoredRow | null, limit: number): Promise<StoredRow[]>;
  loadOne(id: number): Promise<StoredRow | null>;
  claim(claim: Claim): Promise<RunToken | null>;
  unclaim(unclaim: Unclaim): Promise<boolean>;
  restamp(restamp: { id: number; token: RunToken; count: number; runAt: Date; nextRunAt: Date | null }): Promise<RunToken | null>;
  disable(id: number, changeVersion: RowVersion, resetRuns?: boolean): Promise<boolean>;
  tokenFor(runAt: Date): RunToken;
  /** Row-level change tracking; without it, a moved version means reading every row again. */
  readonly changes?: ChangeLog;
  /** Read every row again at least this often (ms), for edits the version cannot show; undefined: never. */
  readonly reloadEveryMs?: number;
}

/** Which rows changed since a version, and which were deleted (djcelery's change_version and deletion log). */
export interface ChangeLog {
  /** Rows stamped after `version`, enabled or not, a page at a time as loadPage reads them (`after`: the previous page's last). */
  loadChanged(version: number, after: StoredRow | null, limit: number): Promise<StoredRow[]>;
  deletedSince(version: number): Promise<number[]>;
  pruneDeletions(before: Date): Promise<number>;
}

type Param = string | number | Date | null;
export type RawRow = Record<string, unknown>;

const TASK_COLUMNS = [
  'id', 'name', 'task', 'args', 'kwargs', 'headers', 'queue', 'exchange', 'routing_key', 'priority', 'expires',
  'expire_seconds', 'one_off', 'start_time', 'enabled', 'last_run_at', 'total_run_count', 'date_changed',
  'change_version', 'interval_id', 'crontab_id', 'clocked_id',
] as const;
const INTERVAL_COLUMNS = ['every', 'period'];
const CRONTAB_COLUMNS = ['minute', 'hour', 'day_of_week', 'day_of_month', 'month_of_year', 'timezone'];
/** What a joined row selects: the task (t) and its schedule's columns (interval i, crontab c, clocked k). */
const SELECTED: readonly (readonly [string, string])[] = [
  ...TASK_COLUMNS.map((column) => ['t', column] as const),
  ...INTERVAL_COLUMNS.map((column) => ['i', column] as const),
  ...CRONTAB_COLUMNS.map((column) => ['c', column] as const),
  ['k', 'clocked_time'],
];
/** What a page selects: the task's own columns and its clocked time (BeatStore.#schedules says why). */
const PAGE_SELECTED = SELECTED.filter(([table]) => table === 't' || table === 'k');
const TIMES = new Set(['expires', 'start_time', 'last_run_at', 'date_changed', 'clocked_time']);
const CLOCKED_JOIN = 'LEFT JOIN djcelery_clockedschedule k ON k.id = t.clocked_id';

interface ReadSchedules {
  readonly intervals: Map<unknown, RawRow>;
  readonly crontabs: Map<unknown, RawRow>;
  readonly specs: ScheduleSpecs;
}

export class BeatStore implements BeatTables, ChangeLog {
  readonly changes: ChangeLog = this;
  readonly #db: Database;
  /** The selected columns up to FROM, and the schedule joins after the tasks' alias t. */
  readonly #columns: string;
  readonly #joins: string;
  /** A page's columns up to FROM (#pageRaws says how they travel), and their names in order. */
  readonly #pageColumns: string;
  readonly #pageNames: readonly string[];
  /**
   * Intervals and crontabs, a few dozen rows that a million tasks repeat,
   * read at the first page of each read (and again when a page names one
   * not read), instead of joined into every row. An edit to one stamps its
   * tasks, so the next sync reads them again.
   */
  #schedules: ReadSchedules | undefined;

  constructor(database: Database) {
    this.#db = database;
    const q = (name: string) => database.dialect.ident(name);
    const text = database.provider === 'sqlite' ? `, CAST(t.${q('last_run_at')} AS TEXT) AS ${q('last_run_text')}` : '';
    this.#columns = `SELECT ${SELECTED.map(([table, column]) => `${table}.${q(column)}`).join(', ')}${text} `;
    const provider = database.provider;
    // Times as epoch milliseconds: a number costs the server and the driver far less than a timestamp's text;
    // MySQL's by a difference that holds for any date (UNIX_TIMESTAMP stops at 1970 and 2106). SQLite's stay text.
    const value = ([table, column]: readonly [string, string]) => {
      const name = `${table}.${q(column)}`;
      if (!TIMES.has(column) || provider === 'sqlite') return name;
      return provider === 'postgresql' ? `date_part('epoch', ${name}) * 1000 AS ${q(column)}` : `TIMESTAMPDIFF(MICROSECOND, '1970-01-01', ${name}) DIV 1000`;
    };
    const values = PAGE_SELECTED.map(value);
    const names = PAGE_SELECTED.map(([, column]) => column);
    if (provider === 'sqlite') {
      values.push(`CAST(t.${q('last_run_at')} AS TEXT)`);
      names.push('last_run_text');
    }
    this.#pageNames = names;
    this.#pageColumns =
      provider === 'postgresql' ? `SELECT ${values.join(', ')} `
      : `SELECT ${provider === 'mysql' ? 'JSON_ARRAY' : 'json_array'}(${values.join(', ')}) AS r `;
    this.#joins =
      `LEFT JOIN ${q('djcelery_intervalschedule')} i ON i.${q('id')} = t.${q('interval_id')} ` +
      `LEFT JOIN ${q('djcelery_crontabschedule')} c ON c.${q('id')} = t.${q('crontab_id')} ` +
      `LEFT JOIN ${q('djcelery_clockedschedule')} k ON k.${q('id')} = t.${q('clocked_id')} `;
  }

  /** The change marker's version; null when the marker row is missing. */
  async readVersion(): Promise<number | null> {
    const rows = await this.#query('SELECT version FROM djcelery_periodictasks WHERE ident = 1', []);
    const version = rows[0]?.version;
    return version === undefined || version === null ? null : Number(version);
  }

  /** Creates the marker row if it is missing, at the highest version any row carries. */
  async ensureMarker(now: Date): Promise<void> {
    const select = `SELECT 1, ${this.#p(1)}, COALESCE(MAX(change_version), 0) FROM djcelery_periodictask`;
    const insert = 'INSERT INTO djcelery_periodictasks (ident, last_update, version)';
    const sql =
      this.#db.provider === 'mysql' ? `INSERT IGNORE INTO djcelery_periodictasks (ident, last_update, version) ${select}`
      // SQLite needs the WHERE to tell the SELECT's end from the upsert clause.
      : this.#db.provider === 'sqlite' ? `${insert} ${select} WHERE true ON CONFLICT (ident) DO NOTHING`
      : `${insert} ${select} ON CONFLICT (ident) DO NOTHING`;
    await this.#execute(sql, [this.#time(now)]);
  }

  loadPage(after: StoredRow | null, limit: number): Promise<StoredRow[]> {
    return this.#pageRows(`t.id > ${this.#p(1)}`, ['id'], limit, [after?.row.id ?? 0], after === null);
  }

  /**
   * By version, then id: the change_version index finds a few changed rows
   * among a million, and a page may end among rows one statement stamped
   * with the same version.
   */
  loadChanged(version: number, after: StoredRow | null, limit: number): Promise<StoredRow[]> {
    const order = ['change_version', 'id'];
    if (after === null) return this.#pageRows(`t.change_version > ${this.#p(1)}`, order, limit, [version], true);
    const where = `t.change_version >= ${this.#p(1)} AND (t.change_version > ${this.#p(2)} OR t.id > ${this.#p(3)})`;
    const { changeVersion, id } = after.row;
    return this.#pageRows(where, order, limit, [changeVersion, changeVersion, id], false);
  }

  async loadOne(id: number): Promise<StoredRow | null> {
    return (await this.#rows(`${this.#columns}FROM djcelery_periodictask t ${this.#joins}WHERE t.id = ${this.#p(1)}`, [id]))[0] ?? null;
  }

  /**
   * A page of the tasks `where` selects (on alias t), in `order`, with
   * their schedules (`first`: the first page of a read).
   */
  async #pageRows(where: string, order: string[], limit: number, params: Param[], first: boolean): Promise<StoredRow[]> {
    const sorted = order.map((column) => `t.${column}`).join(', ');
    const from =
      this.#db.provider === 'postgresql'
        ? // Cut before the join: a planner misled by stale statistics (a million rows just inserted) would otherwise join every row, then sort.
          `(SELECT * FROM djcelery_periodictask t WHERE ${where} ORDER BY ${sorted} LIMIT ${limit}) t ${CLOCKED_JOIN} ORDER BY ${sorted}`
        : `djcelery_periodictask t ${CLOCKED_JOIN} WHERE ${where} ORDER BY ${sorted} LIMIT ${limit}`;
    const [raws, read] = await Promise.all([
      this.#pageRaws(`${this.#pageColumns}FROM ${from}`, params),
      first || this.#schedules === undefined ? this.#readSchedules() : this.#schedules,
    ]);
    // A schedule made after they were read, for a task made before this page was.
    const unknown = (raw: RawRow) =>
      (raw.interval_id !== null && !read.intervals.has(raw.interval_id)) || (raw.crontab_id !== null && !read.crontabs.has(raw.crontab_id));
    const { intervals, crontabs, specs } = raws.some(unknown) ? await this.#readSchedules() : read;
    return raws.map((raw) => this.#stored(raw, specs, intervals.get(raw.interval_id), crontabs.get(raw.crontab_id)));
  }

  /**
   * A page's rows, straight from the driver: its work per value, not the
   * server's, is most of a page's cost. PostgreSQL's come as they are
   * (Prisma's raw call would cost more per value than the server does per
   * row); MySQL's and SQLite's as one JSON text each, which made a
   * million-row read of SQLite four times faster and spared MariaDB's
   * driver the dozen closures it makes for every value.
   */
  async #pageRaws(sql: string, params: Param[]): Promise<RawRow[]> {
    if (this.#db.provider === 'postgresql') return this.#db.sql.query(sql, params);
    const names = this.#pageNames;
    const shape: RawRow = {};
    for (const name of names) shape[name] = null;
    return (await this.#db.sql.query<{ r: unknown }>(sql, params)).map(({ r }) => {
      const values = (typeof r === 'string' ? JSON.parse(r) : r) as unknown[];
      const raw: RawRow = { ...shape };
      for (let at = 0; at < names.length; at++) raw[names[at] as string] = values[at];
      return raw;
    });
  }

  async #readSchedules(): Promise<ReadSchedules> {
    const byId = async (sql: string) => new Map((await this.#db.sql.query(sql)).map((row) => [row.id, row]));
    const [intervals, crontabs] = await Promise.all([
      byId(`SELECT id, ${INTERVAL_COLUMNS.join(', ')} FROM djcelery_intervalschedule`),
      byId(`SELECT id, ${CRONTAB_COLUMNS.join(', ')} FROM djcelery_crontabschedule`),
    ]);
    return (this.#schedules = { intervals, crontabs, specs: new ScheduleSpecs() });
  }

  /** Ids of periodic tasks deleted after `version`. */
  async deletedSince(version: number): Promise<number[]> {
    const rows = await this.#query(
      `SELECT periodic_task_id FROM djcelery_periodictask_deleted WHERE version > ${this.#p(1)}`,
      [version],
    );
    return rows.map((row) => Number(row.periodic_task_id));
  }

  /**
   * Reserves one run: advances last_run_at and total_run_count, and sets
   * next_run_at, only if the row still has the change_version and
   * last_run_at beat read and is enabled. One statement, so of several
   * beats exactly one wins, and no other column is written. Returns the new
   * run token, or null if the row moved on (another beat's claim, an edit,
   * a deletion).
   */
  async claim(claim: Claim): Promise<RunToken | null> {
    const token = this.#time(claim.runAt);
    const sameRun = claim.lastRunToken === null ? 'last_run_at IS NULL' : `last_run_at = ${this.#p(5)}`;
    const params: Param[] = [token, this.#time(claim.nextRunAt), claim.id, claim.changeVersion];
    if (claim.lastRunToken !== null) params.push(claim.lastRunToken);
    const count = await this.#execute(
      'UPDATE djcelery_periodictask ' +
        `SET last_run_at = ${this.#p(1)}, total_run_count = total_run_count + 1, next_run_at = ${this.#p(2)} ` +
        `WHERE id = ${this.#p(3)} AND change_version = ${this.#p(4)} AND enabled = ${this.#true()} AND ${sameRun}`,
      params,
    );
    return count === 1 ? token : null;
  }

  /**
   * Gives a reserved run back after its message could not be sent, so that
   * it is due again for this beat or any other. Only if nothing else has
   * written the run since. It touches the row (change_version = 0), so every
   * beat re-reads it and may send the run at once; the triggers count that
   * as a change but not as an edit: date_changed, which an entry that never
   * ran counts from, stays.
   */
  async unclaim(unclaim: Unclaim): Promise<boolean> {
    const restore = unclaim.lastRunToken === null ? null : this.#time(unclaim.lastRunToken);
    const count = await this.#execute(
      'UPDATE djcelery_periodictask ' +
        `SET last_run_at = ${this.#p(1)}, total_run_count = total_run_count - 1, next_run_at = ${this.#p(2)}, change_version = 0 ` +
        `WHERE id = ${this.#p(3)} AND total_run_count = ${this.#p(4)} AND last_run_at = ${this.#p(5)}`,
      [restore, this.#time(unclaim.nextRunAt), unclaim.id, unclaim.claimedCount, unclaim.claimedToken],
    );
    return count === 1;
  }

  /**
   * Moves a claimed run to `runAt` (the claim's answer was lost and the run
   * is sent late), only if the row still holds that claim. Bookkeeping, as
   * a claim is: another beat holding the old token fails its claim and
   * re-reads the row. Returns the new token, or null.
   */
  async restamp(restamp: { id: number; token: RunToken; count: number; runAt: Date; nextRunAt: Date | null }): Promise<RunToken | null> {
    const token = this.#time(restamp.runAt);
    const count = await this.#execute(
      `UPDATE djcelery_periodictask SET last_run_at = ${this.#p(1)}, next_run_at = ${this.#p(2)} ` +
        `WHERE id = ${this.#p(3)} AND total_run_count = ${this.#p(4)} AND last_run_at = ${this.#p(5)}`,
      [token, this.#time(restamp.nextRunAt), restamp.id, restamp.count, restamp.token],
    );
    return count === 1 ? token : null;
  }

  /**
   * Disables an entry beat cannot run (bad row, one-off done, expired),
   * unless it was edited since. `resetRuns` sets total_run_count to 0, as
   * django-celery-beat does for a finished one-off: enabled again, it runs again.
   */
  async disable(id: number, changeVersion: RowVersion, resetRuns = false): Promise<boolean> {
    // A schedule change, unlike the bookkeeping: the audit trail names beat.
    const count = await withActor(this.#db, 'beat', (tx) =>
      tx.$executeRawUnsafe(
        `UPDATE djcelery_periodictask SET enabled = ${this.#false()}${resetRuns ? ', total_run_count = 0' : ''} ` +
          `WHERE id = ${this.#p(1)} AND change_version = ${this.#p(2)} AND enabled = ${this.#true()}`,
        id,
        changeVersion,
      ),
    );
    return count === 1;
  }

  /** The token a claim at `runAt` writes (what claim() returns when it takes). */
  tokenFor(runAt: Date): RunToken {
    return this.#time(runAt);
  }

  /** Forgets deletions logged before `before`. */
  pruneDeletions(before: Date): Promise<number> {
    return this.#execute(`DELETE FROM djcelery_periodictask_deleted WHERE deleted_at < ${this.#p(1)}`, [this.#time(before)]);
  }

  async #rows(sql: string, params: Param[]): Promise<StoredRow[]> {
    const specs = new ScheduleSpecs();
    return (await this.#query(sql, params)).map((raw) => this.#stored(raw, specs));
  }

  /** `raw` (with its schedules' rows, when read beside it) as beat reads it. */
  #stored(raw: RawRow, specs: ScheduleSpecs, interval?: RawRow, crontab?: RawRow): StoredRow {
    const row = rowOf(raw, specs, interval, crontab);
    return { row, lastRunToken: this.#db.provider === 'sqlite' ? ((raw.last_run_text as string | null) ?? null) : row.lastRunAt };
  }

  // Straight to the driver: through Prisma's raw calls, a claim cost five times as much, and a
  // million-row schedule's overdue runs drained at half the rate.
  #query(sql: string, params: Param[]): Promise<RawRow[]> {
    return this.#db.sql.query(sql, params);
  }

  #execute(sql: string, params: Param[]): Promise<number> {
    return this.#db.sql.execute(sql, params);
  }

  #p(n: number): string {
    return this.#db.dialect.param(n);
  }

  #true(): string {
    return this.#db.provider === 'mysql' ? '1' : 'TRUE';
  }

  #false(): string {
    return this.#db.provider === 'mysql' ? '0' : 'FALSE';
  }

  /** A time as this provider's tokens hold it: text on SQLite (as Prisma writes it), else a Date. */
  #time(value: Date | string | number): Date | string;
  #time(value: Date | string | number | null): Date | string | null;
  #time(value: Date | string | number | null): Date | string | null {
    // Microsecond tokens are the django layout's; the type allows them here too.
    if (typeof value === 'number') value = new Date(value / 1000);
    if (value === null || typeof value === 'string' || this.#db.provider !== 'sqlite') return value;
    return value.toISOString().replace('Z', '+00:00');
  }
}

/** A joined row (task, interval, crontab, clocked, and solar when selected) as beat reads it; `specs` shared by the rows read together. */
export function toRow(raw: RawRow, specs: ScheduleSpecs): PeriodicTaskRow {
  return rowOf(raw, specs);
}

/**
 * One spec object per schedule id for the rows read together, so that a
 * million rows sharing a few dozen schedules hold a few dozen specs;
 * frozen, so that ScheduleCache knows each by identity instead of by its text.
 */
export class ScheduleSpecs {
  readonly #intervals = new Map<unknown, IntervalSpec>();
  readonly #crontabs = new Map<unknown, CrontabSpec>();

  /** Interval `id`'s spec, from `raw`'s columns the first time. */
  interval(id: unknown, raw: RawRow): IntervalSpec {
    let spec = this.#intervals.get(id);
    if (spec === undefined) this.#intervals.set(id, (spec = Object.freeze({ every: Number(raw.every), period: String(raw.period) })));
    return spec;
  }

  /** Crontab `id`'s spec, from `raw`'s columns the first time. */
  crontab(id: unknown, raw: RawRow): CrontabSpec {
    let spec = this.#crontabs.get(id);
    if (spec === undefined) {
      spec = Object.freeze({
        minute: String(raw.minute),
        hour: String(raw.hour),
        dayOfWeek: String(raw.day_of_week),
        dayOfMonth: String(raw.day_of_month),
        monthOfYear: String(raw.month_of_year),
        timezone: String(raw.timezone),
      });
      this.#crontabs.set(id, spec);
    }
    return spec;
  }
}

const nullableText = (value: unknown): string | null => (value === null || value === undefined ? null : String(value));
const nullableInt = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/**
 * A row from its columns' values: the task's own in `raw`, its interval's
 * and crontab's in `raw` too when joined, else in the schedule rows read
 * beside the page.
 */
function rowOf(raw: RawRow, specs: ScheduleSpecs, interval: RawRow = raw, crontab: RawRow = raw): PeriodicTaskRow {
  const solarId = raw.solar_id;
  const intervalId = raw.interval_id;
  const crontabId = raw.crontab_id;
  return {
    id: Number(raw.id),
    name: String(raw.name),
    task: String(raw.task),
    args: String(raw.args ?? ''),
    kwargs: String(raw.kwargs ?? ''),
    headers: String(raw.headers ?? ''),
    queue: nullableText(raw.queue),
    exchange: nullableText(raw.exchange),
    routingKey: nullableText(raw.routing_key),
    priority: nullableInt(raw.priority),
    expires: toDate(raw.expires),
    expireSeconds: nullableInt(raw.expire_seconds),
    oneOff: toBool(raw.one_off),
    startTime: toDate(raw.start_time),
    enabled: toBool(raw.enabled),
    lastRunAt: toDate(raw.last_run_at),
    totalRunCount: Number(raw.total_run_count),
    dateChanged: toDate(raw.date_changed) ?? new Date(0),
    changeVersion: changeVersionOf(raw.change_version),
    interval: intervalId === null ? null : specs.interval(intervalId, interval),
    crontab: crontabId === null ? null : specs.crontab(crontabId, crontab),
    clocked: raw.clocked_id === null ? null : { clockedTime: toDate(raw.clocked_time) ?? new Date(NaN) },
    solar:
      solarId === null || solarId === undefined
        ? null
        : { event: String(raw.event), latitude: Number(raw.latitude), longitude: Number(raw.longitude) },
  };
}

function changeVersionOf(value: unknown): RowVersion {
  return typeof value === 'string' ? value : Number(value);
}

function toBool(value: unknown): boolean {
  return value === true || value === 1 || value === 1n || value === '1' || value === 'true';
}

/**
 * A time column as a Date. Prisma gives Dates; SQLite text written by other
 * clients ("2026-01-02 03:04:05", no zone) is UTC, as SQLite's own
 * CURRENT_TIMESTAMP is.
 */
export function toDate(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value;
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  const text = String(value).trim();
  const zoned = /(?:Z|[+-]\d\d:?\d\d)$/i.test(text) ? text : `${text.replace(' ', 'T')}Z`;
  return new Date(zoned);
}
