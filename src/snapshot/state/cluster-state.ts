/**
 * The camera's in-memory picture of the cluster: celery.events.state.State
 * (5.2.6) without its indexes, bounded, and recording what changed since
 * the last snapshot. Pure: events and arrival times in, rows out; the only
 * clock is the injected one. Every event costs O(1).
 */
import { ConfigError } from '../../errors.js';
import { PENDING, READY_STATES } from '../../core/states.js';
import { isWorkerEvent, type CeleryEvent, type TaskEvent, type WorkerEvent } from '../events/types.js';
import { OrderList, type OrderNode } from './order-list.js';
import { PendingChanges, type PendingEntry } from './pending.js';
import { toTaskRow, toWorkerRow, type TaskRow, type WorkerRow } from './rows.js';
import { mergeTaskEvent, TaskState } from './task.js';
import { addHeartbeat, isAlive, mergeWorkerEvent, WorkerState } from './worker.js';

export interface ClusterStateOptions {
  /**
   * Most tasks held in memory; default 10000, as Celery's State. Past it the
   * task that finished (SUCCESS, FAILURE, REVOKED) longest ago goes first,
   * and only when none has finished, the oldest task.
   */
  maxTasks?: number;
  /** Most workers held; default 5000, as Celery's State. Past it the one heard from longest ago goes. */
  maxWorkers?: number;
  /** The local clock, epoch ms; default `Date.now`. Stamps arrivals (heartbeats) and decides liveness. */
  now?: () => number;
}

/** One snapshot's worth of rows, from `drainChanges()`. */
export interface ClusterChanges {
  readonly tasks: readonly TaskRow[];
  readonly workers: readonly WorkerRow[];
  /** The event count when drained; lets `restoreChanges` tell these rows from newer ones. */
  readonly drainedAt: number;
  /** When the oldest of these task changes was made (epoch ms), or null when there are none. */
  readonly since: number | null;
}

/**
 * Pending task changes dropped, by what the loss costs, in the order they
 * go: an unfinished task's next event writes its whole picture again; a
 * finished task never written is missing; a finished task written before
 * keeps its older row (reconciliation completes it from celery_taskmeta).
 */
export interface DroppedTaskChanges {
  /** Unfinished tasks never written. */
  unfinished: number;
  /** Unfinished tasks whose row shows an older state until their next event. */
  unfinishedWritten: number;
  /** Finished tasks never written: missing from the table. */
  finished: number;
  /** Finished tasks whose row stays in an older state. */
  finishedWritten: number;
}

const DROP_RANKS = ['unfinished', 'unfinishedWritten', 'finished', 'finishedWritten'] as const;

/** A dropped change's rank: unfinished before finished, never written before written. */
function dropRank(entry: PendingEntry<TaskState, TaskRow>): number {
  const state = entry.row?.state ?? entry.item?.state ?? PENDING;
  // A handed-back row whose task left memory may have been written before: assume so.
  const written = entry.item?.written ?? true;
  return (READY_STATES.has(state) ? 2 : 0) + (written ? 1 : 0);
}

interface TaskSlot {
  readonly task: TaskState;
  readonly age: OrderNode;
  finished: OrderNode | null;
}

interface WorkerSlot {
  readonly worker: WorkerState;
  readonly recency: OrderNode;
}

const MAX_TASKS_LIMIT = 10_000_000;
const MAX_WORKERS_LIMIT = 1_000_000;

export class ClusterState {
  private readonly maxTasks: number;
  private readonly maxWorkers: number;
  private readonly now: () => number;
  private readonly taskSlots = new Map<string, TaskSlot>();
  private readonly taskAge = new OrderList();
  private readonly finishedAge = new OrderList();
  private readonly workerSlots = new Map<string, WorkerSlot>();
  private readonly workerRecency = new OrderList();
  private readonly pendingTasks: PendingChanges<TaskState, TaskRow>;
  private readonly pendingWorkers: PendingChanges<WorkerState, WorkerRow>;
  private events = 0;
  private tasksEvicted = 0;
  private workersEvicted = 0;

