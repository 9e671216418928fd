/**
 * The snapshot camera (djcelery's celerycam, Celery's Polaroid): events in
 * from the broker, merged into a bounded in-memory ClusterState, and every
 * `freq` seconds what changed goes to the tables. A snapshot that fails
 * hands its rows back to the state, so nothing received is lost while the
 * database is down for a while. While it does not answer, the camera probes
 * it instead of snapshotting, and the moment it answers writes it all.
 *
 * Snapshots start every `freq` seconds, counted from the start of the one
 * before (Celery's Polaroid timer), not from its end: a snapshot that took
 * longer than `freq` is followed at once, so a slow database costs the time
 * of the writes, not that plus a whole interval. Under load a snapshot
 * does not wait for its tick either: once a whole statement's worth of
 * task changes (`rowsPerStatement`) is pending it starts, so a busy
 * cluster is written in full statements as fast as the database takes
 * them, while a quiet one is still written once per `freq` (not with
 * `maxrate`, which bounds snapshots whatever the load). A snapshot writes
 * whole statements when more than one is pending: the newest changes
 * beyond the last whole statement wait for the next snapshot rather than
 * cost a round trip and a commit of their own. Cleanup and
 * reconciliation run on their own intervals and never overlap a snapshot:
 * every database statement goes through one queue, a cleanup one batch at
 * a time, so a snapshot that falls due waits for at most one statement of
 * theirs, never for a whole cleanup of a day's rows.
 */
import type { Database } from '../../db/open.js';
import type { StatementRunner } from '../../db/range-delete.js';
import { waitWhileDown } from '../../db/reachability.js';
import { SnapshotError } from '../errors.js';
import { EventConsumer, type ConsumerStatus } from '../broker/event-consumer.js';
import type { DecodeProblem } from '../events/decode.js';
import type { CeleryEvent } from '../events/types.js';
import { ClusterState } from '../state/cluster-state.js';
import { expireTaskStates, type CleanupResult } from '../store/cleanup.js';
import { reconcileFromResults } from '../store/reconcile.js';
import type { TaskRow } from '../state/rows.js';
import { SnapshotStore, type WriteOutcome } from '../store/snapshot-store.js';
import type { CameraEvent, CameraStats, SnapshotSummary } from './events.js';
import { resolveCameraOptions, type CameraOptions, type ResolvedCameraOptions } from './options.js';
import { TokenBucket } from './rate-limit.js';
import { WorkerWriteThrottle } from './worker-throttle.js';

type Phase = 'new' | 'starting' | 'running' | 'closing' | 'closed';

/**
 * Every event sent while the camera is away is lost (it is no consumer of a
 * durable queue), so it tries again at least every second, and is back
 * within a second of the broker's return; one connection attempt a second
 * costs a broker nothing.
 */
const CAMERA_RECONNECT_MAX_MS = 1000;

