/**
 * The result backend: Celery task states and results in celery_taskmeta,
 * groups in celery_tasksetmeta (or django-celery-results' tables: the
 * `layout` option, SQL in layouts/), on the database the URL (or Database) names.
 * It satisfies celery-node's backend contract (isReady, disconnect,
 * storeResult, getTaskMeta) and adds marks, full records, waits, groups,
 * forget and expiry.
 */
import { printProblem } from '../core/log-line.js';
import { causeLine } from '../db/adapter-error.js';
import { openDatabase, type Database } from '../db/open.js';
import { listen, type Listening } from '../db/pg-listener.js';
import { waitWhileDown } from '../db/reachability.js';
import type { SqlParam, SqlRow } from '../db/sql.js';
import { isTransient, withRetry } from '../db/transient.js';
import { parseDatabaseUrl } from '../db/url.js';
import { ConfigError } from '../errors.js';
import type { ResultBackend } from './contract.js';
import { BackendClosedError, BackendDatabaseError, InvalidArgumentError } from './errors.js';
import { cutoffsAt, DEFAULT_UNREADY_EXPIRES_MS, expireTables, type CleanupReport, type StatementRunner } from './expiry.js';
import type { GroupRecord } from './groups.js';
import { mergeWrites, type TaskWrite } from './guard.js';
import { registerHooks } from './hooks.js';
import { IsolationCheck } from './isolation.js';
import { pendingMeta, type TaskMeta } from './meta.js';
import { ResultBackendBase } from './backend-base.js';
import { resolveExpires, resolveOptions, type BackendEvent, type ResolvedOptions, type ResultBackendOptions } from './options.js';
import { resultLayout, type ResultLayout } from './layouts/index.js';
import { metaFromRow, recordFromRow, type TaskRecord } from './reads.js';
import { buildWrite, checkId, type TaskDetails } from './task-write.js';
import { waitForReady, waitForReadyMeta, type WaitOptions } from './wait.js';
import { Wakeups } from './wakeups.js';
import { WriteBatcher } from './write-batcher.js';

/** Statement size at which coalesced writes are split, well under MySQL's default max_allowed_packet (16 MiB). */
const MAX_STATEMENT_BYTES = 8 * 1024 * 1024;
/** A row's bytes besides its text columns (ids, dates, SQL per row). */
const ROW_OVERHEAD_BYTES = 400;

export interface BackendStats {
  stores: number;
  storeErrors: number;
}

export interface CleanupOptions {
  /** Groups and finished tasks done longer ago than this are expired: ms, or a duration such as "1d". */
  expires: number | string;
  /**
   * Unfinished tasks (any state but SUCCESS, FAILURE, REVOKED) last updated
   * longer ago than this, or than `expires` if that is longer, are expired.
   * Default 7 days: such a task may still be running.
   */
  unreadyExpires?: number | string;
  /** Ids in the first statement's batch (see cleanupBatchSize); default the backend's cleanupBatchSize. */
  batchSize?: number;
}

interface Session {
  readonly db: Database;
  readonly layout: ResultLayout;
  readonly batcher: WriteBatcher<TaskWrite>;
  readonly isolation: IsolationCheck;
  /**
   * Whether stores NOTIFY: always on PostgreSQL, whatever `notify` says
   * (sending works through any pooler; waiters elsewhere may be listening).
   */
  readonly notify: boolean;
  listening?: Listening;
}

export class PrismaResultBackend extends ResultBackendBase implements ResultBackend {
  readonly #source: string | Database;
  readonly #options: ResolvedOptions;
  readonly #wakeups = new Wakeups();
  #session: Promise<Session> | undefined;
  #started: Session | undefined;
  #closing: Promise<void> | undefined;
  readonly #counts = { stores: 0, storeErrors: 0 };

