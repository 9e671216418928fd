/**
 * The worker's pool: tasks received wait here (reserved) and run at most
 * `concurrency` at a time, each task name at most at its rate limit (a
 * token bucket of capacity 1, as Celery's). It keeps what remote control
 * asks about: what is active and reserved, processed counts per task, the
 * revoked ids. A revoked task that has not started is skipped (acked and
 * reported, never run); a running one is told to stop through its
 * AbortSignal when terminate is asked. No broker or database here: a
 * request brings its own ack and run.
 */
import { TokenBucket } from '../snapshot/camera/rate-limit.js';

export interface DeliveryInfo {
  readonly exchange: string;
  readonly routing_key: string;
  readonly priority: number | null;
  readonly redelivered: boolean;
}

/** What a task function is given after its arguments and kwargs. */
export interface TaskContext {
  readonly id: string;
  readonly name: string;
  /** Aborted when the task is revoked with terminate; its reason says so. */
  readonly signal: AbortSignal;
}

export interface TaskRequest {
  readonly id: string;
  readonly name: string;
  readonly args: unknown;
  readonly kwargs: unknown;
  readonly deliveryInfo: DeliveryInfo;
  /** Takes the message off the broker for good; done when the task starts or is skipped, as Celery acks (acks_late off). */
  readonly ack: () => void;
  /** Runs the task; settles when it is over (the outcome is the runner's to store). */
  readonly run: (context: TaskContext) => Promise<unknown>;
}

export interface ActiveTask {
  readonly request: TaskRequest;
  /** Epoch seconds. */
  readonly started: number;
  readonly controller: AbortController;
}

export type PoolEvent =
  | { type: 'started'; request: TaskRequest }
  | { type: 'finished'; request: TaskRequest; runtime: number }
  | { type: 'revoked'; request: TaskRequest; terminated: boolean };

export interface PoolOptions {
  concurrency: number;
  /** Most tasks held (active and reserved) before the consumer is asked to wait; Celery's prefetch count. */
  prefetch: number;
  onEvent: (event: PoolEvent) => void;
  /** Epoch ms; default Date.now. */
  now?: () => number;
}

/** As Celery's worker_state.REVOKES_MAX: the oldest ids are forgotten past it. */
const REVOKED_KEPT = 50_000;

export class TerminatedError extends Error {
  constructor(readonly taskId: string) {
    super(`task ${taskId} was revoked with terminate`);
    this.name = 'TerminatedError';
  }
}

export class TaskPool {
  private readonly reservedList: TaskRequest[] = [];
  private readonly activeTasks = new Map<string, ActiveTask>();
  private readonly revokedIds = new Set<string>();
  private readonly terminatedIds = new Set<string>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly limits = new Map<string, string>();
  readonly processed = new Map<string, number>();
  private readonly now: () => number;
  private waiters: (() => void)[] = [];
  private settledWaiters: (() => void)[] = [];
  private retry: NodeJS.Timeout | null = null;

  constructor(private readonly options: PoolOptions) {
    this.now = options.now ?? Date.now;
  }

  get concurrency(): number {
    return this.options.concurrency;
  }

  get prefetch(): number {
    return this.options.prefetch;
  }

  receive(request: TaskRequest): void {
    if (this.revokedIds.has(request.id)) return this.skip(request);
    this.reservedList.push(request);
    this.pump();
  }

