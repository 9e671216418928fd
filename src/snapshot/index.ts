/**
 * prisma-celery/snapshot: the snapshot camera (djcelery's celerycam) and
 * Celery events for celery-node workers.
 */
export { Camera } from './camera/camera.js';
export type { CameraOptions } from './camera/options.js';
export type { CameraEvent, CameraStats, SnapshotSummary } from './camera/events.js';
export { parseRate } from './camera/rate-limit.js';
export { SnapshotError, type SnapshotErrorCode } from './errors.js';
export { ClusterState, type ClusterChanges, type ClusterStateOptions, type DroppedTaskChanges } from './state/cluster-state.js';
export type { TaskRow, WorkerRow } from './state/rows.js';
export { decodeEvents, type BodyFormat, type DecodedBody, type DecodeProblem, type DecodeProblemReason } from './events/decode.js';
export type * from './events/types.js';
export { SnapshotStore, type RejectedRow, type SnapshotStoreOptions, type WriteOutcome } from './store/snapshot-store.js';
export { DEFAULT_EXPIRY, expireTaskStates, type CleanupResult, type ExpiryLimits } from './store/cleanup.js';
export { reconcileFromResults } from './store/reconcile.js';
export {
  enableCeleryEvents,
  EventDispatcher,
  type CeleryEvents,
  type CeleryEventsOptions,
  type CeleryEventsReport,
  type DispatcherReport,
  type EventDispatcherOptions,
  type EventsWorker,
} from './node-events/index.js';
export { openDatabase, useDatabase, type Database, type OpenOptions } from '../db/open.js';
