// Beat: runs a scheduler's ticks until closed, and keeps running through
// database and broker outages: a tick that failed while the database does
// not answer is tried again as soon as it does (probed twice a second);
// other failures are logged and tried again after a back-off.
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { BrokerError } from '../broker/errors.js';
import { createTaskPublisher, type BrokerPublisher } from '../broker/publisher.js';
import type { TaskMessage } from '../core/protocol/task-message.js';
import { checkTables, LayoutTablesError, layoutOption, type Layout } from '../db/layout.js';
import { openDatabase, type Database } from '../db/open.js';
import { PROBE_INTERVAL_MS, waitWhileDown } from '../db/reachability.js';
import { ConfigError } from '../errors.js';
import { abortable } from './abortable.js';
import { BeatHeartbeat } from './beat-heartbeat.js';
import { defineTask, type PeriodicTaskInput } from './entry-input.js';
import { SchedulerError } from './errors.js';
import { DEFAULT_AUDIT_RETENTION_S } from './schedule-audit.js';
import { safeListener, type BeatEvent, type BeatEventListener } from './events.js';
import { DEFAULT_SCHEDULER, resolveScheduler } from './registry.js';
import type { Scheduler, SchedulerClass } from './scheduler.js';
import { parseStaticSchedule, withDefaultEntries, type StaticEntryConfig } from './static-schedule.js';

/** Anything that sends task messages and resolves once the broker took them (a started TaskPublisher or RedisTaskPublisher). */
export interface MessageSender {
  publish(message: TaskMessage): Promise<void>;
}

export interface BeatOptions {
  /** Database URL; beat opens it and closes it. Give this or `database`. */
  databaseUrl?: string;
  /** An open database the caller keeps owning (never closed here). */
  database?: Database;
  /**
   * Whose periodic-task tables: djcelery (ours, migrated; the default) or
   * django (django-celery-beat's, made by Django's migrations, which a
   * Django admin may edit while beat runs).
   */
  layout?: Layout;
  /** Broker URL (amqp://… or redis://…); beat runs a publisher on it and closes it. Give this or `publisher`. */
  brokerUrl?: string;
  /** A started publisher the caller keeps owning (never closed here). */
  publisher?: MessageSender;
  /** Scheduler name, `./module.js#Export`, or a class. Default "DatabaseScheduler". */
  scheduler?: string | SchedulerClass;
  /** Longest sleep between ticks, seconds. Default 5; 0.1 to 300. */
  maxInterval?: number;
  /**
   * How often to look for edits made elsewhere, seconds. Default 0.5; 0.01 to
   * 60 (and at most maxInterval). On PostgreSQL beat is told of edits as they
   * commit, and looks only every maxInterval while it hears.
   */
  syncInterval?: number;
  /** The static schedule: entries by name (the config's `beatSchedule`), or API inputs. Default none. */
  schedule?: Readonly<Record<string, StaticEntryConfig>> | readonly PeriodicTaskInput[];
  /** Result expiry in seconds; when above 0, Celery's `celery.backend_cleanup` entry (daily 04:00) is installed. Default none. */
  resultExpires?: number | null;
  /** Seconds the audit trail of schedule changes keeps; older rows are pruned hourly. 0 keeps them all. Default 90 days. */
  auditRetention?: number;
  /** The messages' origin header. Default "gen<pid>@<hostname>", as Celery names a producer. */
  origin?: string;
  /** Where a scheduler module path starts from. Default process.cwd(). */
  cwd?: string;
  /**
   * The stop budget, seconds: close() returns within about this long
   * whatever the broker or the database does. Sends still unconfirmed at
   * two fifths of it are abandoned and their runs given back; runs that can be
   * neither sent nor given back by the end are reported (run-lost). Keep it
   * below the grace period of whatever stops beat (Kubernetes: 30 s).
   * Default 5; 0.1 to 600.
   */
  stopTimeout?: number;
  /**
   * Waits after a failed tick the database answered, seconds, doubling from
   * min to max. Default 1 to 30; each 0.01 to 600. While the database does
   * not answer, beat probes it instead and ticks the moment it does.
   */
  retry?: { minDelay?: number; maxDelay?: number };
  /** Receives every BeatEvent. Default: problems to stderr. */
  onEvent?: BeatEventListener;
  /** Default: the system clock. */
  clock?: () => Date;
}

