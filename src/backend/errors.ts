/**
 * What the result backend throws on purpose. Each class has one stable code;
 * callers classify by `code` (or `instanceof`), never by message text.
 */
import { PrismaCeleryError } from '../errors.js';
import type { ExceptionInfo } from './meta.js';

/** A task id that is not a string, is empty or is longer than the column (255). */
export class InvalidTaskIdError extends PrismaCeleryError {
  constructor(message: string) {
    super('E_INVALID_TASK_ID', message);
  }
}

/** A state that is not a string or not written as Celery writes states (upper case, e.g. SUCCESS). */
export class InvalidStateError extends PrismaCeleryError {
  constructor(message: string) {
    super('E_INVALID_STATE', message);
  }
}

/** Any other argument of the wrong type or size (task name, worker, group members, durations…). */
export class InvalidArgumentError extends PrismaCeleryError {
  constructor(message: string) {
    super('E_INVALID_ARGUMENT', message);
  }
}

/**
 * A result that JSON cannot carry without changing it (BigInt, a cycle, a
 * function, undefined inside an array, NaN, a Map…). The task is stored as
 * FAILURE with an EncodeError, as a Celery worker does, and this is thrown too.
 */
export class ResultEncodeError extends PrismaCeleryError {
  readonly taskId: string;

  constructor(taskId: string, message: string, options?: { cause?: unknown }) {
    super('E_RESULT_ENCODE', message, options);
    this.taskId = taskId;
  }
}

/** A result whose JSON is over `maxResultBytes`. The task is stored as FAILURE saying so, and this is thrown too. */
export class ResultTooLargeError extends PrismaCeleryError {
  readonly taskId: string;
  readonly bytes: number;
  readonly limit: number;

  constructor(taskId: string, bytes: number, limit: number) {
    super('E_RESULT_TOO_LARGE', `task ${taskId}: result is ${bytes} bytes of JSON, over maxResultBytes (${limit})`);
    this.taskId = taskId;
    this.bytes = bytes;
    this.limit = limit;
  }
}

/** The database refused a write or read, after retrying what was transient. `cause` is the database's error. */
export class BackendDatabaseError extends PrismaCeleryError {
  /** Whether the last failure was a transient one (connection lost, deadlock, busy) that outlasted the retries. */
  readonly transient: boolean;

  constructor(message: string, options: { cause: unknown; transient: boolean }) {
    super('E_BACKEND_DATABASE', message, options);
    this.transient = options.transient;
  }
}

/** Redis refused a write or read, or could not be reached, after retrying what was transient. `cause` is ioredis's error. */
export class BackendRedisError extends PrismaCeleryError {
  /** Whether the last failure was a transient one (connection lost or refused, server loading) that outlasted the retries. */
  readonly transient: boolean;

  constructor(message: string, options: { cause: unknown; transient: boolean }) {
    super('E_BACKEND_REDIS', message, options);
    this.transient = options.transient;
  }
}

/** The backend's tables are missing: the migrations were not applied. */
export class BackendNotMigratedError extends PrismaCeleryError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_BACKEND_NOT_MIGRATED', message, options);
  }
}

/** A stored row this package cannot read (written by another tool in another format). */
export class StoredDataError extends PrismaCeleryError {
  constructor(message: string) {
    super('E_STORED_DATA', message);
  }
}

/** A call on a backend after close(). */
export class BackendClosedError extends PrismaCeleryError {
  constructor() {
    super('E_BACKEND_CLOSED', 'the result backend is closed');
  }
}

/**
 * waitFor() on a task that ended in FAILURE or REVOKED. Carries the stored
 * exception the way Celery stores it, and the traceback.
 */
export class TaskFailedError extends PrismaCeleryError {
  readonly taskId: string;
  readonly state: string;
  /** Python-style exception class name, e.g. `TypeError`, `TaskRevokedError`. */
  readonly excType: string;
  /** The exception's arguments (Python's `exc.args`); for a JS error, `[message]`. */
  readonly excMessage: unknown[];
  readonly excModule: string | null;
  readonly traceback: string | null;

  constructor(taskId: string, state: string, info: ExceptionInfo, traceback: string | null) {
    const detail = info.exc_message.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(', ');
    super('E_TASK_FAILED', `task ${taskId} ${state}: ${info.exc_type}${detail === '' ? '' : `: ${detail}`}`);
    this.taskId = taskId;
    this.state = state;
    this.excType = info.exc_type;
    this.excMessage = info.exc_message;
    this.excModule = info.exc_module;
    this.traceback = traceback;
  }
}

/** waitFor() ran out of time before the task was ready. The task may still finish. */
export class TaskTimeoutError extends PrismaCeleryError {
  readonly taskId: string;
  readonly timeout: number;
  /** The last state seen (PENDING for an id nobody stored). */
  readonly lastState: string;

  constructor(taskId: string, timeout: number, lastState: string) {
    super('E_TASK_TIMEOUT', `task ${taskId} was not ready after ${timeout} ms (last state ${lastState})`);
    this.taskId = taskId;
    this.timeout = timeout;
    this.lastState = lastState;
  }
}
