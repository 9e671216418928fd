// DatabaseScheduler: the periodic-task table as beat's schedule, in the
// djcelery layout (ours) or django-celery-beat's (django/beat-store.ts says
// how edits are noticed and runs claimed there).
//
// Held in memory: every enabled entry, compact (held-entry.ts), and a heap
// of entry ids by when each is next due, so a tick looks at the top of the
// heap and nothing else. The table is read a page at a time, so a million
// rows never sit in memory as rows. A tick first polls the change marker
// (one row); only when its version moved does it read the rows stamped
// since, and the deletions logged since.
//
// A run is claimed before it is sent (BeatStore.claim: one conditional
// UPDATE), so of several beats on one database exactly one claims each run.
//
// Failed publish: the publisher has already retried (confirm channel, 5
// attempts with back-off). The run is then given back (unclaim: last_run_at
// and total_run_count restored), so the database says it is still due and
// this beat, or another, or the next beat started, sends it; this beat tries
// again after 1 s, 2 s, 4 s … up to 32 s. The give-back fails if the row
// moved on meanwhile (another beat claimed the next run on top of this
// one): the table counts the run, so this beat keeps its message and sends
// it again at each tick until the broker confirms it. A claim whose answer
// was lost with the connection is settled by reading the row back: if the
// claim took, its run is sent then, as the catch-up run. A run is dropped
// only if it can be neither sent nor given back before beat stops, and that
// is reported (run-lost). Every send of a run carries the same task id
// (run-id.ts), so a message sent twice is one task seen twice.
//
// On close, the runs still open are settled as far as the stop budget
// allows: a run not sent is given back, a claim whose answer was lost is
// read back and given back if it took.
//
// Catch-up: runs missed while beat was stopped, or while the database or
// broker was unreachable, are not replayed. An overdue entry is sent once,
// and its next run counts from that send (Celery's rule: last_run_at is
// the time of the send; a run is dated when it is claimed, not when a slow
// tick began), so no entry bursts after an outage.
import { setImmediate } from 'node:timers/promises';
import { ProtocolError } from '../core/protocol/errors.js';
import { buildTaskMessage, type TaskMessage } from '../core/protocol/task-message.js';
import { BEAT_CHANNEL, listen, type Listening } from '../db/pg-listener.js';
import { abortable } from './abortable.js';
import { BeatStore, type BeatTables, type RunToken, type StoredRow } from './beat-store.js';
import { DjangoBeatStore } from './django/beat-store.js';
import { checkBeatTables } from './django/tables.js';
import { DueHeap } from './due-heap.js';
import { afterRun, checkRow, entryDueState, entryFromRow, messageOptionsFor, nextDueAt, scheduledAt, type Entry, type EntryTimes, type RowVersion } from './entry.js';
import { HeldEntry, SharedTexts } from './held-entry.js';
import { SchedulerError } from './errors.js';
import { PeriodicTaskStore } from './periodic-tasks.js';
import { DEFAULT_AUDIT_RETENTION_S, pruneAudit } from './schedule-audit.js';
import { claimOutcome, unclaimOf, type Pending, type PendingClaim, type PendingResend } from './pending-runs.js';
import { runTaskId } from './run-id.js';
import { ScheduleCache } from './schedule-cache.js';
import type { Scheduler, SchedulerContext } from './scheduler.js';

/** Due runs handled by one tick; more make the tick return 0 (tick again at once), as Celery's beat does. */
const RUNS_PER_TICK = 100;
/**
 * Rows read per statement when the whole schedule is read. Small enough
 * that a page is taken in before the garbage collector moves it to the old
 * generation: 10,000-row pages made a million-row load twice the garbage
 * collection, and 300 MB more RSS.
 */
const LOAD_PAGE_ROWS = 1_000;
/** Deletions logged longer ago are pruned; a beat that has not synced for half of that reloads in full. */
const DELETION_LOG_MS = 24 * 3600_000;
const FULL_RELOAD_AFTER_MS = DELETION_LOG_MS / 2;
const PRUNE_EVERY_MS = 3600_000;
/** Who the audit trail names for the static schedule's writes. */
const STATIC_SCHEDULE_ACTOR = 'beat:static-schedule';
const RETRY_MIN_S = 1;
const RETRY_MAX_S = 32;

