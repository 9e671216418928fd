import { PrismaCeleryError } from '../errors.js';

/**
 * Scheduler and beat errors, classified by `code`:
 * - E_ENTRY_INVALID: a periodic task's definition is invalid (API input, a
 *   static schedule entry, or a row found in the table); `field` names the
 *   offending field (`schedule`, `args`, `crontab.hour`, …).
 * - E_ENTRY_NOT_FOUND: no periodic task has that name.
 * - E_ENTRY_EXISTS: create() with a name that is taken.
 * - E_ENTRY_BUSY: an update kept losing to concurrent edits of the same entry.
 * - E_SCHEDULER_UNKNOWN: `--scheduler` names no known scheduler.
 * - E_SCHEDULER_LOAD: a user's scheduler module could not be loaded, or its
 *   export is not a scheduler class.
 * - E_SCHEDULER_STATE: a call out of order (tick before start, start twice).
 * - E_STOP_TIMEOUT: beat's stop budget was spent before a run was settled
 *   (reported with run-lost) or before the tick under way ended.
 * Invalid options are ConfigErrors (E_CONFIG).
 */
export class SchedulerError extends PrismaCeleryError {
  /** The entry field at fault, for E_ENTRY_INVALID. */
  readonly field: string | undefined;
  /** The periodic task's name, when there is one. */
  readonly entry: string | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; field?: string; entry?: string }) {
    super(code, message, options);
    this.field = options?.field;
    this.entry = options?.entry;
  }
}

/** An invalid entry definition; the message says what is wrong and how to write it. */
export function invalidEntry(message: string, field: string, options?: { cause?: unknown; entry?: string }): SchedulerError {
  return new SchedulerError('E_ENTRY_INVALID', message, { field, ...options });
}
