/**
 * django-celery's MySQL warning: a poller that keeps one REPEATABLE-READ
 * snapshot (a transaction around the polling loop, or a pooled connection
 * left inside one) sees the row as it was at its first read, so a missing
 * id may stay missing forever. When the same missing id is polled again,
 * the session's level is read once, and a REPEATABLE-READ session gets one
 * Node warning per backend.
 */
import { mysqlErrorCode } from '../db/adapter-error.js';
import type { Database } from '../db/open.js';

export const TX_ISOLATION_WARNING = 'TxIsolationWarning';

const UNKNOWN_SYSTEM_VARIABLE = 1193;
/** Missing ids remembered; enough for any set of concurrent waits, bounded for a long-running reader. */
const REMEMBERED_MISSES = 1000;
/** How long an id must stay missing before the session's isolation is worth a look. */
export const STALE_AFTER_MS = 5000;

export class IsolationCheck {
  readonly #db: Database;
  readonly #now: () => number;
  /** Missing id → when it was first missed (epoch ms). */
  readonly #misses = new Map<string, number>();
  #done: boolean;

  constructor(db: Database, now: () => number = Date.now) {
    this.#db = db;
    this.#now = now;
    this.#done = db.provider !== 'mysql';
  }

  /** Called after a read found no row for `taskId`. */
  async missed(taskId: string): Promise<void> {
    if (this.#done) return;
    const now = this.#now();
    const first = this.#misses.get(taskId);
    if (first === undefined) {
      if (this.#misses.size >= REMEMBERED_MISSES) this.#misses.clear();
      this.#misses.set(taskId, now);
      return;
    }
    if (now - first < STALE_AFTER_MS) return;
    this.#done = true;
    this.#misses.clear();
    let level: string | undefined;
    try {
      level = await this.#level();
    } catch {
      // The check only advises; a failed one must not fail the read that
      // triggered it. A later repeated miss tries again.
      this.#done = false;
      return;
    }
    if (level?.toUpperCase().replace(/[\s_]/g, '-') !== 'REPEATABLE-READ') return;
    process.emitWarning(
      `Polling for task ${taskId}, still not stored after ${Math.round((now - first) / 1000)} s, on a MySQL/MariaDB session whose transaction isolation is ` +
        'REPEATABLE-READ: a poll inside a long transaction keeps seeing its first snapshot and may never see the result. ' +
        'Commit between polls, or set transaction_isolation (tx_isolation on MariaDB) to READ-COMMITTED.',
      { type: TX_ISOLATION_WARNING, code: 'PRISMA_CELERY_TX_ISOLATION' },
    );
  }

  async #level(): Promise<string | undefined> {
    try {
      return await this.#read('@@transaction_isolation');
    } catch (error) {
      // MariaDB before 11.1 knows only the old name; MySQL 8 only the new one.
      if (mysqlErrorCode(error) !== UNKNOWN_SYSTEM_VARIABLE) throw error;
      return await this.#read('@@tx_isolation');
    }
  }

  async #read(variable: string): Promise<string | undefined> {
    const rows = await this.#db.prisma.$queryRawUnsafe<{ level: unknown }[]>(`SELECT ${variable} AS level`);
    const level = rows[0]?.level;
    return typeof level === 'string' ? level : undefined;
  }
}