  constructor(options: ClusterStateOptions = {}) {
    this.maxTasks = bounded('maxTasks', options.maxTasks ?? 10_000, MAX_TASKS_LIMIT);
    this.maxWorkers = bounded('maxWorkers', options.maxWorkers ?? 5_000, MAX_WORKERS_LIMIT);
    this.now = options.now ?? Date.now;
    this.pendingTasks = new PendingChanges<TaskState, TaskRow>(toTaskRow, (row) => row.taskId, this.now);
    this.pendingWorkers = new PendingChanges<WorkerState, WorkerRow>(toWorkerRow, (row) => row.hostname, this.now);
  }

  /** Folds one decoded event in. `receivedAt` (epoch ms) defaults to the injected clock's now. */
  apply(event: CeleryEvent, receivedAt: number = this.now()): void {
    this.events++;
    if (isWorkerEvent(event)) this.applyWorkerEvent(event, receivedAt);
    else this.applyTaskEvent(event, receivedAt);
  }

  task(id: string): Readonly<TaskState> | undefined {
    return this.taskSlots.get(id)?.task;
  }

  worker(hostname: string): Readonly<WorkerState> | undefined {
    return this.workerSlots.get(hostname)?.worker;
  }

  /** Oldest first. */
  *tasks(): IterableIterator<Readonly<TaskState>> {
    for (const slot of this.taskSlots.values()) yield slot.task;
  }

  *workers(): IterableIterator<Readonly<WorkerState>> {
    for (const slot of this.workerSlots.values()) yield slot.worker;
  }

  /** Heard from within 2 × its heartbeat interval, by the injected clock (or `now`). */
  isAlive(hostname: string, now: number = this.now()): boolean {
    const slot = this.workerSlots.get(hostname);
    return slot !== undefined && isAlive(slot.worker, now);
  }

  get taskCount(): number {
    return this.taskSlots.size;
  }

  get workerCount(): number {
    return this.workerSlots.size;
  }

  get eventCount(): number {
    return this.events;
  }

  /** Task rows the next drain would give: changed tasks plus handed-back rows. Grows while snapshots fail. */
  get pendingTaskCount(): number {
    return this.pendingTasks.size;
  }

  /** When the oldest pending task change was made (epoch ms), or null when none is pending. */
  get oldestPendingTaskSince(): number | null {
    return this.pendingTasks.oldestSince;
  }

  /**
   * Forgets up to `count` pending task changes, so a database that is down
   * or slower than the events cannot exhaust memory: those whose loss costs
   * least first (DroppedTaskChanges), the oldest first within each. The
   * caller counts and reports them.
   */
  dropTaskChanges(count: number): DroppedTaskChanges {
    const counts = this.pendingTasks.drop(count, DROP_RANKS.length, dropRank, (id) => this.taskSlots.get(id)?.task);
    return Object.fromEntries(DROP_RANKS.map((name, i) => [name, counts[i] ?? 0])) as unknown as DroppedTaskChanges;
  }

  /** Notes that these task rows were written, so their tasks' later changes are dropped last. */
  markWritten(rows: readonly TaskRow[]): void {
    for (const row of rows) {
      const slot = this.taskSlots.get(row.taskId);
      if (slot !== undefined) slot.task.written = true;
    }
  }

  /** Tasks dropped to stay within `maxTasks`, since construction. */
  get evictedTasks(): number {
    return this.tasksEvicted;
  }

  get evictedWorkers(): number {
    return this.workersEvicted;
  }

  /**
   * Rows for every task and worker changed since the last drain (plus rows
   * handed back by `restoreChanges`), as of now, and forgets that they
   * changed. Tasks evicted since they changed are included. With
   * `maxTasks`, at most that many task rows, those pending longest; the
   * other tasks stay pending.
   */
  drainChanges(maxTasks?: number): ClusterChanges {
    const tasks = this.pendingTasks.drain(maxTasks);
    return { tasks: tasks.rows, workers: this.pendingWorkers.drain().rows, drainedAt: this.events, since: tasks.since };
  }

