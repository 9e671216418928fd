/**
 * What every result backend of this package does, whatever it stores in:
 * PrismaResultBackend (SQL tables) and RedisResultBackend (Celery's Redis
 * keys) both satisfy it, so code that only stores, reads and waits — the
 * task-status views, the celery-node helpers, your own — takes either.
 */
import type { TaskMeta } from './meta.js';
import type { TaskRecord } from './reads.js';
import type { TaskDetails } from './task-write.js';
import type { WaitOptions } from './wait.js';

/**
 * Everything a backend keeps about a task. The dates a store may not keep
 * are null there: Celery's Redis layout has no creation date, and no
 * date_done before the task is ready.
 */
export interface BackendTaskRecord extends Omit<TaskRecord, 'dateDone' | 'dateCreated'> {
  /** When the task became ready (SQL: when the row was last written); null when the store does not say. */
  dateDone: Date | null;
  /** When the task was first stored; null when the store does not keep it. */
  dateCreated: Date | null;
}

/** A saved group: its member task ids in order; dateDone is null when the writer stored none (Python's Redis backend). */
export interface BackendGroupRecord {
  groupId: string;
  taskIds: string[];
  dateDone: Date | null;
}

export interface ResultBackend extends AsyncDisposable {
  /** Connects (and checks the store is usable); safe to call again. Every call that needs the store calls it. */
  start(): Promise<void>;
  /** Waits for writes already accepted, then lets go of what the backend opened. Idempotent. */
  close(): Promise<void>;
  /** celery-node's contract: the same as start(). */
  isReady(): Promise<void>;
  /** celery-node's contract: the same as close(). */
  disconnect(): Promise<void>;
  /** Stores a task's state and result (an exception for FAILURE, RETRY, REVOKED); never moves a task backwards. */
  storeResult(taskId: string, result: unknown, state: string, details?: TaskDetails): Promise<void>;
  markStarted(taskId: string, details?: TaskDetails): Promise<void>;
  markSucceeded(taskId: string, result: unknown, details?: TaskDetails): Promise<void>;
  markFailed(taskId: string, error: unknown, details?: TaskDetails): Promise<void>;
  markRetry(taskId: string, error: unknown, details?: TaskDetails): Promise<void>;
  markRevoked(taskId: string, reason?: string, details?: TaskDetails): Promise<void>;
  /** Celery's meta; an unknown (or expired) id reads as PENDING. */
  getTaskMeta(taskId: string): Promise<TaskMeta>;
  /** Everything stored about a task, or null when nothing is. */
  getTask(taskId: string): Promise<BackendTaskRecord | null>;
  /** The result once the task succeeds; rejects with TaskFailedError, TaskTimeoutError or the signal's reason. */
  waitFor(taskId: string, options?: WaitOptions): Promise<unknown>;
  /** Deletes what is stored about the task. */
  forget(taskId: string): Promise<void>;
  /** Saves a group's member task ids (replacing what the group held). */
  saveGroup(groupId: string, taskIds: readonly string[]): Promise<void>;
  restoreGroup(groupId: string): Promise<BackendGroupRecord | null>;
  /** Resolves to whether there was a group to delete. */
  deleteGroup(groupId: string): Promise<boolean>;
}
