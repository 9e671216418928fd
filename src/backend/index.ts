/**
 * `prisma-celery/backend`: Celery's result backend on your SQL database,
 * or on Redis in Celery's Redis backend layout.
 * Types are exported with `export type`; the celery-node helpers need no
 * celery-node import to load.
 */
export { PrismaResultBackend } from './backend.js';
export type { BackendStats, CleanupOptions } from './backend.js';
export { RedisResultBackend } from './redis-backend.js';
export type { RedisResultBackendOptions } from './redis-options.js';
export type { BackendGroupRecord, BackendTaskRecord, ResultBackend } from './contract.js';
export { attachBackend, instrumentWorker } from './celery-node.js';
export type { CeleryNodeApp, CeleryNodeBackend, CeleryNodeWorker, InstrumentOptions } from './celery-node.js';
export { createEagerClient, EagerTaskFailedError, type EagerClient, type EagerOptions, type EagerResult, type EagerTask, type EagerTaskFunction, type EagerTasks } from './eager.js';
export {
  BackendClosedError,
  BackendDatabaseError,
  BackendNotMigratedError,
  BackendRedisError,
  InvalidArgumentError,
  InvalidStateError,
  InvalidTaskIdError,
  ResultEncodeError,
  ResultTooLargeError,
  StoredDataError,
  TaskFailedError,
  TaskTimeoutError,
} from './errors.js';
export type { CleanupReport, TableReport } from './expiry.js';
export type { GroupRecord } from './groups.js';
export { JS_EXCEPTION_MODULE } from './meta.js';
export type { ExceptionInfo, TaskMeta } from './meta.js';
export type { BackendEvent, RedactInput, ResultBackendOptions } from './options.js';
export type { TaskRecord } from './reads.js';
export type { TaskDetails } from './task-write.js';
export type { WaitOptions } from './wait.js';
export { TX_ISOLATION_WARNING } from './isolation.js';
export { openDatabase, useDatabase } from '../db/open.js';
export type { Database, OpenOptions } from '../db/open.js';
