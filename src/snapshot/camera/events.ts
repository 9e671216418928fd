/**
 * What the camera reports through `onEvent`: a discriminated union, so a
 * log hook can switch on `type` and a test can wait for one.
 */
import type { DecodeProblem } from '../events/decode.js';
import type { DroppedTaskChanges } from '../state/cluster-state.js';
import type { CleanupResult } from '../store/cleanup.js';
import type { RejectedRow } from '../store/snapshot-store.js';

export interface SnapshotSummary {
  tasksWritten: number;
  workersWritten: number;
  /** Worker rows held back by the heartbeat throttle; written by a later snapshot. */
  workersDeferred: number;
  /** Task rows left for the next snapshot because the database failed. */
  tasksUnwritten: number;
  rejected: number;
  durationMs: number;
  /** Why rows were left unwritten, or null. */
  error: unknown;
}

export type CameraEvent =
  /**
   * `queue`: the AMQP queue or the Redis channel pattern consumed. `deafMs`, on a
   * reconnection: how long no event could arrive (the broker keeps none for
   * an absent consumer, so events sent meanwhile are lost; reconciliation
   * completes their tasks from celery_taskmeta).
   */
  | { type: 'broker-connected'; queue: string; reconnect: boolean; deafMs: number | null }
  | { type: 'broker-disconnected'; error: Error }
  | { type: 'broker-reconnect-scheduled'; attempt: number; delayMs: number; error: Error }
  | { type: 'broker-setup-failed'; error: Error }
  | { type: 'decode-problem'; problem: DecodeProblem; routingKey: string }
  | { type: 'snapshot'; summary: SnapshotSummary; final: boolean }
  | { type: 'snapshot-failed'; summary: SnapshotSummary; pendingTasks: number; final: boolean }
  | { type: 'rows-rejected'; rows: RejectedRow[] }
  /**
   * Past maxPendingTasks: `count` pending task changes forgotten (`total`
   * so far), which ones in `dropped`; `cause` says whether snapshots fail
   * (the database is down) or succeed but too slowly for the events.
   */
  | {
      type: 'changes-dropped';
      count: number;
      total: number;
      dropped: DroppedTaskChanges;
      cause: 'database-down' | 'database-slow';
      maxPendingTasks: number;
      lastSnapshotMs: number;
    }
  /** A snapshot took longer than the interval between snapshots: the database writes slower than the events change tasks. */
  | { type: 'falling-behind'; summary: SnapshotSummary; pendingTasks: number; oldestPendingMs: number }
  | { type: 'cleanup'; result: CleanupResult; durationMs: number }
  | { type: 'cleanup-failed'; error: unknown }
  | { type: 'reconciled'; tasks: number }
  | { type: 'reconcile-failed'; error: unknown }
  | { type: 'closed'; unwrittenTasks: number };

export interface CameraStats {
  /** Deliveries from the broker, and the events they held. */
  messages: number;
  events: number;
  /** Malformed bodies, unknown event types, invalid fields. */
  decodeProblems: number;
  snapshots: number;
  snapshotFailures: number;
  tasksWritten: number;
  workersWritten: number;
  rowsRejected: number;
  /** Pending task changes dropped to stay within maxPendingTasks. */
  changesDropped: number;
  /** Tasks changed and not yet written (one per task however often it changed). */
  pendingTasks: number;
  /** How long the oldest change not yet written has waited, ms (0 when none). */
  oldestPendingMs: number;
  /** Snapshots that took longer than the interval between snapshots. */
  slowSnapshots: number;
  brokerDisconnects: number;
  /** Time spent disconnected from the broker, summed over reconnections (ms). */
  brokerDeafMs: number;
  cleanups: number;
  cleanupFailures: number;
  reconciledTasks: number;
  reconcileFailures: number;
  /** onEvent listeners that threw. */
  listenerErrors: number;
}
