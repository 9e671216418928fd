import { randomUUID } from 'node:crypto';
import { ProtocolError } from './errors.js';
import { checkHeaderName, headerValue, int32Header, type AmqpInt, type HeaderValue } from './header-values.js';
import { parseIsoInstant, pythonIsoformat } from './iso-time.js';
import { assertJsonValue, type JsonObject, type JsonValue } from './json-value.js';
import { pythonJsonDumps } from './python-json.js';
import { resolveDestination } from './routing.js';
import { saferepr } from './saferepr.js';

/** What to send; the names follow Celery's apply_async/send_task options. */
export interface TaskMessageOptions {
  /** Task name as the worker registered it, e.g. "tasks.add". Not empty. */
  task: string;
  /** Task id, also the correlation id. Default: a random UUID v4. */
  id?: string;
  /** Positional arguments: JSON values only. */
  args: readonly unknown[];
  /** Keyword arguments: a plain object of JSON values (never null). */
  kwargs: Readonly<Record<string, unknown>>;
  /** Earliest run time: a Date, or an ISO 8601 string sent as given (no offset = UTC). Not with countdown. */
  eta?: Date | string;
  /** Seconds from `now` to the earliest run time; 0 means no eta, as in Celery. Not with eta. */
  countdown?: number;
  /**
   * When the task expires: seconds from `now`, a Date, or an ISO 8601 string
   * sent as given. Sets the `expires` header and the AMQP `expiration`
   * (remaining ms) so RabbitMQ drops it too; "0" if already past, as Celery does.
   */
  expires?: Date | string | number;
  /** Queue to route to through the default exchange. Default "celery". Not with exchange/routingKey. */
  queue?: string;
  /** Exchange to publish to as is; needs routingKey. */
  exchange?: string;
  routingKey?: string;
  /** AMQP priority 0..255. Default 0, or no priority when `queue` is given (what Celery 5.2.6 sends). */
  priority?: number;
  /** Extra headers, sent after the standard ones. Integers must fit int32. */
  headers?: Readonly<Record<string, unknown>>;
  /** Default 0. */
  retries?: number;
  /** Hard time limit in seconds. Default none. */
  timeLimit?: number | null;
  /** Soft time limit in seconds. Default none. */
  softTimeLimit?: number | null;
  /** Default: the task id (a top-level task). */
  rootId?: string | null;
  parentId?: string | null;
  /** Group id of a group member. */
  group?: string | null;
  /** Name to show instead of `task` in logs and events. */
  shadow?: string | null;
  /** The producer's node name, "gen<pid>@<hostname>" in Celery. */
  origin: string;
  /** Reply queue for rpc:// results. Default "" (no reply queue). */
  replyTo?: string;
  /** Default false. */
  ignoreResult?: boolean;
  /** Text shown for the args in events and logs. Default: Celery's saferepr of args (list form). */
  argsrepr?: string;
  /** Default: Celery's saferepr of kwargs. */
  kwargsrepr?: string;
}

/** The protocol-2 headers, in the order Celery 5.2.6 sends them; custom headers follow. */
export interface TaskHeaders {
  lang: 'py';
  task: string;
  id: string;
  shadow: string | null;
  eta: string | null;
  expires: string | null;
  group: string | null;
  group_index: null;
  retries: AmqpInt;
  timelimit: [HeaderValue, HeaderValue];
  root_id: string;
  parent_id: string | null;
  argsrepr: string;
  kwargsrepr: string;
  origin: string;
  ignore_result: boolean;
  [custom: string]: HeaderValue;
}

/** AMQP basic properties, named as amqplib's publish options. */
export interface TaskMessageProperties {
  contentType: 'application/json';
  contentEncoding: 'utf-8';
  deliveryMode: 2;
  priority?: number;
  correlationId: string;
  replyTo: string;
  expiration?: string;
  headers: TaskHeaders;
}

/** A task message ready for `channel.publish(exchange, routingKey, content, properties)`. */
export interface TaskMessage {
  id: string;
  exchange: string;
  routingKey: string;
  /** Queue to declare (declarationsFor) before the first publish; null for an explicit exchange. */
  queue: string | null;
  content: Buffer;
  properties: TaskMessageProperties;
}

const STANDARD_HEADERS: ReadonlySet<string> = new Set([
  'lang', 'task', 'id', 'shadow', 'eta', 'expires', 'group', 'group_index', 'retries',
  'timelimit', 'root_id', 'parent_id', 'argsrepr', 'kwargsrepr', 'origin', 'ignore_result',
]);

// No canvas: callbacks, errbacks, chains and chords are not built here.
const EMBED: JsonObject = { callbacks: null, errbacks: null, chain: null, chord: null };

/**
 * Builds a Celery protocol-2 JSON task message whose headers, properties and
 * body bytes are what Python Celery 5.2.6 sends for the same call (checked
 * against captured messages). `now` is the clock for countdown and expires.
 * Throws ProtocolError for input that has no faithful wire form.
 */
