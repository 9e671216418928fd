/**
 * From what a caller hands the backend to the row it writes: inputs checked
 * (a bad one throws before anything is written), results encoded as Celery
 * encodes them, and results that cannot be stored replaced by a stored
 * error so that a waiter learns why instead of hanging. Pure.
 */
import { EXCEPTION_STATES, FAILURE, SUCCESS } from '../core/states.js';
import type { PrismaCeleryError } from '../errors.js';
import { InvalidArgumentError, InvalidStateError, InvalidTaskIdError, ResultEncodeError, ResultTooLargeError } from './errors.js';
import type { TaskWrite } from './guard.js';
import {
  encodeErrorException,
  encodeException,
  resultTooLargeException,
  tracebackOf,
  type ExceptionInfo,
} from './meta.js';
import type { BackendEvent, ResolvedOptions } from './options.js';
import { capText, encodeJson } from './serialize.js';

/** What else is known about the task; every field is optional and kept from earlier writes when absent. */
export interface TaskDetails {
  /** The registered task name, e.g. `tasks.add`. */
  name?: string | null;
  args?: unknown;
  kwargs?: unknown;
  /** The worker's node name, e.g. `celery@host`. */
  worker?: string | null;
  queue?: string | null;
  retries?: number | null;
  dateStarted?: Date | null;
  /** Overrides the traceback taken from an Error's stack. */
  traceback?: string | null;
  /** Celery's children (results of subtasks); stored in the row's meta. */
  children?: unknown[];
}

export interface BuiltWrite {
  readonly write: TaskWrite;
  /** Set when the result could not be stored as given: the caller is rejected with it once the row is written. */
  readonly error: PrismaCeleryError | null;
  readonly events: BackendEvent[];
}

const MAX_CHARS = 255;
const STATE_FORMAT = /^[A-Z][A-Z0-9_]*$/;
const MAX_RETRIES = 2 ** 31 - 1;

const describe = (value: unknown): string =>
  typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : typeof value;

const characters = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

export function checkId(kind: 'task' | 'group', id: unknown): string {
  const ErrorClass = kind === 'task' ? InvalidTaskIdError : InvalidArgumentError;
  if (typeof id !== 'string') throw new ErrorClass(`${kind} id must be a string, got ${describe(id)}`);
  if (id.length === 0) throw new ErrorClass(`${kind} id must not be empty`);
  if (id.includes('\u0000')) throw new ErrorClass(`${kind} id must not contain NUL characters`);
  const length = characters(id);
  if (length > MAX_CHARS) throw new ErrorClass(`${kind} id is ${length} characters long; at most ${MAX_CHARS} fit`);
  return id;
}

export function checkState(state: unknown): string {
  if (typeof state !== 'string') throw new InvalidStateError(`state must be a string, got ${describe(state)}`);
  if (!STATE_FORMAT.test(state) || state.length > MAX_CHARS) {
    throw new InvalidStateError(
      `state ${describe(state)} is not a Celery state: use upper-case letters, digits and _ (SUCCESS, FAILURE, or a custom one such as PROGRESS)`,
    );
  }
  return state;
}

// PostgreSQL's text cannot hold NUL; JSON columns escape it, plain text columns get U+FFFD.
const withoutNul = (text: string): string => (text.includes('\u0000') ? text.replaceAll('\u0000', '\uFFFD') : text);

function optionalText(field: string, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new InvalidArgumentError(`${field} must be a string, got ${describe(value)}`);
  if (characters(value) > MAX_CHARS) throw new InvalidArgumentError(`${field} is longer than ${MAX_CHARS} characters`);
  return withoutNul(value);
}

function optionalRetries(value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_RETRIES) {
    throw new InvalidArgumentError(`retries must be a whole number of 0 or more, got ${String(value)}`);
  }
  return value;
}

function optionalDate(field: string, value: unknown): Date | null {
  if (value === undefined || value === null) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new InvalidArgumentError(`${field} must be a valid Date`);
  return value;
}

type Settings = Pick<ResolvedOptions, 'maxResultBytes' | 'storeArgs' | 'redactArgs'>;

