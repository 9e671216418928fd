import type { TaskMessage } from '../core/protocol/task-message.js';
import type { Layout } from '../db/layout.js';
import type { Database } from '../db/open.js';
import type { PeriodicTaskInput } from './entry-input.js';
import type { BeatEventListener } from './events.js';

/**
 * What beat gives a scheduler. Everything in it is owned by beat: the
 * scheduler uses the database and the publish function but never closes
 * them.
 */
export interface SchedulerContext {
  /** The database holding the periodic-task tables. */
  readonly database: Database;
  /** Whose tables: djcelery (ours, migrated) or django (django-celery-beat's). Default djcelery. */
  readonly layout?: Layout;
  /**
   * Sends one task message; resolves once the broker has confirmed it, and
   * rejects after the publisher's own retries (BrokerError).
   */
  readonly publish: (message: TaskMessage) => Promise<void>;
  /** The producer's node name for the messages' `origin` header ("gen<pid>@<host>"). */
  readonly origin: string;
  /** Longest sleep between ticks, in seconds. */
  readonly maxInterval: number;
  /** How often to look for edits made elsewhere, in seconds (at most maxInterval). */
  readonly syncInterval: number;
  /** Audit trail rows older than this many seconds are pruned; 0 keeps them all. Default 90 days. */
  readonly auditRetention?: number;
  /** Entries from the configuration, to write to the table at start (checked already). */
  readonly staticSchedule: readonly PeriodicTaskInput[];
  /** The clock for anything not given a `now`. */
  readonly clock: () => Date;
  /** Where to report; never throws. */
  readonly emit: BeatEventListener;
  /**
   * Ends beat's sleep so it ticks now (a scheduler told of an edit calls
   * it); called during a tick, it makes the next tick follow at once.
   */
  readonly wake?: () => void;
}

/**
 * A beat scheduler: what `--scheduler` names. Beat calls start() once,
 * then tick() in a loop (never two at once), sleeping for the seconds each
 * tick returns, then close() once. A tick that throws is logged and retried
 * after a back-off; it must leave the scheduler able to tick again.
 * Constructors must do no I/O.
 */
export interface Scheduler {
  /** Loads the schedule (and installs the static one). */
  start(): Promise<void>;
  /** Sends what is due at `now`; resolves to the seconds beat may sleep (0 = tick again at once). */
  tick(now: Date): Promise<number>;
  /**
   * Stops; no tick follows. Must not close what the context lent. `spent`
   * aborts when beat's stop budget is used up: report what is left
   * unsettled and return.
   */
  close(spent?: AbortSignal): Promise<void>;
}

/** A scheduler class, as a user's module exports it (`--scheduler ./my-scheduler.js#MyScheduler`). */
export type SchedulerClass = new (context: SchedulerContext) => Scheduler;