interface Settings {
  layout: Layout;
  scheduler: string | SchedulerClass;
  maxInterval: number;
  syncInterval: number;
  schedule: PeriodicTaskInput[];
  origin: string;
  cwd: string;
  minDelay: number;
  maxDelay: number;
  stopTimeout: number;
  auditRetention: number;
  clock: () => Date;
}

/**
 * `prisma-celery beat` as a class. The constructor checks the options and
 * does no I/O; start() connects, loads the schedule and starts the loop;
 * close() (or SIGINT/SIGTERM in the CLI) stops it within the stop budget.
 */
export class Beat implements AsyncDisposable {
  readonly #options: BeatOptions;
  readonly #settings: Settings;
  readonly #emit: (event: BeatEvent) => void;
  readonly #stop = new AbortController();
  /** Aborted when close() stops waiting for sends: those under way reject, and their runs are given back. */
  readonly #abandonSends = new AbortController();
  #state: 'new' | 'starting' | 'running' | 'closed' = 'new';
  #opened: { database?: Database; publisher?: BrokerPublisher } = {};
  #scheduler: Scheduler | undefined;
  #heartbeat: BeatHeartbeat | undefined;
  #loop: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  #startup: Promise<void> = Promise.resolve();
  /** Ends the current sleep early (a wake); undefined while ticking. */
  #sleeping: AbortController | undefined;
  #wakeRequested = false;

