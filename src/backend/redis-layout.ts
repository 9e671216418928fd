/**
 * Celery's Redis result backend layout (celery.backends.redis with
 * base.KeyValueStoreBackend), as plain data: a task's meta is JSON under
 * `celery-task-meta-<id>` and PUBLISHed on a channel of that same name; a
 * saved group is `{"result": <GroupResult.as_tuple()>}` under
 * `celery-taskset-meta-<id>`. A task's JSON holds status, result,
 * traceback, children, date_done (ISO 8601 once ready, else null),
 * group_id/parent_id when the task has them, the result_extended fields
 * (name, args, kwargs, worker, retries, queue) and task_id. We add
 * `date_started` when a store gives one (Celery ignores keys it does not
 * know) and `date_done` to a group. Python writes dates naive, in UTC.
 * Also the precedence guard on a stored value. Pure.
 */
import { READY_STATES } from '../core/states.js';
import type { BackendGroupRecord, BackendTaskRecord } from './contract.js';
import { StoredDataError } from './errors.js';
import { replaces, type TaskWrite } from './guard.js';
import type { TaskMeta } from './meta.js';

export const TASK_KEY_PREFIX = 'celery-task-meta-';
export const GROUP_KEY_PREFIX = 'celery-taskset-meta-';

export const taskKey = (taskId: string): string => `${TASK_KEY_PREFIX}${taskId}`;
export const groupKey = (groupId: string): string => `${GROUP_KEY_PREFIX}${groupId}`;

/** The task id a channel (a task key) names; undefined for any other channel. */
export const taskIdOfChannel = (channel: string): string | undefined =>
  channel.startsWith(TASK_KEY_PREFIX) ? channel.slice(TASK_KEY_PREFIX.length) : undefined;

/** A stored task's meta, decoded: the JSON object as written. */
export type StoredMeta = Record<string, unknown>;

/** Kept from the stored value when a write that wins has none of its own: what other writers knew about the run. */
type Carried = 'group_id' | 'parent_id' | 'name' | 'args' | 'kwargs' | 'worker' | 'retries' | 'queue' | 'date_started';
/** Celery's result_extended fields, written together. */
const EXTENDED = ['name', 'args', 'kwargs', 'worker', 'retries', 'queue'] as const;

