/**
 * W4 sustained from the broker: task events published to RabbitMQ at a
 * steady rate by a child process (bench/sustained-publisher.ts) while a
 * camera as `cam --freq 1` runs them into the tables. Measured:
 * - missing: tasks without their SUCCESS row 20 s after the stream ended
 *   (0 is the pass mark: the rate is sustained);
 * - lag: from the publish of a task's last event to the commit of the
 *   snapshot that wrote its SUCCESS row, p50 and p99;
 * - the camera process's peak RSS and CPU seconds;
 * - per flush: its time per 1,000 task rows, the part of it spent waiting
 *   on the database (bench/db-calls.ts) and the rest (merge, rows,
 *   serialisation, SQL), and statements (round trips) per flush.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Database } from '../src/db/open.js';
import { Camera } from '../src/snapshot/camera/camera.js';
import type { CameraEvent } from '../src/snapshot/camera/events.js';
import type { TaskRow } from '../src/snapshot/state/rows.js';
import { SnapshotStore } from '../src/snapshot/store/snapshot-store.js';
import { countDatabaseCalls } from './db-calls.js';
import { percentile } from './stats.js';

export interface SustainedPlan {
  brokerUrl: string;
  /** Events per second offered. */
  rate: number;
  /** Events per message: 1 (single) or 10 (task.multi). */
  batch: number;
  tasks: number;
  /** Epoch ms at which event 0 is due; set once the publisher is connected. */
  t0: number;
  /** 8 hex digits that start this run's task ids. */
  run: string;
}

export const sustainedTaskId = (run: string, task: number): string => `${run}-0000-4000-8000-${task.toString(16).padStart(12, '0')}`;

export interface SustainedResult {
  offered_events_per_s: number;
  published_events_per_s: number;
  publisher_late_ms: number;
  tasks: number;
  missing: number;
  lag_p50_ms: number;
  lag_p99_ms: number;
  rss_max_mb: number;
  cpu_s_per_1000_tasks: number;
  snapshots: number;
  snapshot_p50_ms: number;
  snapshot_max_ms: number;
  flush_ms_per_1000_tasks: number;
  flush_db_ms_per_1000_tasks: number;
  flush_other_ms_per_1000_tasks: number;
  statements_per_flush: number;
  changes_dropped: number;
  failed_snapshots: number;
}

/** Called with each SnapshotStore.write's written rows and when the write resolved. */
let writtenHook: ((rows: readonly TaskRow[], at: number) => void) | null = null;
let hooked = false;

function hookStore(): void {
  if (hooked) return;
  hooked = true;
  const write = SnapshotStore.prototype.write;
  SnapshotStore.prototype.write = async function (this: SnapshotStore, tasks, workers) {
    const outcome = await write.call(this, tasks, workers);
    if (writtenHook !== null) {
      const left = new Set(outcome.unwritten.tasks.map((row) => row.taskId));
      for (const rejected of outcome.rejected) left.add(rejected.taskId);
      writtenHook(left.size === 0 ? tasks : tasks.filter((row) => !left.has(row.taskId)), Date.now());
    }
    return outcome;
  };
}

/** This run's tasks stored as finished. */
async function successRows(db: Database, run: string): Promise<number> {
  const q = db.dialect.ident;
  const rows = await db.prisma.$queryRawUnsafe<{ n: number | bigint }[]>(
    `SELECT COUNT(*) AS n FROM ${q('djcelery_taskstate')} WHERE ${q('state')} = 'SUCCESS' AND ${q('task_id')} LIKE ${db.dialect.param(1)}`,
    `${run}-%`,
  );
  return Number(rows[0]?.n ?? 0);
}

interface Published {
  events: number;
  seconds: number;
  lateMs: number;
  /** [events sent so far, epoch ms], one per publisher tick. */
  sent: [number, number][];
}

/** When event `k` went out: the first tick whose count covers it. */
function sentAt(sent: readonly [number, number][], k: number): number {
  let low = 0;
  let high = sent.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (sent[mid]![0] > k) high = mid;
    else low = mid + 1;
  }
  return sent[low]![1];
}

function publish(plan: SustainedPlan): Promise<Published> {
  const script = fileURLToPath(new URL('./sustained-publisher.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  child.once('message', () => {
    plan.t0 = Date.now() + 100;
    child.send(plan.t0);
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Published) : reject(new Error(`publisher exited with ${code}`))));
  });
}

