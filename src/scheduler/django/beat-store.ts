// DatabaseScheduler's side of django-celery-beat's tables.
//
// Noticing edits: Django's tables have none of our triggers, no row
// versions and no deletion log, and we add none (Django owns them). Each
// sync (every syncInterval, 0.5 s by default) reads one row of three
// numbers: the change marker's last_update (Django's signals bump it on
// every save and delete, and so do our writes), MAX(date_changed) (moved by
// every save, even one that skips the signals) and COUNT(*) (moved by
// bulk_create and raw inserts). When any of them moved, beat reads every
// row again, as Python's DatabaseScheduler does when the marker moves. A
// queryset .update() moves none of the three (Django's admin actions bump
// the marker after theirs; Python's scheduler never sees one): for those,
// beat reads every row again each minute anyway.
//
// Claiming runs, exactly once: a claim is one conditional UPDATE of
// last_run_at and total_run_count, only if the row still has the
// last_run_at and date_changed beat read and is enabled. Of several beats
// that read the same row, the first UPDATE wins; the others match no row
// and re-read it. No bookkeeping table of ours is needed, so beat runs on a
// database that has only Django's tables. Beat's bookkeeping writes leave
// date_changed and the marker alone, as Python's scheduler saves
// last_run_at without signalling a change. (Python's beat saves its
// bookkeeping unconditionally: running it beside ours on one table sends a
// run twice, as two Python beats would.)
import type { BeatTables, Claim, RunToken, StoredRow, Unclaim } from '../beat-store.js';
import { ScheduleSpecs, toRow } from '../beat-store.js';
import type { RowVersion } from '../entry.js';
import type { Database } from '../../db/open.js';
import { DjangoSql, MARKER, TASKS } from './tables.js';

/** Every row is read again this often, for edits that move neither the marker nor date_changed nor the count. */
const RELOAD_EVERY_MS = 60_000;

export class DjangoBeatStore implements BeatTables {
  readonly reloadEveryMs = RELOAD_EVERY_MS;
  readonly #sql: DjangoSql;
  readonly #select: string;
  #signature: string | undefined;
  #generation = 0;

  constructor(database: Database) {
    this.#sql = new DjangoSql(database);
    this.#select = this.#sql.selectTasks();
  }

  /** A generation number that moves whenever the marker, MAX(date_changed) or the row count moved since the last poll. */
  async readVersion(): Promise<number> {
    const { db } = this.#sql;
    const [row] = await db.sql.query(
      // One pass over the task table for both aggregates.
      `SELECT (SELECT ${this.#sql.stamp('last_update')} FROM ${MARKER} WHERE ident = 1) AS mark, ` +
        `${this.#sql.stamp('MAX(date_changed)')} AS changed, COUNT(*) AS n FROM ${TASKS}`,
    );
    const signature = JSON.stringify([row?.mark ?? null, row?.changed ?? null, String(row?.n ?? 0)]);
    if (signature !== this.#signature) {
      this.#signature = signature;
      this.#generation++;
    }
    return this.#generation;
  }

  ensureMarker(now: Date): Promise<void> {
    return this.#sql.insertMarker(now);
  }

  loadPage(after: StoredRow | null, limit: number): Promise<StoredRow[]> {
    const afterId = after?.row.id ?? 0;
    // The page is cut before the joins, as BeatStore cuts its pages.
    const page = `(SELECT * FROM ${TASKS} WHERE id > ${this.#sql.p(1)} ORDER BY id LIMIT ${limit})`;
    return this.#rows(`${this.#sql.selectTasks(page)}ORDER BY t.id`, [afterId]);
  }