/** JSON of args or kwargs: refused when JSON would change it, dropped (with an event) when over the cap. */
function argsJson(field: 'args' | 'kwargs', value: unknown, taskId: string, settings: Settings, events: BackendEvent[]) {
  if (value === undefined) return null;
  const encoded = encodeJson(value, field, settings.maxResultBytes);
  if (encoded.ok) return encoded.json;
  if (encoded.problem === 'unserialisable') throw new InvalidArgumentError(encoded.message);
  events.push({ type: 'args-dropped', taskId, bytes: encoded.bytes });
  return null;
}

function storedArgs(taskId: string, details: TaskDetails, settings: Settings, events: BackendEvent[]) {
  if (!settings.storeArgs || (details.args === undefined && details.kwargs === undefined)) return { args: null, kwargs: null };
  const name = details.name ?? null;
  const { args, kwargs } = settings.redactArgs
    ? settings.redactArgs({ taskId, name, args: details.args, kwargs: details.kwargs })
    : details;
  return { args: argsJson('args', args, taskId, settings, events), kwargs: argsJson('kwargs', kwargs, taskId, settings, events) };
}

function childrenJson(children: unknown, maxBytes: number): string | null {
  if (children === undefined) return null;
  if (!Array.isArray(children)) throw new InvalidArgumentError(`children must be an array, got ${describe(children)}`);
  const encoded = encodeJson({ children }, 'meta', maxBytes);
  if (!encoded.ok) {
    throw new InvalidArgumentError(encoded.problem === 'unserialisable' ? encoded.message : 'children are over maxResultBytes');
  }
  return encoded.json;
}

interface StoredResult {
  status: string;
  result: string;
  error: PrismaCeleryError | null;
}

/**
 * The result column. A result that cannot be stored is replaced by an
 * exception saying why (JSON is never cut): a SUCCESS becomes FAILURE, as a
 * Celery worker does on an EncodeError, so a waiter is told; other states
 * keep their state with the exception as their meta.
 */
function storedResult(taskId: string, state: string, result: unknown, maxBytes: number): StoredResult {
  const exceptional = EXCEPTION_STATES.has(state);
  const value = exceptional ? encodeException(result) : (result ?? null);
  const encoded = encodeJson(value, exceptional ? 'exception' : 'result', maxBytes);
  if (encoded.ok) return { status: state, result: encoded.json, error: null };

  let info: ExceptionInfo;
  let error: PrismaCeleryError;
  if (encoded.problem === 'unserialisable') {
    const message = `task ${taskId}: ${encoded.message}`;
    info = encodeErrorException(message);
    error = new ResultEncodeError(taskId, message);
  } else {
    error = new ResultTooLargeError(taskId, encoded.bytes, maxBytes);
    info = resultTooLargeException(error.message);
  }
  return { status: state === SUCCESS ? FAILURE : state, result: JSON.stringify(info), error };
}

/** Checks everything (throwing before any write) and builds the row to upsert. */
export function buildWrite(
  taskId: unknown,
  state: unknown,
  result: unknown,
  details: TaskDetails,
  settings: Settings,
  now: Date,
): BuiltWrite {
  const id = checkId('task', taskId);
  const status = checkState(state);
  if (typeof details !== 'object' || details === null) throw new InvalidArgumentError('task details must be an object');
  const events: BackendEvent[] = [];
  const name = optionalText('name', details.name);
  const worker = optionalText('worker', details.worker);
  const queue = optionalText('queue', details.queue);
  const retries = optionalRetries(details.retries);
  const dateStarted = optionalDate('dateStarted', details.dateStarted);
  if (details.traceback !== undefined && details.traceback !== null && typeof details.traceback !== 'string') {
    throw new InvalidArgumentError(`traceback must be a string, got ${describe(details.traceback)}`);
  }
  const meta = childrenJson(details.children, settings.maxResultBytes);
  const { args, kwargs } = storedArgs(id, details, settings, events);
  const stored = storedResult(id, status, result, settings.maxResultBytes);
  const traceback = details.traceback ?? (EXCEPTION_STATES.has(status) ? tracebackOf(result) : null);
  return {
    write: {
      taskId: id,
      status: stored.status,
      result: stored.result,
      traceback: traceback === null ? null : capText(withoutNul(traceback), settings.maxResultBytes),
      meta,
      dateDone: now,
      name,
      args,
      kwargs,
      worker,
      queue,
      retries,
      dateStarted,
    },
    error: stored.error,
    events,
  };
}
