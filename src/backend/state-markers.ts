// Celery's state shortcuts, the same for every result backend: each is one
// storeResult call, so a backend only writes storeResult.
import { FAILURE, RETRY, REVOKED, STARTED, SUCCESS } from '../core/states.js';
import { revokedException } from './meta.js';
import type { TaskDetails } from './task-write.js';

export abstract class StateMarkers {
  abstract storeResult(taskId: string, result: unknown, state: string, details?: TaskDetails): Promise<void>;

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