  async loadOne(id: number): Promise<StoredRow | null> {
    return (await this.#rows(`${this.#select}WHERE t.id = ${this.#sql.p(1)}`, [id]))[0] ?? null;
  }

  async claim(claim: Claim): Promise<RunToken | null> {
    const sql = this.#sql;
    const params = [sql.timeParam(claim.runAt), claim.id, sql.tokenParam(claim.changeVersion)];
    const sameRun = claim.lastRunToken === null ? 'last_run_at IS NULL' : `${sql.stamp('last_run_at')} = ${sql.p(4)}`;
    if (claim.lastRunToken !== null) params.push(this.#tokenParam(claim.lastRunToken));
    const count = await sql.db.sql.execute(
      `UPDATE ${TASKS} SET last_run_at = ${sql.p(1)}, total_run_count = total_run_count + 1 ` +
        `WHERE id = ${sql.p(2)} AND enabled = ${sql.bool(true)} AND ${sql.stamp('date_changed')} = ${sql.p(3)} AND ${sameRun}`,
      params,
    );
    return count === 1 ? sql.tokenOf(claim.runAt) : null;
  }

  /**
   * Gives a run back, if nothing wrote the run since; then bumps the marker
   * so every beat reads the row again and may send the run at once.
   */
  async unclaim(unclaim: Unclaim): Promise<boolean> {
    const sql = this.#sql;
    if (unclaim.claimedToken === null) return false;
    const count = await sql.db.sql.execute(
      `UPDATE ${TASKS} SET last_run_at = ${sql.p(1)}, total_run_count = total_run_count - 1 ` +
        `WHERE id = ${sql.p(2)} AND total_run_count = ${sql.p(3)} AND ${sql.stamp('last_run_at')} = ${sql.p(4)}`,
      [this.#restore(unclaim.lastRunToken), unclaim.id, unclaim.claimedCount, this.#tokenParam(unclaim.claimedToken)],
    );
    if (count === 1) await sql.bumpMarker(new Date());
    return count === 1;
  }

  async restamp(restamp: { id: number; token: RunToken; count: number; runAt: Date }): Promise<RunToken | null> {
    const sql = this.#sql;
    if (restamp.token === null) return null;
    const count = await sql.db.sql.execute(
      `UPDATE ${TASKS} SET last_run_at = ${sql.p(1)} ` +
        `WHERE id = ${sql.p(2)} AND total_run_count = ${sql.p(3)} AND ${sql.stamp('last_run_at')} = ${sql.p(4)}`,
      [sql.timeParam(restamp.runAt), restamp.id, restamp.count, this.#tokenParam(restamp.token)],
    );
    return count === 1 ? sql.tokenOf(restamp.runAt) : null;
  }

  /**
   * Disables an entry beat cannot run, unless it was edited since, as
   * Django saves a disabled task: last_run_at cleared, date_changed now,
   * the marker bumped (so Python's scheduler drops it too).
   */
  async disable(id: number, changeVersion: RowVersion, resetRuns = false): Promise<boolean> {
    const sql = this.#sql;
    const now = new Date();
    const count = await sql.db.sql.execute(
      `UPDATE ${TASKS} SET enabled = ${sql.bool(false)}, last_run_at = NULL, date_changed = ${sql.p(1)}` +
        `${resetRuns ? ', total_run_count = 0' : ''} ` +
        `WHERE id = ${sql.p(2)} AND ${sql.stamp('date_changed')} = ${sql.p(3)} AND enabled = ${sql.bool(true)}`,
      [sql.timeParam(now), id, sql.tokenParam(changeVersion)],
    );
    if (count === 1) await sql.bumpMarker(now);
    return count === 1;
  }

  tokenFor(runAt: Date): RunToken {
    return this.#sql.tokenOf(runAt);
  }

  #tokenParam(token: Exclude<RunToken, null>) {
    return token instanceof Date ? this.#sql.tokenParam(this.#sql.tokenOf(token)) : this.#sql.tokenParam(token);
  }

  /** A token as the time to write back: SQLite's text as it was; microseconds as the Date they fall in. */
  #restore(token: RunToken) {
    if (token === null || typeof token === 'string') return token;
    return this.#sql.timeParam(token instanceof Date ? token : new Date(Math.floor(token / 1000)));
  }

  async #rows(sql: string, params: (string | number)[]): Promise<StoredRow[]> {
    const rows = await this.#sql.db.sql.query(sql, params);
    const specs = new ScheduleSpecs();
    return rows.map((raw) => ({ row: toRow(raw, specs), lastRunToken: (raw.last_run_token as number | string | null) ?? null }));
  }
}