  constructor(options: BeatOptions) {
    // One listener per send under way, each removed when its send settles: a tick may hold a hundred.
    setMaxListeners(0, this.#abandonSends.signal);
    this.#options = options;
    this.#settings = resolveBeatOptions(options);
    this.#emit = safeListener(options.onEvent);
  }

  /** The running scheduler (after start()). */
  get scheduler(): Scheduler | undefined {
    return this.#scheduler;
  }

  /** Resolves when the loop has ended (after close()). */
  get stopped(): Promise<void> {
    return this.#loop;
  }

  /** Connects, loads the schedule and starts the loop; rejects (having closed what it opened) if any of that fails. */
  start(): Promise<void> {
    if (this.#state !== 'new') return Promise.reject(new ConfigError(`Beat.start() on a beat that is ${this.#state}`));
    this.#state = 'starting';
    this.#startup = this.#start();
    return this.#startup;
  }

  async #start(): Promise<void> {
    const s = this.#settings;
    let scheduler: Scheduler;
    let database: Database;
    try {
      const Class = await resolveScheduler(s.scheduler, s.cwd);
      const { database: lentDatabase, databaseUrl = '', publisher: lentPublisher, brokerUrl = '' } = this.#options;
      database = lentDatabase ?? (this.#opened.database = await openDatabase(databaseUrl));
      let sender: MessageSender;
      if (lentPublisher) {
        sender = lentPublisher;
      } else {
        // Its close waits a twentieth of the stop budget for the broker, three times at most.
        const closeTimeoutMs = Math.min(1000, s.stopTimeout * 50);
        const publisher = createTaskPublisher(brokerUrl, { closeTimeoutMs, log: brokerLog(this.#emit) });
        this.#opened.publisher = publisher;
        await publisher.start();
        sender = publisher;
      }
      scheduler = new Class({
        database,
        layout: s.layout,
        // Once beat stops waiting for sends, one under way rejects and its run is given back.
        publish: (message) => abortable(sender.publish(message), this.#abandonSends.signal, () => abandoned(message.id)),
        origin: s.origin,
        maxInterval: s.maxInterval,
        syncInterval: s.syncInterval,
        staticSchedule: s.schedule,
        auditRetention: s.auditRetention,
        clock: s.clock,
        emit: (event) => {
          if (event.type === 'task-sent' && event.lateBy !== undefined) this.#heartbeat?.sent(event.lateBy);
          this.#emit(event);
        },
        wake: () => this.#wake(),
      });
      this.#scheduler = scheduler;
      await scheduler.start();
      // On Django's tables alone there is no djcelery_beatstate to be seen in (our migrations make it, for the camera and the monitor).
      if (s.layout === 'djcelery' || (await hasTables(database, ['djcelery_beatstate']))) {
        this.#heartbeat = new BeatHeartbeat(database, s.maxInterval, (error) => this.#emit({ type: 'heartbeat-failed', error }));
        await this.#heartbeat.start();
      }
    } catch (error) {
      await this.#release();
      this.#state = 'closed';
      throw error;
    }
    if (this.#state === 'closed') return; // close() was called meanwhile; it releases
    this.#state = 'running';
    this.#emit({ type: 'beat-started', scheduler: typeof s.scheduler === 'string' ? s.scheduler : s.scheduler.name });
    this.#loop = this.#run(scheduler, database);
  }

  /**
   * Stops after the tick under way, closes the scheduler and whatever beat
   * opened, within the stop budget (stopTimeout). Calling it again waits
   * for the same close.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    const state = this.#state;
    this.#state = 'closed';
    this.#stop.abort();
    if (state === 'new') return;
    try {
      await this.#startup;
    } catch {
      return; // a failed start released everything already
    }
    const budgetMs = this.#settings.stopTimeout * 1000;
    const spent = AbortSignal.timeout(budgetMs);
    // The rest is for giving their runs back and closing the connections.
    const abandon = setTimeout(() => this.#abandonSends.abort(), budgetMs * 0.4);
    try {
      if (!(await until(this.#loop, spent))) {
        this.#emit({ type: 'close-failed', error: new SchedulerError('E_STOP_TIMEOUT', `the tick under way did not end within the stop budget (${this.#settings.stopTimeout}s)`) });
      }
      await this.#release(spent);
    } finally {
      clearTimeout(abandon);
    }
    this.#emit({ type: 'beat-stopped' });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #run(scheduler: Scheduler, database: Database): Promise<void> {
    const { clock, minDelay, maxDelay } = this.#settings;
    const { signal } = this.#stop;
    let failures = 0;
    let backoffs = 0;
    let failingSince = 0;
    while (!signal.aborted) {
      let seconds: number;
      const started = performance.now();
      try {
        // The tick's answer counts from the instant it was given, so the
        // time the tick itself took comes off the sleep.
        const asked = await scheduler.tick(clock());
        await this.#heartbeat?.ticked();
        seconds = Number.isFinite(asked) && asked >= 0 ? asked - (performance.now() - started) / 1000 : this.#settings.maxInterval;
        if (failures > 0) {
          this.#emit({ type: 'recovered', afterSeconds: (Date.now() - failingSince) / 1000 });
          failures = 0;
          backoffs = 0;
        }
      } catch (error) {
        if (failures === 0) failingSince = Date.now();
        failures++;
        // Runs stay unclaimed while the database is away; the first tick
        // after its return claims and sends whatever is due by then.
        const onDown = () => this.#emit({ type: 'tick-failed', error, failures, retryInSeconds: PROBE_INTERVAL_MS / 1000, databaseDown: true });
        if ((await waitWhileDown(database, { signal, onDown })) !== 'answering') continue;
        backoffs++;
        seconds = Math.min(minDelay * 2 ** (backoffs - 1), maxDelay);
        this.#emit({ type: 'tick-failed', error, failures, retryInSeconds: seconds });
      }
      if (this.#wakeRequested) {
        this.#wakeRequested = false;
        continue;
      }
      this.#sleeping = new AbortController();
      try {
        await sleep(Math.max(0, seconds) * 1000, undefined, { signal: AbortSignal.any([signal, this.#sleeping.signal]) });
      } catch {
        // aborted by close(), or woken
      } finally {
        this.#sleeping = undefined;
        this.#wakeRequested = false;
      }
    }
  }

  #wake(): void {
    if (this.#sleeping) this.#sleeping.abort();
    else this.#wakeRequested = true;
  }

  async #release(spent?: AbortSignal): Promise<void> {
    const problems: unknown[] = [];
    const attempt = async (step: (() => Promise<void>) | undefined) => {
      try {
        await step?.();
      } catch (error) {
        problems.push(error);
      }
    };
    const { publisher, database } = this.#opened;
    const scheduler = this.#scheduler;
    const heartbeat = this.#heartbeat;
    this.#opened = {};
    this.#heartbeat = undefined;
    await attempt(scheduler && (() => scheduler.close(spent)));
    await attempt(heartbeat && (() => until(heartbeat.stopped(), spent).then(() => {})));
    await attempt(publisher && (() => publisher.close()));
    await attempt(database && (() => until(database.close(), spent).then(() => {})));
    for (const error of problems) this.#emit({ type: 'close-failed', error });
  }
}

/** Checks every option once; a ConfigError says which and what is allowed. */
export function resolveBeatOptions(options: BeatOptions): Settings {
  const one = (a: unknown, b: unknown, names: string) => {
    if ((a === undefined) === (b === undefined)) throw new ConfigError(`Beat needs exactly one of ${names}`);
  };
  one(options.databaseUrl, options.database, 'databaseUrl or database');
  one(options.brokerUrl, options.publisher, 'brokerUrl or publisher');
  const maxInterval = bounded(options.maxInterval, 5, 0.1, 300, 'maxInterval');
  // Twice a second: an edit is seen within half a second, for one cheap
  // read of the marker row per poll.
  const syncInterval = Math.min(bounded(options.syncInterval, 0.5, 0.01, 60, 'syncInterval'), maxInterval);
  const minDelay = bounded(options.retry?.minDelay, 1, 0.01, 600, 'retry.minDelay');
  const maxDelay = bounded(options.retry?.maxDelay, 30, 0.01, 600, 'retry.maxDelay');
  const stopTimeout = bounded(options.stopTimeout, 5, 0.1, 600, 'stopTimeout');
  if (maxDelay < minDelay) throw new ConfigError(`retry.maxDelay (${maxDelay}) must be at least retry.minDelay (${minDelay})`);
  const resultExpires = options.resultExpires ?? null;
  if (resultExpires !== null && !(Number.isFinite(resultExpires) && resultExpires >= 0)) {
    throw new ConfigError(`resultExpires must be a number of seconds, 0 or more (got ${resultExpires})`);
  }
  const auditRetention = options.auditRetention ?? DEFAULT_AUDIT_RETENTION_S;
  if (!(Number.isFinite(auditRetention) && auditRetention >= 0)) {
    throw new ConfigError(`auditRetention must be a number of seconds, 0 or more (got ${auditRetention})`);
  }
  const scheduler = options.scheduler ?? DEFAULT_SCHEDULER;
  if (typeof scheduler !== 'function' && (typeof scheduler !== 'string' || scheduler.trim() === '')) {
    throw new ConfigError('scheduler must be a scheduler name, ./module.js#Export, or a class');
  }
  let schedule: PeriodicTaskInput[];
  try {
    schedule = Array.isArray(options.schedule) ? parseInputs(options.schedule) : parseStaticSchedule(options.schedule ?? {});
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(`schedule: ${error.message}`, { cause: error });
  }
  return {
    layout: layoutOption(options.layout),
    scheduler,
    maxInterval,
    syncInterval,
    schedule: withDefaultEntries(schedule, { resultExpires }),
    origin: options.origin ?? `gen${process.pid}@${hostname()}`,
    cwd: options.cwd ?? process.cwd(),
    minDelay,
    maxDelay,
    stopTimeout,
    auditRetention,
    clock: options.clock ?? (() => new Date()),
  };
}

function parseInputs(inputs: readonly PeriodicTaskInput[]): PeriodicTaskInput[] {
  return inputs.map((input) => {
    try {
      defineTask(input);
      return input;
    } catch (error) {
      if (!(error instanceof SchedulerError)) throw error;
      throw new ConfigError(error.message, { cause: error });
    }
  });
}

function bounded(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max} seconds (got ${String(value)})`);
  }
  return value;
}

function abandoned(taskId: string): BrokerError {
  return new BrokerError('E_PUBLISH_UNCONFIRMED', `task ${taskId} was not confirmed before beat stopped; its run is given back`);
}

/** Waits for `work` until `signal` aborts; true if it settled first. Rejects as `work` does. */
async function until(work: Promise<unknown>, signal: AbortSignal | undefined): Promise<boolean> {
  const late = new Error('stop budget spent');
  try {
    await abortable(work, signal, () => late);
    return true;
  } catch (error) {
    if (error === late) return false;
    throw error;
  }
}

/** The publisher's connection log as beat events: broker trouble shows where tick failures do. */
function brokerLog(emit: (event: BeatEvent) => void) {
  return (level: 'info' | 'warn' | 'error', message: string, error?: unknown): void => {
    if (level !== 'info') emit({ type: 'broker-trouble', message, ...(error === undefined ? {} : { error }) });
  };
}

async function hasTables(database: Database, tables: readonly string[]): Promise<boolean> {
  try {
    await checkTables(database, Object.fromEntries(tables.map((table) => [table, []])), '');
    return true;
  } catch (error) {
    if (error instanceof LayoutTablesError) return false;
    throw error;
  }
}