export class DatabaseScheduler implements Scheduler {
  readonly #context: SchedulerContext;
  readonly #store: BeatTables;
  readonly #schedules = new ScheduleCache();
  readonly #texts = new SharedTexts();
  readonly #entries = new Map<number, HeldEntry>();
  readonly #heap = new DueHeap();
  /** Entry id → back-off after a failed publish: seconds, and not before (epoch ms). */
  readonly #retry = new Map<number, { seconds: number; notBefore: number }>();
  readonly #pending: Pending[] = [];
  /** Rows found unusable, to disable in the table at the next chance. */
  readonly #toDisable = new Map<number, { name: string; version: RowVersion; reason: string; finished?: boolean; error?: unknown }>();
  #seen = 0;
  #lastSync = 0;
  #lastFullLoad = 0;
  #lastPrune = 0;
  #state: 'new' | 'started' | 'closed' = 'new';
  #ticking = false;
  /** A full read is filling the empty heap: entries are appended, and ordered once it ends. */
  #loading = false;
  /** PostgreSQL: the marker's trigger NOTIFYs; while heard, the marker poll is only a safety net. */
  #listening: Listening | undefined;

  constructor(context: SchedulerContext) {
    this.#context = context;
    this.#store = context.layout === 'django' ? new DjangoBeatStore(context.database) : new BeatStore(context.database);
  }

  /** Enabled entries held (for tests and monitors). */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry beat holds for this id, if enabled and valid. */
  entry(id: number): Entry | undefined {
    return this.#entries.get(id)?.entry();
  }