/** The JSON text of each descriptive field a write carries (absent: the write does not know it). */
function descriptiveJson(write: TaskWrite): Partial<Record<Carried, string>> {
  const text = (value: string | number | null): string | undefined => (value === null ? undefined : JSON.stringify(value));
  const fields = {
    name: text(write.name),
    args: write.args ?? undefined,
    kwargs: write.kwargs ?? undefined,
    worker: text(write.worker),
    retries: text(write.retries),
    queue: text(write.queue),
    date_started: text(write.dateStarted?.toISOString() ?? null),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

const childrenJson = (meta: string | null): string => {
  const children = meta === null ? undefined : (JSON.parse(meta) as { children?: unknown }).children;
  return JSON.stringify(Array.isArray(children) ? children : []);
};

/**
 * The JSON a write stores, as Celery writes it; descriptive fields the
 * write lacks come from `carried` (the value it replaces). Built from the
 * write's JSON texts, so a result is stored exactly as encoded.
 */
export function encodeTask(write: TaskWrite, carried: StoredMeta | null = null): string {
  const own = descriptiveJson(write);
  const field = (name: Carried): string | undefined =>
    own[name] ?? (carried !== null && carried[name] !== undefined && carried[name] !== null ? JSON.stringify(carried[name]) : undefined);
  const parts: [string, string][] = [
    ['status', JSON.stringify(write.status)],
    ['result', write.result ?? 'null'],
    ['traceback', JSON.stringify(write.traceback)],
    ['children', childrenJson(write.meta)],
    ['date_done', READY_STATES.has(write.status) ? JSON.stringify(write.dateDone.toISOString()) : 'null'],
  ];
  for (const name of ['group_id', 'parent_id'] as const) {
    const value = field(name);
    if (value !== undefined) parts.push([name, value]);
  }
  if (EXTENDED.some((name) => field(name) !== undefined)) for (const name of EXTENDED) parts.push([name, field(name) ?? 'null']);
  const started = field('date_started');
  if (started !== undefined) parts.push(['date_started', started]);
  parts.push(['task_id', JSON.stringify(write.taskId)]);
  return `{${parts.map(([name, value]) => `${JSON.stringify(name)}: ${value}`).join(', ')}}`;
}

/**
 * What the key holds after `write`, given what it holds now (null: nothing),
 * or null when the write changes nothing. The guard of the SQL backend:
 * a write whose state does not replace the stored one (a late STARTED after
 * SUCCESS) only fills in descriptive fields the stored value lacks.
 */
export function nextValue(current: StoredMeta | null, write: TaskWrite): string | null {
  if (current === null) return encodeTask(write);
  const status = typeof current.status === 'string' ? current.status : '';
  if (replaces(write.status, status)) return encodeTask(write, current);
  const updated: StoredMeta = { ...current };
  let changed = false;
  for (const [name, json] of Object.entries(descriptiveJson(write))) {
    if (current[name] !== undefined && current[name] !== null) continue;
    updated[name] = JSON.parse(json) as unknown;
    changed = true;
  }
  return changed ? JSON.stringify(updated) : null;
}

/** A stored value as an object; anything else (another serializer's bytes) is a StoredDataError. */
export function decodeStored(what: string, value: Buffer): StoredMeta {
  let decoded: unknown;
  try {
    decoded = JSON.parse(value.toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (typeof decoded !== 'object' || decoded === null || Array.isArray(decoded)) {
    throw new StoredDataError(`${what}: the stored value is not Celery's JSON (the writer's result_serializer must be json)`);
  }
  return decoded as StoredMeta;
}

/** An ISO 8601 date; one without a zone (as Python writes them) is UTC. */
function dateOf(value: unknown): Date | null {
  if (typeof value !== 'string') return null;
  const date = new Date(/(?:Z|[+-]\d\d:?\d\d)$/i.test(value) ? value : `${value}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

const textOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function statusOf(taskId: string, stored: StoredMeta): string {
  if (typeof stored.status !== 'string') throw new StoredDataError(`task ${taskId}: the stored meta has no status`);
  return stored.status;
}

export function metaFromStored(taskId: string, stored: StoredMeta): TaskMeta {
  const status = statusOf(taskId, stored);
  const done = READY_STATES.has(status) ? dateOf(stored.date_done) : null;
  return {
    task_id: taskId,
    status,
    result: stored.result ?? null,
    traceback: textOrNull(stored.traceback),
    children: Array.isArray(stored.children) ? stored.children : [],
    date_done: done?.toISOString() ?? null,
  };
}

export function recordFromStored(taskId: string, stored: StoredMeta): BackendTaskRecord {
  const meta = metaFromStored(taskId, stored);
  return {
    taskId,
    status: meta.status,
    result: meta.result,
    traceback: meta.traceback,
    children: meta.children,
    dateDone: meta.date_done === null ? null : new Date(meta.date_done),
    name: textOrNull(stored.name),
    args: stored.args ?? null,
    kwargs: stored.kwargs ?? null,
    worker: textOrNull(stored.worker),
    queue: textOrNull(stored.queue),
    retries: typeof stored.retries === 'number' ? stored.retries : null,
    dateCreated: null,
    dateStarted: dateOf(stored.date_started),
  };
}

/** A group as Celery saves it: GroupResult.as_tuple() — ((id, parent), [((task id, parent), None), …]). */
export const encodeGroup = (groupId: string, taskIds: readonly string[], now: Date): string =>
  JSON.stringify({ result: [[groupId, null], taskIds.map((id) => [[id, null], null])], date_done: now.toISOString() });

/** A saved group's member ids (a member that is itself a group counts by its id, as Celery's result_from_tuple reads it). */
export function decodeGroup(groupId: string, value: Buffer): BackendGroupRecord {
  const stored = decodeStored(`group ${groupId}`, value);
  const nodes = Array.isArray(stored.result) ? (stored.result[1] as unknown) : undefined;
  const ids = Array.isArray(nodes) ? nodes.map(memberId) : [];
  if (!Array.isArray(nodes) || !ids.every((id): id is string => typeof id === 'string')) {
    throw new StoredDataError(`group ${groupId}: the stored value is not a saved GroupResult`);
  }
  return { groupId, taskIds: ids, dateDone: dateOf(stored.date_done) };
}

function memberId(node: unknown): unknown {
  const head = Array.isArray(node) ? (node[0] as unknown) : undefined;
  return Array.isArray(head) ? head[0] : head;
}
