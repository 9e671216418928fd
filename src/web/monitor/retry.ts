/**
 * Sends a failed task again: the same name, args, kwargs and queue as the
 * result backend stored them (celery_taskmeta, with Celery's
 * result_extended), under a new id, and links the two in celery_taskretry.
 * The link is its own row because the new task's rows are the worker's and
 * the camera's to write, replace and prune, and do not exist yet when it is
 * sent.
 */
import type { PrismaResultBackend } from '../../backend/index.js';
import { buildTaskMessage } from '../../core/protocol/index.js';
import type { Database } from '../../db/open.js';
import { HttpError } from '../http/responses.js';
import { defaultOrigin, sendOrFail, type Publisher } from '../views/apply.js';

export interface RetryContext {
  readonly database: Database;
  readonly backend: PrismaResultBackend;
  readonly publisher: Publisher | undefined;
  /** Queue for a result that names none: the default queue. */
  readonly queue: string | undefined;
  readonly now: () => Date;
}

export interface Retried {
  taskId: string;
  retryOf: string;
  name: string;
  queue: string | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export async function retryTask(context: RetryContext, taskId: string): Promise<Retried> {
  if (context.publisher === undefined) throw new HttpError(503, 'retry: no broker is configured to send tasks');
  const record = await context.backend.getTask(taskId);
  if (record === null) throw new HttpError(404, `retry: no result is stored for task ${JSON.stringify(taskId)}`);
  if (record.status !== 'FAILURE') throw new HttpError(409, `retry: only a failed task is sent again; ${taskId} is ${record.status}`);
  const { name, args, kwargs } = record;
  if (name === null || !Array.isArray(args) || !isRecord(kwargs)) {
    throw new HttpError(409, `retry: task ${taskId} was stored without its name and arguments; workers store them with result_extended = True`);
  }
  const queue = record.queue ?? context.queue;
  const message = buildTaskMessage({ task: name, args, kwargs, ...(queue === undefined ? {} : { queue }), origin: defaultOrigin() }, context.now());
  // Linked before it is sent, so the page can tell the new task for what it is from its first event.
  const link = await context.database.prisma.taskRetry.create({ data: { taskId: message.id, retryOf: taskId, dateSent: context.now() } });
  try {
    await sendOrFail(context.publisher, message);
  } catch (error) {
    await context.database.prisma.taskRetry.delete({ where: { id: link.id } }).catch(() => {});
    throw error;
  }
  return { taskId: message.id, retryOf: taskId, name, queue };
}

export interface RetryLinks {
  /** The task this one sends again, when it was sent from the monitor's retry. */
  retryOf: string | null;
  /** The tasks sent again from this one, oldest first. */
  retriedAs: string[];
}

export async function retryLinks(database: Database, taskId: string): Promise<RetryLinks> {
  const [origin, copies] = await Promise.all([
    database.prisma.taskRetry.findUnique({ where: { taskId }, select: { retryOf: true } }),
    database.prisma.taskRetry.findMany({ where: { retryOf: taskId }, orderBy: { id: 'asc' }, select: { taskId: true } }),
  ]);
  return { retryOf: origin?.retryOf ?? null, retriedAs: copies.map((copy) => copy.taskId) };
}
