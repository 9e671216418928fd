/**
 * djcelery.views.task_webhook: turns a function into an HTTP endpoint that
 * Celery's webhook tasks (celery.task.http) call, answering
 * `{"status": "success", "retval": ...}` or, when it throws,
 * `{"status": "failure", "reason": ...}`.
 */
import { saferepr } from '../core/protocol/index.js';
import { json } from './http/responses.js';

export type WebhookFunction<A extends unknown[]> = (request: Request, ...rest: A) => unknown;

/**
 * Wraps `fn`; the wrapper takes the same arguments and resolves to a
 * Response. Celery's webhook caller reads the status from the body, so a
 * failure still answers 200, as the seed does.
 */
export function taskWebhook<A extends unknown[]>(
  fn: WebhookFunction<A>,
): (request: Request, ...rest: A) => Promise<Response> {
  return async (request, ...rest) => {
    let retval: unknown;
    try {
      retval = await fn(request, ...rest);
    } catch (error) {
      return json({ status: 'failure', reason: reasonOf(error) });
    }
    try {
      return json({ status: 'success', retval: retval ?? null });
    } catch (error) {
      // JSON.stringify refused the value (a BigInt, a cycle): the call still failed.
      return json({ status: 'failure', reason: `the return value is not JSON: ${reasonOf(error)}` });
    }
  };
}

/** The seed sends safe_repr(exc), `ValueError('x')`: here the error's name and message in that form. */
function reasonOf(error: unknown): string {
  if (error instanceof Error) return `${error.name}(${saferepr(error.message)})`;
  return String(error);
}
