/**
 * djcelery.views.apply: send a task by name with keyword arguments from
 * the request, answering `{"ok": "true", "task_id": ...}`. Off unless the
 * app names the tasks it may send; any other name is 404, as the seed's
 * "apply: no such task".
 */
import { hostname } from 'node:os';
import { buildTaskMessage, ProtocolError, type TaskMessage } from '../../core/protocol/index.js';
import { PrismaCeleryError } from '../../errors.js';
import { readKwargs } from '../http/body.js';
import { HttpError, json } from '../http/responses.js';

/** What the views need of a TaskPublisher (started by the caller). */
export interface Publisher {
  publish(message: TaskMessage): Promise<void>;
}

export interface ApplyOptions {
  /** The only task names the apply route sends; an empty list sends none. */
  allow: readonly string[];
  /** Queue the tasks go to. Default Celery's `celery`. */
  queue?: string;
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
  if (!context.allowed.has(name)) throw new HttpError(404, 'apply: no such task');
  if (context.publisher === undefined) throw new HttpError(503, 'apply: no broker is configured to send tasks');
  const kwargs = await readKwargs(request, context.maxBodyBytes);
  let message: TaskMessage;
  try {
    message = buildTaskMessage({ task: name, args: [], kwargs, queue: context.queue, origin: defaultOrigin() }, context.now());
  } catch (error) {
    if (error instanceof ProtocolError) throw new HttpError(400, `apply: ${error.message}`);
    throw error;
  }
  await sendOrFail(context.publisher, message);
  return json({ ok: 'true', task_id: message.id });
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