  /** Resolves once fewer than `prefetch` tasks are held: a consumer waits on it before taking the next message. */
  room(): Promise<void> {
    if (this.held() < this.options.prefetch) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Flags the ids revoked; skips those reserved, aborts those running when `terminate`. Returns the ids terminated. */
  revoke(ids: readonly string[], terminate: boolean): string[] {
    for (const id of ids) {
      this.revokedIds.delete(id);
      this.revokedIds.add(id);
    }
    while (this.revokedIds.size > REVOKED_KEPT) this.revokedIds.delete(this.revokedIds.values().next().value as string);
    for (let i = this.reservedList.length - 1; i >= 0; i--) {
      const request = this.reservedList[i] as TaskRequest;
      if (!ids.includes(request.id)) continue;
      this.reservedList.splice(i, 1);
      this.skip(request);
    }
    const terminated: string[] = [];
    if (terminate) {
      for (const id of ids) {
        const task = this.activeTasks.get(id);
        if (task === undefined || this.terminatedIds.has(id)) continue;
        this.terminatedIds.add(id);
        terminated.push(id);
        task.controller.abort(new TerminatedError(id));
        this.options.onEvent({ type: 'revoked', request: task.request, terminated: true });
      }
    }
    this.release();
    return terminated;
  }

  /** Whether `id` was terminated while it ran: its outcome is REVOKED, whatever the function did. */
  wasTerminated(id: string): boolean {
    return this.terminatedIds.has(id);
  }

  /** Sets a task's rate limit (`10/m`, parsed by the caller) or removes it with null. */
  setRateLimit(name: string, rate: { text: string; perSecond: number } | null): void {
    if (rate === null) {
      this.buckets.delete(name);
      this.limits.delete(name);
    } else {
      this.buckets.set(name, new TokenBucket(rate.perSecond, this.now));
      this.limits.set(name, rate.text);
    }
    this.pump();
  }

  rateLimitOf(name: string): string | undefined {
    return this.limits.get(name);
  }

  get active(): readonly ActiveTask[] {
    return [...this.activeTasks.values()];
  }

  get reserved(): readonly TaskRequest[] {
    return [...this.reservedList];
  }

  get revoked(): readonly string[] {
    return [...this.revokedIds];
  }

  /**
   * Resolves when nothing runs and nothing waits. With `dropReserved` the
   * reserved tasks are let go unrun (their messages, never acked, go back
   * to the broker with the connection); otherwise they run first.
   */
  async drain(dropReserved: boolean): Promise<void> {
    if (dropReserved) this.reservedList.length = 0;
    while (this.held() > 0) await new Promise<void>((resolve) => this.settledWaiters.push(resolve));
  }

  private held(): number {
    return this.activeTasks.size + this.reservedList.length;
  }

  private skip(request: TaskRequest): void {
    request.ack();
    this.options.onEvent({ type: 'revoked', request, terminated: false });
  }

  private pump(): void {
    if (this.retry !== null) {
      clearTimeout(this.retry);
      this.retry = null;
    }
    let limited = false;
    for (let i = 0; i < this.reservedList.length && this.activeTasks.size < this.options.concurrency; ) {
      const request = this.reservedList[i] as TaskRequest;
      const bucket = this.buckets.get(request.name);
      if (bucket !== undefined && !bucket.tryConsume()) {
        limited = true;
        i++;
        continue;
      }
      this.reservedList.splice(i, 1);
      this.start(request);
    }
    if (limited && this.activeTasks.size < this.options.concurrency) {
      // A token comes within a second for any rate above 1/s; slower ones are checked again each second.
      this.retry = setTimeout(() => this.pump(), 100);
      this.retry.unref();
    }
  }

  private start(request: TaskRequest): void {
    const controller = new AbortController();
    const task: ActiveTask = { request, started: this.now() / 1000, controller };
    this.activeTasks.set(request.id, task);
    request.ack();
    this.options.onEvent({ type: 'started', request });
    const began = process.hrtime.bigint();
    const finish = (): void => {
      this.activeTasks.delete(request.id);
      this.processed.set(request.name, (this.processed.get(request.name) ?? 0) + 1);
      this.options.onEvent({ type: 'finished', request, runtime: Number(process.hrtime.bigint() - began) / 1e9 });
      this.release();
      this.pump();
    };
    request.run({ id: request.id, name: request.name, signal: controller.signal }).then(finish, finish);
  }

  /** Wakes consumers waiting for room and drain()s waiting for a task to end. */
  private release(): void {
    const settled = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of settled) resolve();
    while (this.waiters.length > 0 && this.held() < this.options.prefetch) this.waiters.shift()?.();
  }
}