  /**
   * Hands back a drain whose write failed, so the next drain writes it
   * again, unless the same task or worker changed since: then its newer
   * row wins. Safe in any order with other drains and restores.
   */
  restoreChanges(changes: ClusterChanges): void {
    const since = changes.since ?? this.now();
    this.pendingTasks.restore(changes.tasks, changes.drainedAt, since, (id) => this.taskSlots.get(id)?.task);
    this.pendingWorkers.restore(changes.workers, changes.drainedAt, since, (hostname) => this.workerSlots.get(hostname)?.worker);
  }

  private applyWorkerEvent(event: WorkerEvent, receivedAt: number): void {
    let slot = this.workerSlots.get(event.hostname);
    if (slot === undefined) {
      // Celery does not keep a worker it only sees leaving.
      if (event.type === 'worker-offline') return;
      slot = this.addWorker(event.hostname);
    } else {
      this.workerRecency.moveToEnd(slot.recency);
    }
    mergeWorkerEvent(slot.worker, event, receivedAt);
    this.markWorker(slot.worker);
  }

  private applyTaskEvent(event: TaskEvent, receivedAt: number): void {
    const slot = this.taskSlots.get(event.uuid) ?? this.addTask(event.uuid);
    // A task event from a worker is a sign of life (task-sent comes from a client).
    if (event.type !== 'task-sent') this.heartbeatFrom(event.hostname, receivedAt);
    const task = slot.task;
    mergeTaskEvent(task, event);
    const ready = READY_STATES.has(task.state);
    if (ready && slot.finished === null) {
      slot.finished = this.finishedAge.push(task.id);
    } else if (!ready && slot.finished !== null) {
      // A late task-retried reopens a finished task (RETRY always wins).
      this.finishedAge.remove(slot.finished);
      slot.finished = null;
    }
    task.changedAt = this.events;
    this.pendingTasks.mark(task.id, task);
  }

  private heartbeatFrom(hostname: string, receivedAt: number): void {
    let slot = this.workerSlots.get(hostname);
    if (slot === undefined) slot = this.addWorker(hostname);
    else this.workerRecency.moveToEnd(slot.recency);
    addHeartbeat(slot.worker, receivedAt);
    this.markWorker(slot.worker);
  }

  private markWorker(worker: WorkerState): void {
    worker.changedAt = this.events;
    this.pendingWorkers.mark(worker.hostname, worker);
  }

  private addTask(id: string): TaskSlot {
    // Evict before adding, so the newcomer is never the one dropped.
    if (this.taskSlots.size >= this.maxTasks) this.evictTask();
    const slot: TaskSlot = { task: new TaskState(id), age: this.taskAge.push(id), finished: null };
    this.taskSlots.set(id, slot);
    return slot;
  }

  private evictTask(): void {
    const id = this.finishedAge.oldest() ?? this.taskAge.oldest();
    const slot = id === undefined ? undefined : this.taskSlots.get(id);
    if (id === undefined || slot === undefined) return;
    this.taskAge.remove(slot.age);
    if (slot.finished !== null) this.finishedAge.remove(slot.finished);
    this.taskSlots.delete(id);
    this.tasksEvicted++;
  }

  private addWorker(hostname: string): WorkerSlot {
    if (this.workerSlots.size >= this.maxWorkers) this.evictWorker();
    const slot: WorkerSlot = { worker: new WorkerState(hostname), recency: this.workerRecency.push(hostname) };
    this.workerSlots.set(hostname, slot);
    return slot;
  }

  private evictWorker(): void {
    const hostname = this.workerRecency.oldest();
    const slot = hostname === undefined ? undefined : this.workerSlots.get(hostname);
    if (hostname === undefined || slot === undefined) return;
    this.workerRecency.remove(slot.recency);
    this.workerSlots.delete(hostname);
    this.workersEvicted++;
  }
}

function bounded(name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new ConfigError(`${name} must be an integer between 1 and ${max}, got ${value}`);
  }
  return value;
}