/** One run on tables the caller emptied. */
export async function sustainedRun(db: Database, brokerUrl: string, options: { rate: number; batch: number; seconds: number }): Promise<SustainedResult> {
  hookStore();
  const calls = countDatabaseCalls();
  const tasks = Math.floor((options.rate * options.seconds) / 3);
  const plan: SustainedPlan = { brokerUrl, rate: options.rate, batch: options.batch, tasks, t0: 0, run: randomBytes(4).toString('hex') };
  // Commit times of each task's SUCCESS row; lags once the publisher says when it sent each event.
  const committed = new Float64Array(tasks).fill(Number.NaN);
  let written = 0;
  const snapshotMs: number[] = [];
  let tasksWritten = 0;
  let failed = 0;
  let flushCalls = 0;
  let flushDbMs = 0;
  const onEvent = (event: CameraEvent): void => {
    if (event.type === 'snapshot-failed') {
      failed++;
      if (failed === 1) process.stderr.write(`[sustained] snapshot failed: ${String((event.summary.error as Error)?.message ?? event.summary.error)}\n`);
    }
    if (event.type !== 'snapshot' || event.summary.tasksWritten === 0) return;
    snapshotMs.push(event.summary.durationMs);
    tasksWritten += event.summary.tasksWritten;
  };
  const camera = new Camera({ database: db, brokerUrl, freq: 1, wakeUpWorkers: false, onEvent });
  // Statements and database time of snapshots only: taken around each write.
  const snapshot = camera.snapshot.bind(camera);
  camera.snapshot = async (o) => {
    const before = { ...calls };
    const summary = await snapshot(o);
    if (summary.tasksWritten > 0) {
      flushCalls += calls.calls - before.calls;
      flushDbMs += calls.ms - before.ms;
    }
    return summary;
  };
  writtenHook = (rows, at) => {
    for (const row of rows) {
      if (row.state !== 'SUCCESS' || !row.taskId.startsWith(plan.run)) continue;
      const task = Number.parseInt(row.taskId.slice(-12), 16);
      if (!Number.isNaN(committed[task]!)) continue;
      committed[task] = at;
      written++;
    }
  };
  let rssMax = 0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 200);
  try {
    await camera.start();
    while (!camera.brokerConnected) await new Promise((resolve) => setTimeout(resolve, 10));
    const cpu = process.cpuUsage();
    const published = await publish(plan);
    const deadline = Date.now() + 20_000;
    while (written < tasks && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const used = process.cpuUsage(cpu);
    const stored = await successRows(db, plan.run);
    const lags: number[] = [];
    committed.forEach((at, task) => Number.isNaN(at) || lags.push(at - sentAt(published.sent, 3 * task + 2)));
    const perThousand = (ms: number): number => (tasksWritten === 0 ? 0 : (ms * 1000) / tasksWritten);
    const flushMs = snapshotMs.reduce((a, b) => a + b, 0);
    return {
      offered_events_per_s: options.rate,
      published_events_per_s: Math.round(published.events / published.seconds),
      publisher_late_ms: published.lateMs,
      tasks,
      missing: tasks - stored,
      lag_p50_ms: lags.length === 0 ? 0 : percentile(lags, 50),
      lag_p99_ms: lags.length === 0 ? 0 : percentile(lags, 99),
      rss_max_mb: Math.round(rssMax / 2 ** 20),
      cpu_s_per_1000_tasks: (((used.user + used.system) / 1e6) * 1000) / tasks,
      snapshots: snapshotMs.length,
      snapshot_p50_ms: snapshotMs.length === 0 ? 0 : percentile(snapshotMs, 50),
      snapshot_max_ms: snapshotMs.length === 0 ? 0 : Math.max(...snapshotMs),
      flush_ms_per_1000_tasks: perThousand(flushMs),
      flush_db_ms_per_1000_tasks: perThousand(flushDbMs),
      flush_other_ms_per_1000_tasks: perThousand(flushMs - flushDbMs),
      statements_per_flush: snapshotMs.length === 0 ? 0 : flushCalls / snapshotMs.length,
      changes_dropped: camera.stats().changesDropped,
      failed_snapshots: failed,
    };
  } finally {
    clearInterval(sampler);
    writtenHook = null;
    await camera.close();
  }
}
