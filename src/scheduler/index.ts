// prisma-celery/scheduler: periodic tasks in the djcelery_* tables (or
// django-celery-beat's, with layout: 'django') and a beat that sends them
// to Celery workers.
export { Beat, resolveBeatOptions, type BeatOptions, type MessageSender } from './beat.js';
export { beatLiveness, HEARTBEAT_EVERY_S, type BeatHeartbeatRow, type BeatLiveness } from './beat-liveness.js';
export { DatabaseScheduler } from './database-scheduler.js';
export {
  afterRun,
  effectiveLastRun,
  entryDueState,
  entryFromRow,
  messageOptionsFor,
  nextDueAt,
  type Entry,
  type EntryDueState,
  type EntryRoute,
  type PeriodicTaskRow,
  type RowVersion,
} from './entry.js';
export {
  defineTask,
  type CrontabInput,
  type PeriodicTaskInput,
  type ScheduleDefinition,
  type ScheduleInput,
  type TaskDefinition,
} from './entry-input.js';
export { SchedulerError } from './errors.js';
export { defaultListener, describeEvent, type BeatEvent, type BeatEventListener } from './events.js';
export {
  PeriodicTaskStore,
  type ChangeOptions,
  type PeriodicTaskRecord,
  type PeriodicTaskStoreOptions,
  type UpsertOutcome,
} from './periodic-tasks.js';
export { pruneAudit, type AuditAction, type AuditEntry } from './schedule-audit.js';
export { DEFAULT_SCHEDULER, KNOWN_SCHEDULERS, resolveScheduler } from './registry.js';
export type { Scheduler, SchedulerClass, SchedulerContext } from './scheduler.js';
export { BACKEND_CLEANUP, parseStaticSchedule, withDefaultEntries, type StaticEntryConfig } from './static-schedule.js';
export * from './schedules/index.js';
