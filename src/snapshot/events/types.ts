/**
 * The events Celery workers and clients publish on `celeryev`, as they
 * arrive (tests/fixtures/README.md, Events). Field names stay snake_case: they are
 * the wire format. Every type-specific field may be absent or null, because
 * Python sends None freely (celery-node tasks give `result: null`).
 */

/** Fields every event carries. */
export interface EventCommon {
  /** Sender's nodename, e.g. `w1@vm`, or `gen<pid>@host` for a client. */
  hostname: string;
  /** Float epoch seconds from the sender's `time.time()`: an absolute instant. */
  timestamp: number;
  /**
   * Hours WEST of UTC (`time.timezone // 3600`, floored): Berlin -1, New York 5.
   * Celery's receiver shifts `timestamp` by it; we keep the raw instant.
   */
  utcoffset?: number;
  pid?: number;
  /** The sender's Lamport clock; only comparable between events of one sender. */
  clock?: number;
}

export interface WorkerEvent extends EventCommon {
  type: 'worker-online' | 'worker-heartbeat' | 'worker-offline';
  /** Seconds between heartbeats; the reply to a `heartbeat` broadcast sends int 5. */
  freq?: number | null;
  /** Absent from the reply to a `heartbeat` broadcast, like `processed` and `loadavg`. */
  active?: number | null;
  processed?: number | null;
  loadavg?: number[] | null;
  sw_ident?: string | null;
  sw_ver?: string | null;
  sw_sys?: string | null;
}

interface TaskEventCommon extends EventCommon {
  uuid: string;
}

/** What task-sent and task-received both describe: the request. `args`/`kwargs` are Python reprs. */
interface TaskRequestFields {
  name?: string | null;
  /** Python repr, e.g. `(2, 3)`; empty for tasks sent without argsrepr (celery-node). */
  args?: string | null;
  /** Python repr, e.g. `{'k': 'v'}`. */
  kwargs?: string | null;
  retries?: number | null;
  /** ISO 8601, with the client's offset or naive (meaning UTC). */
  eta?: string | null;
  expires?: string | null;
  root_id?: string | null;
  parent_id?: string | null;
}

/** Published by the client (or a worker's pool child on retry), never batched. */
export interface TaskSentEvent extends TaskEventCommon, TaskRequestFields {
  type: 'task-sent';
  queue?: string | null;
  exchange?: string | null;
  routing_key?: string | null;
}

export interface TaskReceivedEvent extends TaskEventCommon, TaskRequestFields {
  type: 'task-received';
}

export interface TaskStartedEvent extends TaskEventCommon {
  type: 'task-started';
}

export interface TaskSucceededEvent extends TaskEventCommon {
  type: 'task-succeeded';
  /** Python repr of the return value, e.g. `5`. */
  result?: string | null;
  /** Seconds. */
  runtime?: number | null;
}

export interface TaskFailedEvent extends TaskEventCommon {
  type: 'task-failed';
  /** Python repr, e.g. `ValueError('boom')`. */
  exception?: string | null;
  traceback?: string | null;
}

export interface TaskRetriedEvent extends TaskEventCommon {
  type: 'task-retried';
  exception?: string | null;
  traceback?: string | null;
}

export interface TaskRevokedEvent extends TaskEventCommon {
  type: 'task-revoked';
  terminated?: boolean | null;
  signum?: number | null;
  /** True when the worker dropped the task because it had expired. */
  expired?: boolean | null;
}

export interface TaskRejectedEvent extends TaskEventCommon {
  type: 'task-rejected';
  requeue?: boolean | null;
}

export type TaskEvent =
  | TaskSentEvent
  | TaskReceivedEvent
  | TaskStartedEvent
  | TaskSucceededEvent
  | TaskFailedEvent
  | TaskRetriedEvent
  | TaskRevokedEvent
  | TaskRejectedEvent;

export type CeleryEvent = WorkerEvent | TaskEvent;
export type CeleryEventType = CeleryEvent['type'];

export function isWorkerEvent(event: CeleryEvent): event is WorkerEvent {
  return event.type === 'worker-heartbeat' || event.type === 'worker-online' || event.type === 'worker-offline';
}

export type FieldKind = 'string' | 'number' | 'boolean' | 'numbers';

type KindOf<V> = V extends string ? 'string' : V extends boolean ? 'boolean' : V extends number ? 'number' : V extends readonly number[] ? 'numbers' : never;

/** For one event type: the JSON kind of each type-specific field. */
type FieldKinds<E> = { readonly [K in Exclude<keyof E, keyof TaskEventCommon | 'type'>]-?: KindOf<NonNullable<E[K]>> };

const REQUEST_FIELDS = {
  name: 'string',
  args: 'string',
  kwargs: 'string',
  retries: 'number',
  eta: 'string',
  expires: 'string',
  root_id: 'string',
  parent_id: 'string',
} as const;

const WORKER_FIELDS: FieldKinds<WorkerEvent> = {
  freq: 'number',
  active: 'number',
  processed: 'number',
  loadavg: 'numbers',
  sw_ident: 'string',
  sw_ver: 'string',
  sw_sys: 'string',
};

/**
 * The runtime mirror of the interfaces above, checked against them by the
 * compiler, so decoding can promise the types it returns.
 */
export const EVENT_FIELDS: { readonly [E in CeleryEvent as E['type']]: FieldKinds<E> } = {
  'worker-online': WORKER_FIELDS,
  'worker-heartbeat': WORKER_FIELDS,
  'worker-offline': WORKER_FIELDS,
  'task-sent': { ...REQUEST_FIELDS, queue: 'string', exchange: 'string', routing_key: 'string' },
  'task-received': REQUEST_FIELDS,
  'task-started': {},
  'task-succeeded': { result: 'string', runtime: 'number' },
  'task-failed': { exception: 'string', traceback: 'string' },
  'task-retried': { exception: 'string', traceback: 'string' },
  'task-revoked': { terminated: 'boolean', signum: 'number', expired: 'boolean' },
  'task-rejected': { requeue: 'boolean' },
};