  /** The entry held under this name (a scan: for tests and tools, not the tick). */
  entryNamed(name: string): Entry | undefined {
    for (const held of this.#entries.values()) if (held.name === name) return held.entry();
    return undefined;
  }

  async start(): Promise<void> {
    if (this.#state !== 'new') throw new SchedulerError('E_SCHEDULER_STATE', `start() on a scheduler that is ${this.#state}`);
    const now = this.#context.clock();
    if (this.#context.layout === 'django') await checkBeatTables(this.#context.database);
    await this.#store.ensureMarker(now);
    await this.#installStatic();
    await this.#prune(now);
    await this.#fullLoad(now);
    await this.#flushDisables();
    this.#state = 'started';
    this.#listen();
  }

  /** On PostgreSQL, tick at once when an edit commits (and when listening starts: an edit may have been missed). */
  #listen(): void {
    const { database, wake } = this.#context;
    // Only our triggers NOTIFY: Django's tables are polled.
    if (wake === undefined || database.target.provider !== 'postgresql' || this.#store.changes === undefined) return;
    this.#listening = listen(database.target.connectionString, {
      onNotify: (channel) => {
        if (channel === BEAT_CHANNEL) wake();
      },
      onLive: (live) => {
        if (live) wake();
      },
    });
  }

  async tick(now: Date): Promise<number> {
    if (this.#state !== 'started') {
      throw new SchedulerError('E_SCHEDULER_STATE', `tick() on a scheduler that is ${this.#state === 'new' ? 'not started' : 'closed'}`);
    }
    if (this.#ticking) throw new SchedulerError('E_SCHEDULER_STATE', 'tick() while another tick is running');
    this.#ticking = true;
    try {
      await this.#sync(now);
      await this.#settle(now);
      await this.#flushDisables();
      if (now.getTime() - this.#lastPrune >= PRUNE_EVERY_MS) await this.#prune(now);
      const due: number[] = [];
      for (let id; due.length < RUNS_PER_TICK && (id = this.#heap.popDue(now.getTime())) !== undefined; ) due.push(id);
      const outcomes = await Promise.allSettled(due.map((id) => this.#run(id, now)));
      const failure = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failure) throw failure.reason;
      return this.#sleepSeconds(now);
    } finally {
      this.#ticking = false;
    }
  }

  /**
   * Settles the runs still open, if the database lets it before `spent`
   * aborts: a run not sent is given back; a claim whose answer was lost is
   * read back first (given back if it took). A run that can be neither
   * given back nor sent is reported (run-lost). Owns nothing else.
   */
  async close(spent?: AbortSignal): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    await this.#listening?.release();
    for (const pending of this.#pending.splice(0)) {
      const lost = (error: unknown) => this.#context.emit({ type: 'run-lost', entry: pending.name, error });
      if (spent?.aborted) {
        lost(budgetSpent());
        continue;
      }
      try {
        await abortable(this.#giveBackOnClose(pending, lost), spent, budgetSpent);
      } catch (error) {
        lost(error);
      }
    }
  }

  async #giveBackOnClose(pending: Pending, lost: (error: unknown) => void): Promise<void> {
    const now = this.#context.clock();
    if (pending.kind === 'claim') {
      const outcome = claimOutcome(pending, await this.#store.loadOne(pending.id));
      if (outcome === 'unknown') {
        const run = resendOf(pending, runMoved());
        if (!(await this.#sendAsIs(run, now))) lost(run.error);
        return;
      }
      if (outcome !== 'took') return;
    }
    if (pending.kind === 'resend') {
      if (!(await this.#sendAsIs(pending, now))) lost(pending.error);
      return;
    }
    if (!(await this.#store.unclaim(unclaimOf(pending, now)))) {
      // The row moved on: the run can only be sent.
      const run = resendOf(pending, pending.kind === 'unclaim' ? pending.error : runMoved());
      if (!(await this.#sendAsIs(run, now))) lost(run.error);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #installStatic(): Promise<void> {
    const { staticSchedule } = this.#context;
    if (staticSchedule.length === 0) return;
    const tasks = new PeriodicTaskStore(this.#context.database, { clock: this.#context.clock, layout: this.#context.layout, actor: STATIC_SCHEDULE_ACTOR });
    const created: string[] = [];
    const updated: string[] = [];
    for (const input of staticSchedule) {
      const outcome = await tasks.upsert(input, { keepEnabled: true });
      if (outcome === 'created') created.push(input.name);
      if (outcome === 'updated') updated.push(input.name);
    }
    this.#context.emit({ type: 'static-schedule-installed', created, updated });
  }

  /**
   * Forgets deletions older than the log keeps, and audit rows older than
   * the retention (every beat does it; it is idempotent, and each delete
   * statement covers a bounded range of ids).
   */
  async #prune(now: Date): Promise<void> {
    const changes = this.#store.changes;
    // The deletion log and the audit trail are ours: the django layout keeps neither.
    if (changes !== undefined) {
      await changes.pruneDeletions(new Date(now.getTime() - DELETION_LOG_MS));
      const retention = this.#context.auditRetention ?? DEFAULT_AUDIT_RETENTION_S;
      if (retention > 0) await pruneAudit(this.#context.database, new Date(now.getTime() - retention * 1000));
    }
    this.#lastPrune = now.getTime();
  }

  async #fullLoad(now: Date): Promise<void> {
    const started = performance.now();
    let version = await this.#store.readVersion();
    if (version === null) {
      await this.#store.ensureMarker(now);
      version = (await this.#store.readVersion()) ?? 0;
    }
    this.#entries.clear();
    this.#heap.clear();
    // Edits committed while the pages are read move the version past the
    // one read above: the next sync reads them.
    this.#loading = true;
    try {
      await this.#eachPage((after) => this.#store.loadPage(after, LOAD_PAGE_ROWS), (stored) => this.#admit(stored, now));
    } finally {
      this.#loading = false;
      this.#heap.order();
    }
    this.#seen = version;
    this.#lastSync = this.#lastFullLoad = now.getTime();
    this.#context.emit({ type: 'schedule-loaded', entries: this.#entries.size, ms: performance.now() - started });
  }

  async #sync(now: Date): Promise<void> {
    const version = await this.#store.readVersion();
    const stale = now.getTime() - this.#lastSync >= FULL_RELOAD_AFTER_MS;
    const { changes, reloadEveryMs } = this.#store;
    const due = reloadEveryMs !== undefined && now.getTime() - this.#lastFullLoad >= reloadEveryMs;
    if (version === null || version < this.#seen || stale || due || (changes === undefined && version !== this.#seen)) {
      // The marker was lost or went back (a restore), or beat was cut off
      // for longer than deletions are logged, or the tables log no
      // row-level changes: read everything again.
      await this.#fullLoad(now);
      return;
    }
    this.#lastSync = now.getTime();
    if (version === this.#seen || changes === undefined) return;
    const removed = await changes.deletedSince(this.#seen);
    for (const id of removed) this.#drop(id);
    const seen = this.#seen;
    const changed = await this.#eachPage((after) => changes.loadChanged(seen, after, LOAD_PAGE_ROWS), (stored) => this.#admit(stored, now));
    this.#seen = version;
    this.#context.emit({ type: 'schedule-synced', changed, removed: removed.length, version });
  }

  /** Reads rows a page at a time, the next page read while this one is taken in; returns how many. */
  async #eachPage(load: (after: StoredRow | null) => Promise<StoredRow[]>, take: (stored: StoredRow) => void): Promise<number> {
    const read = (after: StoredRow | null) => {
      const page = load(after);
      // Awaited next, or abandoned with the read if taking in a page threw.
      page.catch(() => undefined);
      return page;
    };
    let count = 0;
    for (let page = read(null); ; ) {
      const rows = await page;
      const last = rows.at(-1);
      const more = rows.length === LOAD_PAGE_ROWS && last !== undefined;
      if (more) page = read(last);
      // Yielding lets the next page's query go out (and the socket be read) while this one is taken in.
      await setImmediate();
      for (const stored of rows) take(stored);
      count += rows.length;
      if (!more) return count;
    }
  }

  /** Takes a row into the schedule (or out of it, if disabled or unusable). */
  #admit({ row, lastRunToken }: StoredRow, now: Date): void {
    if (!row.enabled) {
      this.#drop(row.id);
      return;
    }
    let held: HeldEntry;
    try {
      held = HeldEntry.of(row, checkRow(row, this.#schedules), lastRunToken, this.#texts);
    } catch (error) {
      if (!(error instanceof SchedulerError)) throw error;
      this.#drop(row.id);
      this.#toDisable.set(row.id, { name: row.name, version: row.changeVersion, reason: error.message, error });
      return;
    }
    if (this.#pending.length > 0 && this.#pending.some((pending) => pending.id === row.id && pending.kind !== 'resend')) {
      // Its last run is unsettled: hold the new version, but schedule it only once settled.
      this.#entries.set(row.id, held);
      this.#heap.delete(row.id);
      return;
    }
    // Timed from the row's own Dates: the held entry would make them again.
    const { expires, oneOff, startTime, dateChanged, lastRunAt, totalRunCount } = row;
    this.#hold(held, now, { schedule: held.schedule, expires, oneOff, startTime, dateChanged, lastRunAt, totalRunCount });
  }

  /** Holds an entry, in the heap at its next due time; `times` are its own, or the row it was made from. */
  #hold(entry: HeldEntry, now: Date, times: EntryTimes = entry): void {
    this.#entries.set(entry.id, entry);
    const state = entryDueState(times, now);
    if (Number.isFinite(state.nextCheckSeconds) || state.due) {
      const at = state.due ? now.getTime() : now.getTime() + Math.ceil(state.nextCheckSeconds * 1000);
      const retry = this.#retry.get(entry.id);
      const due = retry ? Math.max(at, retry.notBefore) : at;
      if (this.#loading) this.#heap.append(entry.id, due);
      else this.#heap.set(entry.id, due);
      return;
    }
    this.#heap.delete(entry.id);
    // django-celery-beat disables an expired entry, and a one-off entry once it has run.
    if (state.expired) this.#disableLater(entry, `expired at ${entry.expires?.toISOString()}`);
    else if (entry.oneOff && entry.totalRunCount > 0) this.#disableLater(entry, 'one-off task has run', true);
  }

  #disableLater(entry: HeldEntry, reason: string, finished = false): void {
    this.#entries.delete(entry.id);
    this.#toDisable.set(entry.id, { name: entry.name, version: entry.changeVersion, reason, finished });
  }

  #drop(id: number): void {
    this.#entries.delete(id);
    this.#heap.delete(id);
    this.#retry.delete(id);
  }

  async #flushDisables(): Promise<void> {
    for (const [id, { name, version, reason, finished, error }] of this.#toDisable) {
      // Only the row as beat saw it: if it was edited since, the edit decides.
      const disabled = await this.#store.disable(id, version, finished);
      this.#toDisable.delete(id);
      if (disabled) this.#context.emit({ type: 'entry-disabled', entry: name, reason, ...(error === undefined ? {} : { error }) });
    }
  }

  async #reload(id: number, now: Date): Promise<void> {
    const stored = await this.#store.loadOne(id);
    if (stored === null) this.#drop(id);
    else this.#admit(stored, now);
  }

  async #run(id: number, tickAt: Date): Promise<void> {
    const held = this.#entries.get(id);
    if (!held) return;
    // The run's time is when it is claimed: a tick held up by the database
    // must not date its runs back, or the next ones would be due at once.
    const now = this.#later(tickAt);
    if (!entryDueState(held, now).due) {
      this.#hold(held, now);
      return;
    }
    const entry = held.entry();
    const token = held.token;
    let message: TaskMessage;
    try {
      message = buildTaskMessage({ ...messageOptionsFor(entry, this.#context.origin), id: runTaskId(entry) }, now);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      this.#drop(id);
      this.#toDisable.set(id, { name: entry.name, version: entry.changeVersion, reason: error.message, error });
      return;
    }
    const ran = afterRun(entry, now);
    const due = scheduledAt(entry);
    const claim = { id, changeVersion: entry.changeVersion, lastRunToken: token, runAt: now, nextRunAt: nextDueAt(ran, now) };
    let claimed: RunToken | null;
    try {
      claimed = await this.#store.claim(claim);
    } catch (error) {
      // The UPDATE may have been applied with its answer lost; settle later.
      this.#heap.delete(id);
      this.#pending.push({
        kind: 'claim',
        id,
        name: entry.name,
        token: this.#store.tokenFor(claim.runAt),
        count: ran.totalRunCount,
        message,
        previous: token,
      });
      throw error;
    }
    if (claimed === null) {
      this.#context.emit({ type: 'run-taken', entry: entry.name });
      await this.#reload(id, now);
      return;
    }
    this.#hold(held.ran(now, claimed), now);
    await this.#send(ran, claimed, token, message, now, due === null ? undefined : Math.max(0, (now.getTime() - due.getTime()) / 1000));
  }

  async #send(ran: Entry, claimed: RunToken, previous: RunToken, message: TaskMessage, now: Date, lateBy?: number): Promise<void> {
    try {
      await this.#context.publish(message);
    } catch (error) {
      await this.#giveBack(ran, claimed, previous, message, error, now);
      return;
    }
    this.#retry.delete(ran.id);
    this.#context.emit({ type: 'task-sent', entry: ran.name, task: ran.task, taskId: message.id, at: now, ...(lateBy === undefined ? {} : { lateBy }) });
  }

  async #giveBack(ran: Entry, claimed: RunToken, previous: RunToken, message: TaskMessage, error: unknown, now: Date): Promise<void> {
    const last = this.#retry.get(ran.id)?.seconds;
    const seconds = last === undefined ? RETRY_MIN_S : Math.min(last * 2, RETRY_MAX_S);
    this.#retry.set(ran.id, { seconds, notBefore: now.getTime() + seconds * 1000 });
    this.#context.emit({ type: 'publish-failed', entry: ran.name, taskId: message.id, error, retryInSeconds: seconds });
    const pending: Pending = {
      kind: 'unclaim',
      id: ran.id,
      name: ran.name,
      token: claimed,
      count: ran.totalRunCount,
      previous,
      dueAt: now,
      message,
      error,
    };
    let given: boolean;
    try {
      given = await this.#store.unclaim(unclaimOf(pending, now));
    } catch (dbError) {
      this.#heap.delete(ran.id);
      this.#pending.push(pending);
      throw dbError;
    }
    // The row moved on (another beat claimed the next run on top of this one): send it again later.
    if (!given) this.#pending.push(resendOf(pending, error));
    await this.#reload(ran.id, now);
  }

  /**
   * Settles runs left open by a database failure, now that it answers, in
   * order; a failure here fails the tick and leaves the rest for the next.
   */
  async #settle(now: Date): Promise<void> {
    let brokerFailed = false;
    for (const pending of [...this.#pending]) {
      if (pending.kind === 'resend') {
        // One failure is enough to know the broker still fails; the others wait for the next tick.
        if (brokerFailed) continue;
        if (await this.#sendAsIs(pending, now)) this.#forget(pending);
        else brokerFailed = true;
        continue;
      }
      if (pending.kind === 'unclaim') {
        const given = await this.#store.unclaim(unclaimOf(pending, now));
        this.#forget(pending);
        if (!given) this.#pending.push(resendOf(pending, pending.error));
        await this.#reload(pending.id, now);
        continue;
      }
      const stored = await this.#store.loadOne(pending.id);
      const outcome = claimOutcome(pending, stored);
      if (outcome === 'took' && stored !== null) {
        await this.#sendLate(pending, stored, now);
        continue;
      }
      this.#forget(pending);
      if (stored === null) this.#drop(pending.id);
      else this.#admit(stored, now);
      // It may have taken: sent under the run's own id, it is at worst the same task twice.
      if (outcome === 'unknown') await this.#sendOrKeep(resendOf(pending, runMoved()), now);
    }
  }

  /**
   * A claim that took while its answer was lost: its run is sent now, as
   * the entry's one catch-up run. Its time is moved to now first, so the
   * schedule counts from the send and no second catch-up follows. If the
   * entry cannot run any more (disabled, or its row made invalid), the run
   * is given back instead; if the row moved on meanwhile, it is sent as it is.
   */
  async #sendLate(pending: PendingClaim, stored: StoredRow, tickAt: Date): Promise<void> {
    const now = this.#later(tickAt);
    let entry: Entry | null = null;
    try {
      if (stored.row.enabled) entry = entryFromRow(stored.row, this.#schedules);
    } catch (error) {
      if (!(error instanceof SchedulerError)) throw error;
    }
    if (entry === null) {
      const given = await this.#store.unclaim(unclaimOf(pending, now));
      this.#forget(pending);
        if (!given) await this.#sendOrKeep(resendOf(pending, runMoved()), now);
      await this.#reload(pending.id, now);
      return;
    }
    const moved = { ...entry, lastRunAt: now };
    const token = await this.#store.restamp({ id: entry.id, token: pending.token, count: pending.count, runAt: now, nextRunAt: nextDueAt(moved, now) });
    this.#forget(pending);
    await this.#reload(entry.id, now);
    if (token === null) {
      await this.#sendOrKeep(resendOf(pending, runMoved()), now);
      return;
    }
    let message: TaskMessage;
    try {
      message = buildTaskMessage({ ...messageOptionsFor(entry, this.#context.origin), id: pending.message.id }, now);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      message = pending.message;
    }
    await this.#send(this.#entries.get(entry.id)?.entry() ?? moved, token, pending.previous, message, now);
  }

  /** Sends a claimed run that can no longer be given back (the row moved on); false if the broker did not confirm it. */
  async #sendAsIs(run: PendingResend, now: Date): Promise<boolean> {
    try {
      await this.#context.publish(run.message);
    } catch (error) {
      run.error = error;
      return false;
    }
    this.#context.emit({ type: 'task-sent', entry: run.name, task: run.message.properties.headers.task, taskId: run.message.id, at: now });
    return true;
  }

  async #sendOrKeep(run: PendingResend, now: Date): Promise<void> {
    if (!(await this.#sendAsIs(run, now))) this.#pending.push(run);
  }

  #forget(pending: Pending): void {
    const at = this.#pending.indexOf(pending);
    if (at >= 0) this.#pending.splice(at, 1);
  }

  /** The clock, or `at` if the clock is behind it. */
  #later(at: Date): Date {
    const clock = this.#context.clock();
    return clock > at ? clock : at;
  }

  #sleepSeconds(now: Date): number {
    const { maxInterval, syncInterval } = this.#context;
    const top = this.#heap.peek();
    const untilDue = top === undefined ? Infinity : (top.dueAt - now.getTime()) / 1000;
    // Edits are heard as they commit: the marker is then polled every maxInterval only, a safety net.
    const sync = this.#listening?.live ? maxInterval : syncInterval;
    return Math.max(0, Math.min(untilDue, maxInterval, sync));
  }
}

const budgetSpent = (): SchedulerError => new SchedulerError('E_STOP_TIMEOUT', 'the stop budget was spent before this run was given back');
const runMoved = (): SchedulerError => new SchedulerError('E_RUN_MOVED', 'the row moved on before the run was given back');

function resendOf(pending: Pending, error: unknown): PendingResend {
  return { kind: 'resend', id: pending.id, name: pending.name, message: pending.message, error };
}
