/**
 * djcelery.views.apply: send a task by name, answering
 * `{"ok": "true", "task_id": ...}`. Off unless the app names the tasks it
 * may send; any other name is 403.
 *
 * The request is either djcelery's, keyword arguments only (the query
 * string, then a JSON object or form body over it), or a JSON body with
 * `args` or `kwargs` and Celery's apply_async options:
 *   {"args": [2, 3], "kwargs": {}, "queue": "…", "routing_key": "…",
 *    "countdown": 10, "eta": "…", "expires": 60, "priority": 5}
 * (the query string's values are then keyword arguments too), which is
 * what a task with positional arguments, as celery-node's are, needs.
 */
import { hostname } from 'node:os';
import { buildTaskMessage, ProtocolError, type TaskMessage, type TaskMessageOptions } from '../../core/protocol/index.js';
import { PrismaCeleryError } from '../../errors.js';
import { readFields } from '../http/body.js';
import { HttpError, json } from '../http/responses.js';

/** What the views need of a TaskPublisher (started by the caller). */
export interface Publisher {
  publish(message: TaskMessage): Promise<void>;
}

export interface ApplyOptions {
  /** The only task names the apply route sends; an empty list sends none. */
  allow: readonly string[];
  /**
   * Queue for a request that names none: the queue your workers consume by
   * default (Celery's task_default_queue, celery-node's CELERY_QUEUE).
   * Default Celery's `celery`.
   */
  queue?: string;
  /**
   * djcelery's open apply: GET as well as POST, and without a token when
   * none is set. Any web page a user of the handler visits can then send
   * these tasks (a link, an image, a form), so only for a handler no
   * browser reaches. Default false: apply takes POST with the token.
   */
  unsafeOpen?: boolean;
}

/** Celery's producer name for a client process, `gen<pid>@<host>`, shown by monitors as the sender. */
export const defaultOrigin = (): string => `gen${process.pid}@${hostname()}`;

export interface ApplyContext {
  readonly allowed: ReadonlySet<string>;
  readonly queue: string | undefined;
  readonly publisher: Publisher | undefined;
  readonly maxBodyBytes: number;
  readonly now: () => Date;
}

export async function applyTask(context: ApplyContext, request: Request, name: string): Promise<Response> {
  if (!context.allowed.has(name)) throw new HttpError(403, `apply: ${JSON.stringify(name)} is not in the allow-list`);
  if (context.publisher === undefined) throw new HttpError(503, 'apply: no broker is configured to send tasks');
  const { queue, routingKey, ...call } = await readCall(request, context.maxBodyBytes);
  // A routing key alone goes through the default exchange to the queue of that name, as a periodic task's does.
  const route = queue === undefined && routingKey !== undefined ? { exchange: '', routingKey } : { queue: queue ?? context.queue };
  let message: TaskMessage;
  try {
    message = buildTaskMessage({ task: name, ...call, ...route, origin: defaultOrigin() }, context.now());
  } catch (error) {
    if (error instanceof ProtocolError) throw new HttpError(400, `apply: ${error.message}`);
    throw error;
  }
  await sendOrFail(context.publisher, message);
  return json({ ok: 'true', task_id: message.id });
}

const FIELDS = ['args', 'kwargs', 'queue', 'routing_key', 'countdown', 'eta', 'expires', 'priority'];
const FORMS = `send {${FIELDS.join(', ')}} as JSON, or keyword arguments only`;

type Call = Pick<TaskMessageOptions, 'args' | 'kwargs' | 'queue' | 'routingKey' | 'countdown' | 'eta' | 'expires' | 'priority'>;

/** The task call a request asks for, in either form. */
async function readCall(request: Request, maxBytes: number): Promise<Call> {
  const { query, body, json: isJson } = await readFields(request, maxBytes);
  if (!isJson || !('args' in body || 'kwargs' in body)) return { args: [], kwargs: { ...query, ...body } };
  const unknown = Object.keys(body).filter((key) => !FIELDS.includes(key));
  if (unknown.length > 0) throw new HttpError(400, `apply: unknown field ${unknown.map((key) => JSON.stringify(key)).join(', ')}: ${FORMS}`);
  const { args = [], kwargs = {}, queue, routing_key: routingKey, countdown, eta, expires, priority } = body;
  if (!Array.isArray(args)) throw new HttpError(400, 'apply: args must be a JSON list, e.g. [2, 3]');
  if (typeof kwargs !== 'object' || kwargs === null || Array.isArray(kwargs)) {
    throw new HttpError(400, 'apply: kwargs must be a JSON object, e.g. {"x": 1}');
  }
  if (queue !== undefined && routingKey !== undefined && queue !== routingKey) {
    throw new HttpError(400, 'apply: routing_key goes through the default exchange to the queue of that name: give it or queue, not both');
  }
  return {
    args,
    kwargs: { ...query, ...kwargs },
    queue: typed(queue, 'queue', 'string', 'a queue name'),
    routingKey: typed(routingKey, 'routing_key', 'string', 'a routing key'),
    countdown: typed(countdown, 'countdown', 'number', 'seconds'),
    eta: typed(eta, 'eta', 'string', 'an ISO 8601 time'),
    expires: typeof expires === 'number' ? expires : typed(expires, 'expires', 'string', 'seconds or an ISO 8601 time'),
    priority: typed(priority, 'priority', 'number', 'a whole number from 0 to 255'),
  };
}

function typed<T extends 'string' | 'number'>(value: unknown, field: string, type: T, what: string): (T extends 'string' ? string : number) | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) throw new HttpError(400, `apply: ${field} must be ${what}, got ${JSON.stringify(value)}`);
  return value as T extends 'string' ? string : number;
}

/** Publishes, turning a broker failure into 502 (the broker, not this request, is at fault). */
export async function sendOrFail(publisher: Publisher, message: TaskMessage): Promise<void> {
  try {
    await publisher.publish(message);
  } catch (error) {
    if (error instanceof PrismaCeleryError) throw new HttpError(502, `the broker did not take the task: ${error.message}`);
    throw error;
  }
}