  /**
   * `database`: a URL (the backend opens the database and closes it in
   * close()) or a Database you opened (you keep owning it). No I/O happens
   * here; start() — or the first call that needs the database — connects.
   */
  constructor(database: string | Database, options: ResultBackendOptions = {}) {
    super();
    if (typeof database === 'string') parseDatabaseUrl(database);
    else if (typeof database !== 'object' || database === null || !('prisma' in database) || !('dialect' in database)) {
      throw new ConfigError('the result backend needs a database URL or a Database from openDatabase()/useDatabase()');
    }
    this.#source = database;
    this.#options = resolveOptions(options);
    registerHooks(this, {
      report: (event) => this.#emit(event),
      readyMeta: async (taskId, options) => {
        const id = checkId('task', taskId);
        this.#listen(await this.#ready());
        return waitForReadyMeta(() => this.getTaskMeta(id), id, options, this.#options.pollInterval, this.#wakeups);
      },
    });
  }

  /** Connects and checks that the tables exist. Called by every operation that needs it; safe to call again. */
  async start(): Promise<void> {
    await this.#ready();
  }

  /** Waits for writes already accepted, then disconnects a database the backend opened. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  /**
   * Stores a task's state (celery-node calls it with SUCCESS and the value,
   * or FAILURE and the thrown error). Resolves once the row is committed.
   * The row never moves backwards: a late STARTED does not undo a SUCCESS.
   */
  async storeResult(taskId: string, result: unknown, state: string, details: TaskDetails = {}): Promise<void> {
    if (this.#closing) throw new BackendClosedError();
    const built = buildWrite(taskId, state, result, details, this.#options, new Date());
    // Enqueued in this very call once started, so close() (which waits for
    // the queue) can never slip between a store's acceptance and its write.
    const session = this.#started ?? (await this.#ready());
    for (const event of built.events) this.#emit(event);
    try {
      await session.batcher.enqueue(built.write);
    } catch (error) {
      this.#counts.storeErrors++;
      throw error;
    }
    this.#counts.stores++;
    if (built.error) throw built.error;
  }

  /** Celery's meta; an unknown (or expired) id reads as PENDING. */
  async getTaskMeta(taskId: string): Promise<TaskMeta> {
    const id = checkId('task', taskId);
    const session = await this.#ready();
    // The hot read: straight to the driver adapter (db.sql), not through Prisma's raw call.
    const { layout } = session;
    const rows = await this.#withRetry(session, 'read', () => session.db.sql.query(layout.taskSql.meta, [id]));
    const row = rows[0];
    if (row !== undefined) return metaFromRow(id, layout.metaRow(id, row));
    await session.isolation.missed(id);
    return pendingMeta(id);
  }

  /** Everything stored about a task, or null when nothing (visible) is. */
  async getTask(taskId: string): Promise<TaskRecord | null> {
    const id = checkId('task', taskId);
    const session = await this.#ready();
    const rows = await this.#query<SqlRow>(session, 'read', session.layout.taskSql.record, [id]);
    return rows[0] === undefined ? null : recordFromRow(id, session.layout.recordRow(id, rows[0]));
  }

  /** The result once the task succeeds; rejects with TaskFailedError, TaskTimeoutError or the signal's reason. */
  async waitFor(taskId: string, options: WaitOptions = {}): Promise<unknown> {
    const id = checkId('task', taskId);
    this.#listen(await this.#ready());
    return waitForReady(() => this.getTaskMeta(id), id, options, this.#options.pollInterval, this.#wakeups);
  }

  /** Deletes the task's row (after any write of it still on its way). */
  async forget(taskId: string): Promise<void> {
    const id = checkId('task', taskId);
    const session = await this.#ready();
    await session.batcher.settled();
    await this.#execute(session, 'forget', session.layout.taskSql.forget, [id]);
  }

  /** Saves a group's member task ids (replacing what the group held). */
  async saveGroup(groupId: string, taskIds: readonly string[]): Promise<void> {
    const id = checkId('group', groupId);
    if (!Array.isArray(taskIds)) throw new InvalidArgumentError('a group\'s task ids must be an array of strings');
    const members = taskIds.map((taskId) => checkId('task', taskId));
    const session = await this.#ready();
    await this.#execute(session, 'save group', session.layout.groupSql.save, session.layout.groupParams(id, members, new Date()));
    this.#wakeups.wake([id]);
  }

  async restoreGroup(groupId: string): Promise<GroupRecord | null> {
    const id = checkId('group', groupId);
    const session = await this.#ready();
    const rows = await this.#query<SqlRow>(session, 'restore group', session.layout.groupSql.restore, [id]);
    return rows[0] === undefined ? null : session.layout.decodeGroup(id, rows[0]);
  }

  /** Resolves to whether there was a group to delete. */
  async deleteGroup(groupId: string): Promise<boolean> {
    const id = checkId('group', groupId);
    const session = await this.#ready();
    return (await this.#execute(session, 'delete group', session.layout.groupSql.remove, [id])) > 0;
  }

  /**
   * Deletes groups and finished tasks done longer ago than `expires`,
   * unfinished tasks older than `unreadyExpires`, and hidden rows, one
   * bounded batch of ids per statement.
   */
  async cleanup(options: CleanupOptions): Promise<CleanupReport> {
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('cleanup needs { expires }');
    const expiresMs = resolveExpires(options.expires);
    const unreadyExpiresMs = options.unreadyExpires === undefined ? DEFAULT_UNREADY_EXPIRES_MS : resolveExpires(options.unreadyExpires, 'unreadyExpires');
    const batchSize = options.batchSize ?? this.#options.cleanupBatchSize;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new InvalidArgumentError(`batchSize must be a whole number of 1 or more, got ${String(batchSize)}`);
    }
    const session = await this.#ready();
    // Through db.sql: a cleanup is many short statements, and Prisma's per-call work would be a good part of each.
    const runner: StatementRunner = {
      execute: (sql, params) => this.#withRetry(session, 'cleanup', () => session.db.sql.execute(sql, params)),
      query: <T extends object>(sql: string, params: SqlParam[]) => this.#withRetry(session, 'cleanup', () => session.db.sql.query<T>(sql, params)),
    };
    const cutoffs = cutoffsAt(Date.now(), expiresMs, unreadyExpiresMs);
    return expireTables(runner, session.db.dialect, session.layout.expiry(cutoffs), cutoffs, batchSize);
  }

  /**
   * Counts since this backend was made: task states stored, and stores that
   * failed for good (after the retries and the wait for the database).
   */
  stats(): BackendStats {
    return { ...this.#counts };
  }

  /** Write statements sent so far (coalesced writes share one). */
  get writeStatements(): number {
    return this.#started?.batcher.statements ?? 0;
  }

  #ready(): Promise<Session> {
    if (this.#closing) return Promise.reject(new BackendClosedError());
    this.#session ??= this.#open().catch((error: unknown) => {
      this.#session = undefined; // a later call may try again (the database may come up)
      throw error;
    });
    return this.#session;
  }

  async #open(): Promise<Session> {
    const owned = typeof this.#source === 'string';
    const db = typeof this.#source === 'string' ? await openDatabase(this.#source, this.#options.database) : this.#source;
    const notify = db.target.provider === 'postgresql';
    const session: Session = {
      db,
      layout: resultLayout(this.#options.layout, db.dialect, notify),
      notify,
      isolation: new IsolationCheck(db),
      batcher: new WriteBatcher<TaskWrite>({
        key: (write) => write.taskId,
        merge: mergeWrites,
        size: (write) =>
          ROW_OVERHEAD_BYTES + [write.result, write.traceback, write.meta, write.args, write.kwargs].reduce((n, text) => n + (text?.length ?? 0), 0),
        write: (writes) => this.#write(session, writes),
        splitOn: (error) => !(error instanceof BackendDatabaseError && error.transient),
        maxItems: this.#options.maxBatchRows,
        maxBytes: MAX_STATEMENT_BYTES,
      }),
    };
    try {
      await session.layout.check({
        provider: db.provider,
        sql: {
          query: (sql, params = []) => this.#withRetry(session, 'start', () => db.sql.query(sql, params)),
          execute: (sql, params = []) => this.#withRetry(session, 'start', () => db.sql.execute(sql, params)),
        },
      });
    } catch (error) {
      if (owned) await db.close();
      throw error;
    }
    this.#started = session;
    return session;
  }

  /**
   * PostgreSQL: from the first wait on, the process's LISTEN connection
   * wakes this backend's waiters (a backend that only stores never opens it).
   */
  #listen(session: Session): void {
    const { target } = session.db;
    if (session.listening !== undefined || !this.#options.notify || target.provider !== 'postgresql' || this.#closing) return;
    const wakeups = this.#wakeups;
    session.listening = listen(target.connectionString, {
      onNotify: (channel, payload) => wakeups.onNotify(channel, payload),
      // Where other writers store without notifying, waiters keep polling: a notification only wakes them sooner.
      onLive: (live) => wakeups.setPushed(live && session.layout.storesAlwaysNotify),
    });
  }

  async #shutdown(): Promise<void> {
    const pending = this.#session;
    if (pending === undefined) return;
    const session = await pending.catch(() => undefined);
    if (session === undefined) return;
    await session.batcher.settled();
    await session.listening?.release();
    this.#wakeups.setPushed(false);
    if (typeof this.#source === 'string') await session.db.close();
  }

  /** The hot write: one upsert straight to the driver adapter (db.sql), not through Prisma's raw call. */
  async #write(session: Session, writes: readonly TaskWrite[]): Promise<void> {
    const sql = session.layout.upsertSql(writes.length);
    const params = session.layout.upsertParams(writes);
    await this.#withRetry(session, 'store', () => session.db.sql.execute(sql, params));
    // Waiters in this process read at once, whatever the database (a non-ready store makes them poll fast again).
    this.#wakeups.wake(writes.map((write) => write.taskId));
  }

  #execute(session: Session, operation: string, sql: string, params: unknown[]): Promise<number> {
    return this.#withRetry(session, operation, () => session.db.prisma.$executeRawUnsafe(sql, ...params));
  }

  #query<T>(session: Session, operation: string, sql: string, params: unknown[]): Promise<T[]> {
    return this.#withRetry(session, operation, () => session.db.prisma.$queryRawUnsafe<T[]>(sql, ...params));
  }

