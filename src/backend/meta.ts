/**
 * The shapes a reader sees, as Celery's backends return them, and how a JS
 * error becomes Celery's stored exception. Pure.
 */
import { PENDING } from '../core/states.js';

/** Celery's result meta: what `AsyncResult` (Python or celery-node) reads. */
export interface TaskMeta {
  task_id: string;
  status: string;
  /** The return value; for FAILURE, RETRY and REVOKED an {@link ExceptionInfo}. */
  result: unknown;
  traceback: string | null;
  children: unknown[];
  /** When the task became ready (ISO 8601, UTC); null while it is not. */
  date_done: string | null;
}

/**
 * An exception as Celery stores it (`celery.backends.base.prepare_exception`
 * with JSON): Python's class name, its args, its module. celery-node's
 * `AsyncResult.get()` copies these onto the Error it rejects with, so
 * `error.exc_type` works there too.
 */
export interface ExceptionInfo {
  exc_type: string;
  exc_message: unknown[];
  exc_module: string | null;
}

/**
 * `exc_module` of errors raised in JavaScript. Python has no such module, so
 * a Python client rebuilds them as a synthetic exception class of the same
 * name (Celery's fallback for unknown modules) instead of mistaking a JS
 * TypeError for Python's builtins.TypeError.
 */
export const JS_EXCEPTION_MODULE = 'javascript';

const CELERY_EXCEPTIONS = 'celery.exceptions';

export const pendingMeta = (taskId: string): TaskMeta => ({
  task_id: taskId,
  status: PENDING,
  result: null,
  traceback: null,
  children: [],
  date_done: null,
});

export function isExceptionInfo(value: unknown): value is ExceptionInfo {
  if (typeof value !== 'object' || value === null) return false;
  const info = value as Record<string, unknown>;
  return (
    typeof info.exc_type === 'string' &&
    Array.isArray(info.exc_message) &&
    (info.exc_module === null || typeof info.exc_module === 'string')
  );
}

/**
 * Reads what Python or we stored as an exception. Older Celery versions
 * wrote `exc_message` as a string and some writers omit `exc_module`.
 */
export function readExceptionInfo(value: unknown): ExceptionInfo {
  if (typeof value === 'object' && value !== null && typeof (value as { exc_type?: unknown }).exc_type === 'string') {
    const info = value as { exc_type: string; exc_message?: unknown; exc_module?: unknown };
    const message = info.exc_message;
    return {
      exc_type: info.exc_type,
      exc_message: Array.isArray(message) ? message : message === undefined || message === null ? [] : [message],
      exc_module: typeof info.exc_module === 'string' ? info.exc_module : null,
    };
  }
  return { exc_type: 'Exception', exc_message: value === null || value === undefined ? [] : [value], exc_module: null };
}

/** The class name to store: `name` when a subclass set it, else the constructor's name. */
function errorType(error: Error): string {
  if (error.name !== '' && error.name !== 'Error') return error.name;
  const ctor = (error as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'Error';
}

/**
 * A thrown value as Celery stores an exception. An Error keeps its class
 * name and message; anything else thrown (`throw 'x'`) becomes `Error` with
 * that value as its one argument (as text unless it is a string already).
 */
export function encodeException(thrown: unknown): ExceptionInfo {
  if (isExceptionInfo(thrown)) return thrown;
  if (thrown instanceof Error) {
    return { exc_type: errorType(thrown), exc_message: [thrown.message], exc_module: JS_EXCEPTION_MODULE };
  }
  return { exc_type: 'Error', exc_message: [describeThrown(thrown)], exc_module: JS_EXCEPTION_MODULE };
}

function describeThrown(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The stack of a thrown Error, Celery's `traceback`; null for anything else. */
export const tracebackOf = (thrown: unknown): string | null =>
  thrown instanceof Error && typeof thrown.stack === 'string' ? thrown.stack : null;

/** Celery's own exception for a revoked task, so a Python client rebuilds the real class. */
export const revokedException = (reason: string): ExceptionInfo => ({
  exc_type: 'TaskRevokedError',
  exc_message: [reason],
  exc_module: CELERY_EXCEPTIONS,
});

/** What a Celery worker stores for a message naming a task it does not have. */
export const notRegisteredException = (name: string): ExceptionInfo => ({
  exc_type: 'NotRegistered',
  exc_message: [name],
  exc_module: CELERY_EXCEPTIONS,
});

/** What a Celery worker stores when the result cannot be serialised (kombu's EncodeError). */
export const encodeErrorException = (message: string): ExceptionInfo => ({
  exc_type: 'EncodeError',
  exc_message: [message],
  exc_module: 'kombu.exceptions',
});

/** Stored in place of a result over the size cap. */
export const resultTooLargeException = (message: string): ExceptionInfo => ({
  exc_type: 'ResultTooLargeError',
  exc_message: [message],
  exc_module: 'prisma_celery',
});
