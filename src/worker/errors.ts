/**
 * The worker's typed errors. Callers classify by `code`, never by message.
 */
import { PrismaCeleryError } from '../errors.js';

export type WorkerErrorCode =
  /** A task module is missing, fails to load, exports no task, or names a task another module names too. */
  | 'E_WORKER_TASKS'
  /** The broker refused to let celery-node declare or consume a queue (declared otherwise, e.g. with x-max-priority). */
  | 'E_WORKER_QUEUE'
  /** celery-node, an optional peer dependency, is not installed. */
  | 'E_WORKER_PEER'
  /** start() or stop() in the wrong state. */
  | 'E_WORKER_STATE';

export class WorkerError extends PrismaCeleryError {
  // Narrows the inherited code; the constructor is PrismaCeleryError's (code, message, { cause }).
  declare readonly code: WorkerErrorCode;
}