export class Camera implements AsyncDisposable {
  /** The merged picture of the cluster; tests and tools may read it, or feed it events. */
  readonly state: ClusterState;
  private readonly options: CameraOptions;
  private readonly resolved: ResolvedCameraOptions;
  private readonly db: Database;
  private readonly store: SnapshotStore;
  private readonly throttle: WorkerWriteThrottle;
  private readonly bucket: TokenBucket | null;
  private readonly now: () => number;
  private readonly consumer: EventConsumer;
  private phase: Phase = 'new';
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  /** The cleanup and reconciliation started after a snapshot, while they run. */
  private maintaining: Promise<void> | null = null;
  /** Ends a wait for the database when the camera closes. */
  private readonly stopping = new AbortController();
  /** The database just came back: the next snapshot goes out outside the rate limit (the failed one wrote nothing). */
  private databaseReturned = false;
  /** Serialises database work: snapshots, cleanup statements and reconciliations never overlap. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Runs each statement through the queue, so snapshots take turns with the batches of a cleanup. */
  private readonly queued: StatementRunner = {
    execute: (sql, params) => this.serial(() => this.statement(() => this.db.sql.execute(sql, params))),
    query: (sql, params) => this.serial(() => this.statement(() => this.db.sql.query(sql, params))),
  };
  private nextCleanup = 0;
  private nextReconcile: number | null = null;
  private reconcileSoon = false;
  /** When the oldest change of the snapshot being written was made; null when none is being written. */
  private writingSince: number | null = null;
  /** The last snapshot failed: changes pile up because the database is down, not slow. */
  private databaseFailing = false;
  private lastSnapshotMs = 0;
  private readonly counters: Omit<CameraStats, 'pendingTasks' | 'oldestPendingMs' | 'messages' | 'events'> = {
    decodeProblems: 0,
    snapshots: 0,
    snapshotFailures: 0,
    tasksWritten: 0,
    workersWritten: 0,
    rowsRejected: 0,
    changesDropped: 0,
    slowSnapshots: 0,
    brokerDisconnects: 0,
    brokerDeafMs: 0,
    cleanups: 0,
    cleanupFailures: 0,
    reconciledTasks: 0,
    reconcileFailures: 0,
    listenerErrors: 0,
  };

  /** Checks the options; no I/O until start(). */
  constructor(options: CameraOptions) {
    this.options = options;
    this.resolved = resolveCameraOptions(options);
    this.db = options.database;
    this.now = options.now ?? Date.now;
    this.state = new ClusterState({ maxTasks: this.resolved.maxTasks, maxWorkers: this.resolved.maxWorkers, now: this.now });
    this.store = new SnapshotStore(this.db, { rowsPerStatement: this.resolved.rowsPerStatement });
    this.throttle = new WorkerWriteThrottle(this.resolved.workerWriteIntervalMs);
    this.bucket = this.resolved.maxrate === null ? null : new TokenBucket(this.resolved.maxrate, this.now);
    this.consumer = new EventConsumer({
      brokerUrl: options.brokerUrl,
      exchange: options.exchange,
      sharedQueue: this.resolved.sharedQueue,
      queueTtlMs: options.queueTtlMs,
      queueExpiresMs: options.queueExpiresMs,
      wakeUpWorkers: options.wakeUpWorkers,
      reconnectInitialDelayMs: options.reconnectInitialDelayMs,
      reconnectMaxDelayMs: options.reconnectMaxDelayMs ?? CAMERA_RECONNECT_MAX_MS,
      now: this.now,
      onEvents: (events, receivedAt) => this.ingest(events, receivedAt),
      onProblem: (problem, routingKey) => this.problem(problem, routingKey),
      onStatus: (status) => this.brokerStatus(status),
    });
  }

  /**
   * Checks that the tables are there, connects to the broker and starts
   * the snapshot timer. Rejects with E_SNAPSHOT_DATABASE or
   * E_SNAPSHOT_BROKER when either cannot be reached at start.
   */
  async start(): Promise<void> {
    if (this.phase !== 'new') throw new SnapshotError('E_SNAPSHOT_STATE', `camera cannot start: it is ${this.phase}`);
    this.phase = 'starting';
    try {
      await this.db.prisma.$queryRawUnsafe(`SELECT 1 FROM ${this.db.dialect.ident('djcelery_taskstate')} WHERE 1 = 0`);
    } catch (cause) {
      this.phase = 'closed';
      throw new SnapshotError(
        'E_SNAPSHOT_DATABASE',
        `cannot use the camera's tables (is the database up and migrated? run prisma-celery migrate deploy): ${(cause as Error).message}`,
        { cause },
      );
    }
    try {
      await this.consumer.start();
    } catch (error) {
      this.phase = 'closed';
      throw error;
    }
    const now = this.now();
    this.nextCleanup = now;
    this.nextReconcile = now;
    this.phase = 'running';
    this.schedule();
  }

