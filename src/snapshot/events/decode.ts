/**
 * One `celeryev` delivery's body → typed events. A body is one event object
 * or, for the worker's buffered task events (`task.multi`), an array of them
 * (celery.events.receiver.EventReceiver._receive accepts both). Bad input is
 * reported as problems next to the good events, never thrown: one malformed
 * event must not cost the camera the rest of a batch, nor its consumer.
 */
import { EVENT_FIELDS, type CeleryEvent, type FieldKind } from './types.js';

export type DecodeProblemReason =
  | 'unsupported-content-type'
  | 'unsupported-encoding'
  | 'malformed-envelope'
  | 'malformed-json'
  | 'not-an-object'
  | 'missing-type'
  | 'unknown-type'
  | 'invalid-field';

export interface DecodeProblem {
  reason: DecodeProblemReason;
  /** Position in an array body; null when the problem is the body itself or a single-object body. */
  index: number | null;
  /** Human-readable, for logs. */
  detail: string;
}

export interface DecodedBody {
  events: CeleryEvent[];
  problems: DecodeProblem[];
}

/** What says how to read the body: the AMQP properties, or the kombu envelope's fields on Redis. */
export interface BodyFormat {
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
}

const FIELD_CHECKS = new Map<string, readonly (readonly [string, FieldKind])[]>(
  Object.entries(EVENT_FIELDS).map(([type, kinds]) => [type, Object.entries(kinds) as [string, FieldKind][]]),
);

const COMMON_NUMBERS = ['utcoffset', 'pid', 'clock'] as const;

export function decodeEvents(body: Buffer | string, format: BodyFormat = {}): DecodedBody {
  const events: CeleryEvent[] = [];
  const problems: DecodeProblem[] = [];
  const { contentType, contentEncoding } = format;
  // Events are JSON unless a deployment changed event_serializer; no content type at all is read as JSON too.
  if (contentType !== undefined && contentType !== 'application/json') {
    problems.push({ reason: 'unsupported-content-type', index: null, detail: `content type ${contentType} is not application/json` });
    return { events, problems };
  }
  if (contentEncoding !== undefined && !/^utf-?8$/i.test(contentEncoding)) {
    problems.push({ reason: 'unsupported-encoding', index: null, detail: `content encoding ${contentEncoding} is not utf-8` });
    return { events, problems };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof body === 'string' ? body : body.toString('utf8'));
  } catch (error) {
    problems.push({ reason: 'malformed-json', index: null, detail: (error as Error).message });
    return { events, problems };
  }
  if (Array.isArray(parsed)) {
    for (let i = 0; i < parsed.length; i++) collect(parsed[i], i, events, problems);
  } else {
    collect(parsed, null, events, problems);
  }
  return { events, problems };
}

function collect(value: unknown, index: number | null, events: CeleryEvent[], problems: DecodeProblem[]): void {
  const problem = check(value);
  if (problem === null) events.push(value as CeleryEvent);
  else problems.push({ reason: problem[0], index, detail: problem[1] });
}

/** Why `value` is not a CeleryEvent, or null if it is one. */
function check(value: unknown): [DecodeProblemReason, string] | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return ['not-an-object', `expected an event object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`];
  }
  const event = value as Record<string, unknown>;
  const type = event.type;
  if (typeof type !== 'string') return ['missing-type', 'event has no string "type"'];
  const checks = FIELD_CHECKS.get(type);
  if (checks === undefined) return ['unknown-type', `unknown event type ${JSON.stringify(type)}`];
  if (typeof event.hostname !== 'string') return invalid(event, '"hostname" must be a string');
  if (typeof event.timestamp !== 'number' || !Number.isFinite(event.timestamp)) {
    return invalid(event, '"timestamp" must be a number (epoch seconds)');
  }
  if (type.startsWith('task-') && typeof event.uuid !== 'string') return invalid(event, '"uuid" must be a string');
  for (const field of COMMON_NUMBERS) {
    const v = event[field];
    if (v !== undefined && typeof v !== 'number') return invalid(event, `"${field}" must be a number`);
  }
  for (const [field, kind] of checks) {
    const v = event[field];
    if (v !== undefined && v !== null && !hasKind(v, kind)) {
      return invalid(event, `"${field}" must be ${kind === 'numbers' ? 'an array of numbers' : `a ${kind}`} or null`);
    }
  }
  return null;
}

function hasKind(value: unknown, kind: FieldKind): boolean {
  if (kind === 'numbers') return Array.isArray(value) && value.every((n) => typeof n === 'number');
  return typeof value === kind;
}

function invalid(event: Record<string, unknown>, why: string): [DecodeProblemReason, string] {
  const what = typeof event.uuid === 'string' ? `${String(event.type)} ${event.uuid}` : String(event.type);
  return ['invalid-field', `${what}: ${why}`];
}
