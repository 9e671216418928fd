/**
 * What beat and its scheduler report. Background work has no caller to
 * reject, so everything that goes wrong (or right) arrives here; nothing is
 * swallowed. The CLI prints them; an application can forward them to its
 * own logger or metrics.
 */
import { printProblem } from '../core/log-line.js';
import { causeLine } from '../db/adapter-error.js';

export type BeatEvent =
  /** The schedule was read in full (at start, or after the marker went backwards or beat was cut off for long). */
  | { type: 'schedule-loaded'; entries: number; ms: number }
  /** Rows changed since the last look were re-read. */
  | { type: 'schedule-synced'; changed: number; removed: number; version: number }
  /** The static schedule from the configuration was written to the table. */
  | { type: 'static-schedule-installed'; created: readonly string[]; updated: readonly string[] }
  /**
   * A run was reserved and its message confirmed by the broker. `lateBy`:
   * seconds from the instant the run was due to its claim (not known, so
   * left out, for a message sent again after a lost answer).
   */
  | { type: 'task-sent'; entry: string; task: string; taskId: string; at: Date; lateBy?: number }
  /** Another beat (or an edit) got to the run first; this beat re-read the row and sends nothing. */
  | { type: 'run-taken'; entry: string }
  /** An entry beat cannot run was disabled in the table (bad JSON, unknown time zone, …), or an expired/finished one. */
  | { type: 'entry-disabled'; entry: string; reason: string; error?: unknown }
  /** A message was not confirmed after the publisher's own retries; the run was given back and is tried again. */
  | { type: 'publish-failed'; entry: string; taskId: string; error: unknown; retryInSeconds: number }
  /** A run could not be sent nor given back (the database was unreachable too) and was dropped; the entry goes on. */
  | { type: 'run-lost'; entry: string; error: unknown }
  /**
   * A tick failed; beat tries again after `retryInSeconds`. With
   * `databaseDown` the database did not answer either: beat probes it every
   * `retryInSeconds` and ticks as soon as it answers.
   */
  | { type: 'tick-failed'; error: unknown; failures: number; retryInSeconds: number; databaseDown?: true }
  /** Ticks work again after failures. */
  | { type: 'recovered'; afterSeconds: number }
  /** The broker connection reported a problem (the publisher reconnects on its own). */
  | { type: 'broker-trouble'; message: string; error?: unknown }
  /** Beat's heartbeat row (djcelery_beatstate) could not be written; beat goes on, and the monitor may show it late. */
  | { type: 'heartbeat-failed'; error: unknown }
  /** Closing the scheduler, the publisher or the database failed. */
  | { type: 'close-failed'; error: unknown }
  | { type: 'beat-started'; scheduler: string }
  | { type: 'beat-stopped' };

export type BeatEventListener = (event: BeatEvent) => void;

/**
 * A listener that cannot break the loop that calls it: a throwing listener
 * is reported on stderr and the loop goes on.
 */
export function safeListener(listener: BeatEventListener | undefined): BeatEventListener {
  const target = listener ?? defaultListener;
  return (event) => {
    try {
      target(event);
    } catch (error) {
      printProblem('error', 'beat', `an event listener threw on "${event.type}"`, error);
    }
  };
}

/** Without a listener: problems to stderr, the routine dropped. */
export const defaultListener: BeatEventListener = (event) => {
  switch (event.type) {
    case 'entry-disabled':
    case 'publish-failed':
    case 'run-lost':
    case 'tick-failed':
    case 'broker-trouble':
    case 'heartbeat-failed':
    case 'close-failed':
      printProblem('error', 'beat', describeEvent(event));
  }
};

/** One line for a log. */
export function describeEvent(event: BeatEvent): string {
  switch (event.type) {
    case 'schedule-loaded':
      return `schedule loaded: ${event.entries} enabled ${event.entries === 1 ? 'entry' : 'entries'} in ${event.ms.toFixed(0)} ms`;
    case 'schedule-synced':
      return `schedule changed (version ${event.version}): ${event.changed} re-read, ${event.removed} removed`;
    case 'static-schedule-installed':
      return `static schedule: ${event.created.length} created, ${event.updated.length} updated`;
    case 'task-sent':
      return `sent ${event.entry} (${event.task}[${event.taskId}])`;
    case 'run-taken':
      return `${event.entry}: this run was taken by another beat or changed by an edit`;
    case 'entry-disabled':
      return `disabled ${event.entry}: ${event.reason}`;
    case 'publish-failed':
      return `${event.entry}: not confirmed by the broker (${causeLine(event.error)}); run given back, retry in ${event.retryInSeconds}s`;
    case 'run-lost':
      return `${event.entry}: a run could not be sent nor given back (${causeLine(event.error)})`;
    case 'tick-failed':
      return event.databaseDown
        ? `tick failed (${causeLine(event.error)}); the database does not answer: trying it every ${event.retryInSeconds}s`
        : `tick failed (${causeLine(event.error)}); retry ${event.failures} in ${event.retryInSeconds}s`;
    case 'recovered':
      return `working again after ${event.afterSeconds.toFixed(1)}s of failures`;
    case 'broker-trouble':
      return `broker: ${event.message}${event.error === undefined ? '' : ` (${causeLine(event.error)})`}`;
    case 'heartbeat-failed':
      return `heartbeat not written (${causeLine(event.error)}); the monitor may show this beat late`;
    case 'close-failed':
      return `closing failed: ${causeLine(event.error)}`;
    case 'beat-started':
      return `beat started with ${event.scheduler}`;
    case 'beat-stopped':
      return 'beat stopped';
  }
}