  /**
   * Stops consuming, then writes a final snapshot of everything received
   * (no rate limit, no throttle). Resolves when done; the database is the
   * caller's to close.
   */
  async close(): Promise<void> {
    if (this.phase === 'closed' || this.phase === 'closing') return;
    const wasRunning = this.phase !== 'new';
    this.phase = 'closing';
    this.stopping.abort();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.consumer.close();
    await this.ticking;
    await this.maintaining;
    let unwritten = 0;
    if (wasRunning || this.state.pendingTaskCount > 0) {
      const summary = await this.snapshot({ final: true });
      unwritten = summary.tasksUnwritten;
    }
    this.phase = 'closed';
    this.emit({ type: 'closed', unwrittenTasks: unwritten });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** True while the broker connection is up and consuming. */
  get brokerConnected(): boolean {
    return this.consumer.connected;
  }

  stats(): CameraStats {
    return {
      ...this.counters,
      messages: this.consumer.messages,
      events: this.state.eventCount,
      pendingTasks: this.state.pendingTaskCount,
      oldestPendingMs: this.oldestPendingMs(),
    };
  }

  /** How long the oldest task change not yet in the database has waited, ms: pending, or in the snapshot being written. */
  private oldestPendingMs(): number {
    const pending = this.state.oldestPendingTaskSince;
    const oldest = this.writingSince === null ? pending : pending === null ? this.writingSince : Math.min(pending, this.writingSince);
    return oldest === null ? 0 : Math.max(0, this.now() - oldest);
  }

  /**
   * Writes what changed since the last snapshot now, outside the timer and
   * the rate limit. Never rejects for a database error: the summary says
   * what was left for the next snapshot, and `snapshot-failed` is emitted.
   */
  snapshot(options: { final?: boolean } = {}): Promise<SnapshotSummary> {
    return this.serial(() => this.shutter(options.final ?? false));
  }

  /** Expires old rows now, in batches that snapshots may come between. Rejects with E_SNAPSHOT_STATE once the camera closes. */
  async cleanup(): Promise<CleanupResult> {
    const started = performance.now();
    const result = await expireTaskStates(this.db, this.resolved.expiry, {
      batchSize: this.resolved.cleanupBatchSize,
      now: this.now(),
      runner: this.queued,
    });
    this.counters.cleanups++;
    this.emit({ type: 'cleanup', result, durationMs: performance.now() - started });
    return result;
  }

  /** Completes unready task rows from ready celery_taskmeta rows now; resolves to the count. */
  reconcile(): Promise<number> {
    return this.serial(async () => {
      const tasks = await reconcileFromResults(this.db);
      this.counters.reconciledTasks += tasks;
      if (tasks > 0) this.emit({ type: 'reconciled', tasks });
      return tasks;
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => {});
    return run;
  }

  /** A cleanup statement, unless the camera is closing: the rest of the cleanup waits for the next run. */
  private statement<T>(run: () => Promise<T>): Promise<T> {
    if (this.phase === 'closing' || this.phase === 'closed') {
      return Promise.reject(new SnapshotError('E_SNAPSHOT_STATE', 'cleanup stopped: the camera is closing'));
    }
    return run();
  }

  private async shutter(final: boolean): Promise<SnapshotSummary> {
    const started = performance.now();
    // Every event delivered so far is in the state, so in what is drained now.
    const delivered = this.consumer.mark();
    const changes = this.state.drainChanges(final ? undefined : this.wholeStatements());
    const now = this.now();
    const { write, later } = final ? { write: [...changes.workers], later: [] } : this.throttle.split(changes.workers, now);
    this.writingSince = changes.since;
    const outcome = await this.store.write(changes.tasks, write).finally(() => (this.writingSince = null));
    this.state.markWritten(writtenRows(changes.tasks, outcome));
    const unwrittenWorkers = new Set(outcome.unwritten.workers.map((w) => w.hostname));
    this.throttle.stored(
      write.filter((w) => !unwrittenWorkers.has(w.hostname)),
      now,
    );
    if (outcome.unwritten.tasks.length > 0 || outcome.unwritten.workers.length > 0 || later.length > 0) {
      this.state.restoreChanges({
        tasks: outcome.unwritten.tasks,
        workers: [...outcome.unwritten.workers, ...later],
        drainedAt: changes.drainedAt,
        since: changes.since,
      });
    }
    const summary: SnapshotSummary = {
      tasksWritten: outcome.tasksWritten,
      workersWritten: outcome.workersWritten,
      workersDeferred: later.length,
      tasksUnwritten: outcome.unwritten.tasks.length,
      rejected: outcome.rejected.length,
      durationMs: performance.now() - started,
      error: outcome.error,
    };
    this.counters.tasksWritten += outcome.tasksWritten;
    this.counters.workersWritten += outcome.workersWritten;
    if (outcome.rejected.length > 0) {
      this.counters.rowsRejected += outcome.rejected.length;
      this.emit({ type: 'rows-rejected', rows: outcome.rejected });
    }
    // A shared queue's events are acknowledged once written: a camera that dies before leaves them to the others.
    if (outcome.error === null) this.consumer.acknowledge(delivered);
    this.databaseFailing = outcome.error !== null;
    this.lastSnapshotMs = summary.durationMs;
    if (outcome.error !== null) {
      this.counters.snapshotFailures++;
      this.emit({ type: 'snapshot-failed', summary, pendingTasks: this.state.pendingTaskCount, final });
    } else {
      this.counters.snapshots++;
      if (summary.tasksWritten > 0 || summary.workersWritten > 0 || final) this.emit({ type: 'snapshot', summary, final });
      if (!final && summary.durationMs > this.resolved.freqMs) {
        // The database takes longer to write what changed than the events take to change it.
        this.counters.slowSnapshots++;
        this.emit({ type: 'falling-behind', summary, pendingTasks: this.state.pendingTaskCount, oldestPendingMs: this.oldestPendingMs() });
      }
    }
    return summary;
  }

  private schedule(delayMs = this.resolved.freqMs): void {
    if (this.phase !== 'running') return;
    this.timer = setTimeout(() => this.shoot(), delayMs);
  }

  /** Takes the next snapshot now, and schedules the one after. */
  private shoot(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const started = performance.now();
    let next: number | null = null;
    this.ticking = this.tick()
      .then((delay) => void (next = delay))
      .finally(() => {
        this.ticking = null;
        this.schedule(next ?? (this.fullStatementPending() ? 0 : Math.max(0, this.resolved.freqMs - (performance.now() - started))));
      });
  }

  /**
   * How many task changes a snapshot takes: whole statements' worth when
   * more than one statement is pending; undefined for all. All on a shared
   * queue, whose events are acknowledged once their snapshot is written.
   */
  private wholeStatements(): number | undefined {
    const perStatement = this.resolved.rowsPerStatement;
    const pending = this.state.pendingTaskCount;
    if (this.resolved.sharedQueue !== null || pending <= perStatement) return undefined;
    return pending - (pending % perStatement);
  }

  /** A whole statement of task changes waits, and the database is taking writes: worth writing before the tick. */
  private fullStatementPending(): boolean {
    return this.bucket === null && !this.databaseFailing && this.state.pendingTaskCount >= this.resolved.rowsPerStatement;
  }

  /** One snapshot, then starts cleanup and reconciliation when due; resolves to the ms until the next, or null for `freq` after this one began. */
  private async tick(): Promise<number | null> {
    const returned = this.databaseReturned;
    this.databaseReturned = false;
    const summary = returned || this.bucket === null || this.bucket.tryConsume() ? await this.snapshot() : null;
    if (this.phase !== 'running') return null;
    if (summary !== null && summary.error !== null) {
      const database = await waitWhileDown(this.db, { signal: this.stopping.signal });
      if (database !== 'answering') {
        this.databaseReturned = database === 'returned';
        return 0;
      }
    }
    this.maintaining ??= this.maintain().finally(() => (this.maintaining = null));
    return null;
  }

  /** The reconciliation and cleanup that are due; failures are reported, not thrown. */
  private async maintain(): Promise<void> {
    const now = this.now();
    if (this.reconcileSoon || (this.nextReconcile !== null && now >= this.nextReconcile)) {
      this.reconcileSoon = false;
      if (this.resolved.reconcileIntervalMs !== null) this.nextReconcile = now + this.resolved.reconcileIntervalMs;
      await this.reconcile().catch((error: unknown) => {
        this.counters.reconcileFailures++;
        this.emit({ type: 'reconcile-failed', error });
      });
    }
    if (now >= this.nextCleanup && this.phase === 'running') {
      this.nextCleanup = now + this.resolved.cleanupIntervalMs;
      await this.cleanup().catch((error: unknown) => {
        if (this.phase !== 'running') return;
        this.counters.cleanupFailures++;
        this.emit({ type: 'cleanup-failed', error });
      });
    }
  }

  private ingest(events: readonly CeleryEvent[], receivedAt: number): void {
    for (const event of events) this.state.apply(event, receivedAt);
    // Only while waiting for the tick: a snapshot being taken is followed at once when this holds after it.
    if (this.timer !== null && this.fullStatementPending()) this.shoot();
    const pending = this.state.pendingTaskCount;
    const max = this.resolved.maxPendingTasks;
    if (pending > max) {
      // Drop a tenth at once: one pass over the pending changes, not one per event.
      const dropped = this.state.dropTaskChanges(pending - max + Math.ceil(max / 10));
      const count = dropped.unfinished + dropped.unfinishedWritten + dropped.finished + dropped.finishedWritten;
      this.counters.changesDropped += count;
      this.emit({
        type: 'changes-dropped',
        count,
        total: this.counters.changesDropped,
        dropped,
        cause: this.databaseFailing ? 'database-down' : 'database-slow',
        maxPendingTasks: max,
        lastSnapshotMs: this.lastSnapshotMs,
      });
    }
  }

  private problem(problem: DecodeProblem, routingKey: string): void {
    this.counters.decodeProblems++;
    this.emit({ type: 'decode-problem', problem, routingKey });
  }

  private brokerStatus(status: ConsumerStatus): void {
    switch (status.type) {
      case 'connected':
        // Events were missed while disconnected: let reconciliation catch up soon.
        if (status.reconnect) this.reconcileSoon = true;
        this.counters.brokerDeafMs += status.deafMs ?? 0;
        this.emit({ type: 'broker-connected', queue: status.queue, reconnect: status.reconnect, deafMs: status.deafMs });
        return;
      case 'disconnected':
        this.counters.brokerDisconnects++;
        this.emit({ type: 'broker-disconnected', error: status.error });
        return;
      case 'reconnect-scheduled':
        this.emit({ type: 'broker-reconnect-scheduled', attempt: status.attempt, delayMs: status.delayMs, error: status.error });
        return;
      case 'setup-failed':
        this.emit({ type: 'broker-setup-failed', error: status.error });
        return;
    }
  }

  private emit(event: CameraEvent): void {
    const listener = this.options.onEvent;
    if (listener === undefined) return;
    try {
      listener(event);
    } catch {
      this.counters.listenerErrors++;
    }
  }
}

/** The drained rows the write stored: neither handed back nor refused. */
function writtenRows(rows: readonly TaskRow[], outcome: WriteOutcome): readonly TaskRow[] {
  if (outcome.unwritten.tasks.length === 0 && outcome.rejected.length === 0) return rows;
  const left = new Set([...outcome.unwritten.tasks.map((row) => row.taskId), ...outcome.rejected.map((row) => row.taskId)]);
  return rows.filter((row) => !left.has(row.taskId));
}