export function buildTaskMessage(options: TaskMessageOptions, now: Date): TaskMessage {
  if (!Number.isFinite(now.getTime())) throw new ProtocolError('now: invalid Date');
  const task = requiredString(options.task, 'task');
  const origin = requiredString(options.origin, 'origin');
  const id = options.id === undefined ? randomUUID() : requiredString(options.id, 'id');
  const { args, kwargs } = checkArguments(options);
  const destination = resolveDestination(options);
  const expiry = expiresOf(options.expires, now);

  const headers: TaskHeaders = {
    // lang names the language the message is for (protocol 2 lets a worker
    // pass a message on to one that speaks it). The body is args/kwargs for
    // a Python task, byte-identical to what Python's own client sends with
    // "py"; the 5.2.6 worker and celery-node both ignore the value, so "js"
    // would only mislabel the message for tools that do look.
    lang: 'py',
    task,
    id,
    shadow: optionalString(options.shadow, 'shadow'),
    eta: etaOf(options, now),
    expires: expiry?.header ?? null,
    group: optionalString(options.group, 'group'),
    // Celery 5.2.6 sends null here even for group members.
    group_index: null,
    retries: int32Header(nonNegative(options.retries ?? 0, 'retries'), 'retries'),
    timelimit: [timeLimit(options.timeLimit, 'timeLimit'), timeLimit(options.softTimeLimit, 'softTimeLimit')],
    // Celery: an empty root id means "this task is the root".
    root_id: optionalString(options.rootId, 'rootId') || id,
    parent_id: optionalString(options.parentId, 'parentId'),
    // Celery's `args or ()`: no arguments show as an empty tuple.
    argsrepr: optionalString(options.argsrepr, 'argsrepr') ?? (args.length === 0 ? '()' : saferepr(args)),
    kwargsrepr: optionalString(options.kwargsrepr, 'kwargsrepr') ?? saferepr(kwargs),
    origin,
    ignore_result: booleanOption(options.ignoreResult, 'ignoreResult'),
  };
  const custom: unknown = options.headers ?? {};
  if (typeof custom !== 'object' || custom === null || Array.isArray(custom)) throw new ProtocolError('headers must be an object');
  for (const [name, value] of Object.entries(custom)) {
    if (STANDARD_HEADERS.has(name)) throw new ProtocolError(`headers.${name}: set by the message itself; use the option instead`);
    checkHeaderName(name, 'headers');
    headers[name] = headerValue(value, `headers.${name}`);
  }

  const properties: TaskMessageProperties = {
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 2,
    correlationId: id,
    replyTo: options.replyTo === undefined ? '' : requiredString(options.replyTo, 'replyTo', true),
    headers,
  };
  const priority = priorityOf(options);
  if (priority !== undefined) properties.priority = priority;
  if (expiry) properties.expiration = expiry.expiration;

  return {
    id,
    ...destination,
    content: Buffer.from(pythonJsonDumps([args, kwargs, EMBED]), 'utf8'),
    properties,
  };
}

function checkArguments(options: TaskMessageOptions): { args: JsonValue[]; kwargs: JsonObject } {
  const args: unknown = options.args;
  const kwargs: unknown = options.kwargs;
  if (!Array.isArray(args)) throw new ProtocolError('args must be an array');
  // A Python worker refuses anything but a mapping ("Task keyword arguments
  // is not a mapping"), yet still reports the task as succeeded.
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
    throw new ProtocolError(`kwargs must be an object (got ${kwargs === null ? 'null' : Array.isArray(kwargs) ? 'an array' : typeof kwargs})`);
  }
  assertJsonValue(args, 'args');
  assertJsonValue(kwargs, 'kwargs');
  return { args, kwargs: kwargs as JsonObject };
}

function etaOf(options: TaskMessageOptions, now: Date): string | null {
  const { eta, countdown } = options;
  if (countdown !== undefined) {
    if (eta !== undefined) throw new ProtocolError('give eta or countdown, not both');
    if (countdown === 0) return null;
    return pythonIsoformat(new Date(now.getTime() + seconds(countdown, 'countdown') * 1000), 'countdown');
  }
  if (eta === undefined) return null;
  if (typeof eta === 'string') {
    parseIsoInstant(eta, 'eta');
    return eta;
  }
  return pythonIsoformat(eta, 'eta');
}

function expiresOf(expires: TaskMessageOptions['expires'], now: Date): { header: string; expiration: string } | null {
  if (expires === undefined) return null;
  let header: string;
  let remainingMs: number;
  if (typeof expires === 'number') {
    // Celery: header from the clock, TTL straight from the seconds given.
    remainingMs = Math.trunc(seconds(expires, 'expires') * 1000);
    header = pythonIsoformat(new Date(now.getTime() + remainingMs), 'expires');
  } else if (typeof expires === 'string') {
    remainingMs = parseIsoInstant(expires, 'expires') - now.getTime();
    header = expires;
  } else {
    header = pythonIsoformat(expires, 'expires');
    remainingMs = expires.getTime() - now.getTime();
  }
  // RabbitMQ refuses a negative TTL; 0 lets a waiting consumer still take
  // it, and the worker then records it as revoked (expired) instead of the
  // broker dropping it unseen. Celery 5.2.6 does the same.
  return { header, expiration: String(Math.max(0, remainingMs)) };
}

function priorityOf(options: TaskMessageOptions): number | undefined {
  const { priority } = options;
  if (priority === undefined) return options.queue === undefined ? 0 : undefined;
  if (!Number.isInteger(priority) || priority < 0 || priority > 255) {
    throw new ProtocolError(`priority must be an integer from 0 to 255 (got ${priority})`);
  }
  return priority;
}

function timeLimit(value: number | null | undefined, what: string): HeaderValue {
  if (value === undefined || value === null) return null;
  return headerValue(nonNegative(value, what), what);
}

function seconds(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new ProtocolError(`${what} must be a finite number of seconds`);
  return value;
}

function nonNegative(value: number, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ProtocolError(`${what} must be a number of at least 0 (got ${String(value)})`);
  }
  return value;
}

function requiredString(value: unknown, what: string, emptyAllowed = false): string {
  if (typeof value !== 'string' || (!emptyAllowed && value === '')) {
    throw new ProtocolError(`${what} must be a${emptyAllowed ? '' : ' non-empty'} string`);
  }
  return value;
}

function optionalString(value: unknown, what: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new ProtocolError(`${what} must be a string or null`);
  return value;
}

function booleanOption(value: unknown, what: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new ProtocolError(`${what} must be a boolean`);
  return value;
}