  /**
   * Runs a statement with the retry policy. Once the backend has started,
   * a failure is checked against the database itself: one that does not
   * answer is waited for (up to waitForDatabaseMs) and the statement goes
   * again as soon as it answers. (The error alone cannot tell: pg reports a
   * connection lost mid-statement as a bare "Connection terminated
   * unexpectedly", with no code.)
   */
  async #withRetry<T>(session: Session, operation: string, run: () => Promise<T>): Promise<T> {
    const { retry } = this.#options;
    const deadline = Date.now() + retry.waitForDatabaseMs;
    let waited = false;
    for (;;) {
      try {
        return await withRetry(run, retry, (notice) => this.#emit({ type: 'retry', operation, ...notice }));
      } catch (error) {
        const transient = isTransient(error);
        if (session === this.#started && Date.now() < deadline) {
          const database = await waitWhileDown(session.db, { deadline });
          if (database === 'returned') continue;
          waited ||= database === 'gave-up';
        }
        const after = waited ? ` after waiting ${retry.waitForDatabaseMs / 1000} s for the database` : transient ? ` after ${retry.attempts} attempts` : '';
        throw new BackendDatabaseError(`${operation} failed${after}: ${causeLine(error)}`, { cause: error, transient });
      }
    }
  }

  /** Hands an event to onEvent; a hook that throws is reported, never allowed to break a write. */
  #emit(event: BackendEvent): void {
    try {
      this.#options.onEvent(event);
    } catch (error) {
      printProblem('error', 'backend', 'the onEvent hook threw', error);
    }
  }
}
