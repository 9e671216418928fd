// What every result backend does the same way: celery-node's lifecycle
// names and Celery's state shortcuts, each one call of start, close or
// storeResult, which a backend writes for itself.
import { FAILURE, RETRY, REVOKED, STARTED, SUCCESS } from '../core/states.js';
import { revokedException } from './meta.js';
import type { TaskDetails } from './task-write.js';

export abstract class ResultBackendBase implements AsyncDisposable {
  abstract start(): Promise<void>;
  abstract close(): Promise<void>;
  abstract storeResult(taskId: string, result: unknown, state: string, details?: TaskDetails): Promise<void>;

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** celery-node's contract: resolves once the backend can be used. */
  isReady(): Promise<void> {
    return this.start();
  }

  /** celery-node's contract: the same as close(). */
  disconnect(): Promise<void> {
    return this.close();
  }

  /** STARTED, with what is known about the run; `dateStarted` defaults to now. */
  markStarted(taskId: string, details: TaskDetails = {}): Promise<void> {
    return this.storeResult(taskId, null, STARTED, { ...details, dateStarted: details.dateStarted ?? new Date() });
  }

  markSucceeded(taskId: string, result: unknown, details: TaskDetails = {}): Promise<void> {
    return this.storeResult(taskId, result, SUCCESS, details);
  }

  /** FAILURE with the error as Celery stores exceptions; the traceback defaults to the error's stack. */
  markFailed(taskId: string, error: unknown, details: TaskDetails = {}): Promise<void> {
    return this.storeResult(taskId, error, FAILURE, details);
  }

  markRetry(taskId: string, error: unknown, details: TaskDetails = {}): Promise<void> {
    return this.storeResult(taskId, error, RETRY, details);
  }

  /** REVOKED with Celery's TaskRevokedError(reason). */
  markRevoked(taskId: string, reason = 'revoked', details: TaskDetails = {}): Promise<void> {
    return this.storeResult(taskId, revokedException(reason), REVOKED, details);
  }
}
