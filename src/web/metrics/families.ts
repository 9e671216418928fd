/**
 * The metric families /metrics exposes, and their samples from what was
 * read (tables, broker) and what this process counts (camera, backend).
 * Pure: plain data in, samples out; the registry formats them.
 */
import type { QueueDepth } from '../../broker/queue-stats.js';
import { isOnline, type Liveness } from '../monitor/workers.js';
import { RUNTIME_BUCKETS, type TableFigures } from './table-reads.js';

export type FamilyType = 'gauge' | 'counter' | 'histogram';

export interface Sample {
  readonly value: number;
  readonly labels?: Readonly<Record<string, string | number>>;
  /** For a histogram's _bucket, _sum and _count lines. */
  readonly metricName?: string;
}

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: FamilyType;
}

/** What the camera running in this process counts (Camera.stats()). */
export interface CameraCounts {
  readonly events: number;
  readonly changesDropped: number;
  readonly snapshotFailures: number;
  readonly pendingTasks: number;
  readonly oldestPendingMs: number;
  readonly slowSnapshots: number;
}

/** What the result backend in this process counts (PrismaResultBackend.stats()). */
export interface BackendCounts {
  readonly stores: number;
  readonly storeErrors: number;
}

/** The broker's answer for the queues, or why there is none. */
export interface BrokerFigures {
  readonly depths: readonly QueueDepth[];
  /** Whether the broker answered the last read. */
  readonly up: boolean;
}

export const TABLE_FAMILIES = {
  tasks: { name: 'celery_tasks', type: 'gauge', help: 'Task rows the camera keeps (djcelery_taskstate, not hidden), by state and task name.' },
  runtime: {
    name: 'celery_task_runtime_seconds',
    type: 'histogram',
    help: 'Runtimes of the tasks that finished within the last runtime window (djcelery_taskstate), by task name; recomputed at each read, not cumulative.',
  },
  workersUp: {
    name: 'celery_workers_up',
    type: 'gauge',
    help: "1 when the worker's last heartbeat (djcelery_workerstate) is within twice its heartbeat interval plus the camera's delay, else 0.",
  },
  beatTick: { name: 'celery_beat_last_tick_timestamp_seconds', type: 'gauge', help: "When the host's beat last wrote its heartbeat (djcelery_beatstate), Unix time." },
  beatLag: { name: 'celery_beat_lag_seconds', type: 'gauge', help: "How late the last run the host's beat sent was: seconds from the instant it was due to its claim." },
  results: { name: 'celery_results', type: 'gauge', help: 'Task results stored (celery_taskmeta, not hidden), by status.' },
  collected: { name: 'celery_metrics_collected_timestamp_seconds', type: 'gauge', help: 'When the table and broker figures served were read, Unix time.' },
  collectDuration: { name: 'celery_metrics_collect_duration_seconds', type: 'gauge', help: 'How long reading the table and broker figures served took.' },
} as const satisfies Record<string, Family>;

export const BROKER_FAMILIES = {
  messages: { name: 'celery_queue_messages', type: 'gauge', help: 'Messages ready in the queue (RabbitMQ: its message count; Redis: the lengths of its priority lists).' },
  consumers: { name: 'celery_queue_consumers', type: 'gauge', help: 'Consumers reading the queue (RabbitMQ only: Redis cannot tell).' },
  up: { name: 'celery_broker_up', type: 'gauge', help: 'Whether the broker answered the last read of the queues (1) or not (0).' },
} as const satisfies Record<string, Family>;

export const CAMERA_FAMILIES = {
  events: { name: 'celery_camera_events_received_total', type: 'counter', help: "Celery events this process's camera received from the broker." },
  dropped: {
    name: 'celery_camera_dropped_changes_total',
    type: 'counter',
    help: "Task changes this process's camera dropped unwritten to stay within its memory bound while the database was away or too slow.",
  },
  pending: { name: 'celery_camera_pending_tasks', type: 'gauge', help: "Tasks whose latest change this process's camera holds, not yet written." },
  oldestPending: {
    name: 'celery_camera_oldest_pending_seconds',
    type: 'gauge',
    help: "Age of the oldest change this process's camera holds unwritten (0 when none): how far the database is behind the events.",
  },
  slowSnapshots: { name: 'celery_camera_slow_snapshots_total', type: 'counter', help: "Snapshots this process's camera took longer than its --freq to write." },
  snapshotFailures: { name: 'celery_camera_snapshot_failures_total', type: 'counter', help: "Snapshots this process's camera could not write (their rows were kept for the next)." },
} as const satisfies Record<string, Family>;

export const BACKEND_FAMILIES = {
  stores: { name: 'celery_backend_stores_total', type: 'counter', help: "Task states this process's result backend stored." },
  storeErrors: {
    name: 'celery_backend_store_errors_total',
    type: 'counter',
    help: "Task states this process's result backend failed to store (after its retries and its wait for the database).",
  },
} as const satisfies Record<string, Family>;

const seconds = (date: Date): number => date.getTime() / 1000;

export function taskSamples(figures: TableFigures): Sample[] {
  return figures.tasks.map((row) => ({ labels: row.labels, value: row.count }));
}

export function resultSamples(figures: TableFigures): Sample[] {
  return figures.results.map((row) => ({ labels: row.labels, value: row.count }));
}

/** Prometheus' histogram lines: cumulative buckets up to +Inf, then the sum and the count. */
export function runtimeSamples(figures: TableFigures): Sample[] {
  const name = TABLE_FAMILIES.runtime.name;
  return figures.runtimes.flatMap((row): Sample[] => [
    ...RUNTIME_BUCKETS.map((le, i) => ({ metricName: `${name}_bucket`, labels: { name: row.name, le }, value: row.buckets[i] ?? 0 })),
    { metricName: `${name}_bucket`, labels: { name: row.name, le: '+Inf' }, value: row.count },
    { metricName: `${name}_sum`, labels: { name: row.name }, value: row.sum },
    { metricName: `${name}_count`, labels: { name: row.name }, value: row.count },
  ]);
}

export function workerSamples(figures: TableFigures, now: Date, liveness: Liveness): Sample[] {
  return figures.workers.map((row) => ({ labels: { hostname: row.hostname }, value: isOnline(row.lastHeartbeat, now, liveness) ? 1 : 0 }));
}

export function beatTickSamples(figures: TableFigures): Sample[] {
  return figures.beats.map((row) => ({ labels: { hostname: row.hostname }, value: seconds(row.lastTick) }));
}

export function beatLagSamples(figures: TableFigures): Sample[] {
  return figures.beats.flatMap((row) => (row.sendLag === null ? [] : [{ labels: { hostname: row.hostname }, value: row.sendLag }]));
}

/** Queues the broker has; one it does not (or, on RabbitMQ, one whose consumers are unknown) gets no sample. */
export function queueSamples(broker: BrokerFigures, field: 'messages' | 'consumers'): Sample[] {
  return broker.depths.flatMap((depth) => {
    const value = depth[field];
    return value === null ? [] : [{ labels: { queue: depth.queue }, value }];
  });
}
