/**
 * djcelery.views.task_status and is_task_successful, read through the
 * result backend, so an unknown or expired id answers PENDING as Celery's
 * AsyncResult does.
 */
import type { ResultBackend } from '../../backend/contract.js';
import { EXCEPTION_STATES, SUCCESS } from '../../core/states.js';
import { json } from '../http/responses.js';
import { exceptionClassName, exceptionRepr } from './exception.js';

/** `{"task": {"id", "status", "result"}}`, plus `exc` and `traceback` for RETRY, FAILURE and REVOKED. */
export async function taskStatus(backend: Pick<ResultBackend, 'getTaskMeta'>, taskId: string): Promise<Response> {
  const meta = await backend.getTaskMeta(taskId);
  const task: Record<string, unknown> = { id: taskId, status: meta.status, result: meta.result };
  if (EXCEPTION_STATES.has(meta.status)) {
    task.result = exceptionRepr(meta.result);
    task.exc = exceptionClassName(meta.result);
    task.traceback = meta.traceback;
  }
  return json({ task });
}

/** `{"task": {"id", "executed": true|false}}`: executed means it succeeded, as AsyncResult.successful(). */
export async function isTaskSuccessful(backend: Pick<ResultBackend, 'getTaskMeta'>, taskId: string): Promise<Response> {
  const meta = await backend.getTaskMeta(taskId);
  return json({ task: { id: taskId, executed: meta.status === SUCCESS } });
}
