/**
 * W4, events in and snapshot out: E task events for E/3 tasks on 4
 * workers (task-received, -started 2 ms later, -succeeded 50 ms later) at
 * 100 tasks/s of simulated time, plus a worker-heartbeat from each worker
 * every 2 s, ordered by timestamp with clock = position.
 * - ingest: every event into the camera's in-memory cluster state (events/s);
 * - ingest_broker_amqp, ingest_broker_redis: the same events published to
 *   RabbitMQ and to Redis as a worker sends them, consumed by a camera
 *   (events/s from the first publish until all are in its state; bench/broker-ingest.ts);
 * - flush_insert: the camera's first snapshot of that state into empty tables (tasks/s);
 * - flush_update: the same state snapshotted again by a fresh camera, every row existing (tasks/s);
 * - sustained_<rate>_<single|batched>: task events published to RabbitMQ at
 *   a steady rate for `seconds`, one a message or ten to a task.multi, into
 *   a camera as `cam --freq 1` (bench/broker-sustained.ts): tasks missing,
 *   lag p50/p99, RSS, CPU, and each flush's cost per 1,000 tasks.
 * BENCH_W4_PARTS (ingest,broker,flush,sustained) picks the parts to run;
 * BENCH_W4_RATES (events/s, default 5000,20000,50000,100000) and
 * BENCH_W4_BATCHES (default 1,10) the sustained runs.
 */
import { openDatabase, type Database } from '../../src/db/open.js';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { sideDatabaseUrl } from '../databases.js';
import { migrateDeploy } from '../../src/migrate/index.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import type { CeleryEvent } from '../../src/snapshot/events/types.js';
import { ClusterState } from '../../src/snapshot/state/cluster-state.js';
import { ingestBrokers, ingestFromBroker, workerMessages } from '../broker-ingest.js';
import { sustainedRun } from '../broker-sustained.js';
import { uuidSource } from '../data.js';
import { repeat } from '../stats.js';
import type { VariantResult, Workload } from '../workload.js';
import { countDatabaseCalls } from '../db-calls.js';

const WORKERS = 4;
const NAMES = ['tasks.add', 'tasks.mul', 'tasks.resize', 'tasks.notify', 'tasks.report'];
const TASKS_PER_SECOND = 100;
const HEARTBEAT_FREQ = 2.0;

/** The Python repr of BENCH.md's result of task i. */
const resultRepr = (i: number): string =>
  `{'status': 'ok', 'n': ${i}, 'values': [${i}, ${i + 1}, ${i + 2}], 'label': 'task-${String(i).padStart(6, '0')}'}`;

function generate(e: number, start: number): CeleryEvent[] {
  const nextId = uuidSource();
  const tasks = Math.floor(e / 3);
  const events: CeleryEvent[] = [];
  const common = (worker: number, timestamp: number) => ({ hostname: `w${worker}@bench`, utcoffset: 0, pid: 1000 + worker, clock: 0, timestamp });
  for (let i = 0; i < tasks; i++) {
    const uuid = nextId();
    const t = start + i / TASKS_PER_SECOND;
    const w = i % WORKERS;
    events.push(
      {
        ...common(w, t),
        type: 'task-received',
        uuid,
        name: NAMES[i % NAMES.length],
        args: `(${i}, ${i + 1})`,
        kwargs: "{'retry': False}",
        root_id: uuid,
        parent_id: null,
        retries: 0,
        eta: null,
        expires: null,
      },
      { ...common(w, t + 0.002), type: 'task-started', uuid },
      { ...common(w, t + 0.05), type: 'task-succeeded', uuid, result: resultRepr(i), runtime: 0.048 },
    );
  }
  const end = start + tasks / TASKS_PER_SECOND + 0.05;
  for (let t = start; t <= end; t += HEARTBEAT_FREQ) {
    for (let w = 0; w < WORKERS; w++) {
      events.push({
        ...common(w, t + w * 0.01),
        type: 'worker-heartbeat',
        freq: HEARTBEAT_FREQ,
        active: 1,
        processed: 0,
        loadavg: [0.5, 0.4, 0.3],
        sw_ident: 'py-celery',
        sw_ver: '5.2.6',
        sw_sys: 'Linux',
      });
    }
  }
  events.sort((a, b) => a.timestamp - b.timestamp);
  events.forEach((event, position) => (event.clock = position + 1));
  return events;
}

async function truncate(db: Database): Promise<void> {
  const q = db.dialect.ident;
  for (const table of ['djcelery_taskstate', 'djcelery_workerstate']) {
    await db.prisma.$executeRawUnsafe(db.provider === 'sqlite' ? `DELETE FROM ${q(table)}` : `DELETE FROM ${q(table)}`);
  }
}

async function countTasks(db: Database): Promise<number> {
  const rows = await db.prisma.$queryRawUnsafe<{ n: number | bigint }[]>(
    `SELECT COUNT(*) AS n FROM ${db.dialect.ident('djcelery_taskstate')} WHERE ${db.dialect.ident('state')} = 'SUCCESS'`,
  );
  return Number(rows[0]?.n ?? 0);
}

/** A camera that never connects: snapshot() only needs the database. */
function cameraWith(db: Database, events: readonly CeleryEvent[]): Camera {
  const camera = new Camera({ database: db, brokerUrl: 'amqp://unused', maxTasks: events.length, workerWriteInterval: 0 });
  for (const event of events) camera.state.apply(event, event.timestamp * 1000);
  return camera;
}

const listEnv = (name: string, fallback: string): string[] =>
  (process.env[name] ?? fallback).split(',').map((value) => value.trim()).filter(Boolean);

export const w4: Workload<{ e: number; seconds: number }> = {
  id: 'w4',
  params: { e: 30_000, seconds: 10 },
  async run({ database, params: { e, seconds }, runs, log }) {
    const parts = new Set(listEnv('BENCH_W4_PARTS', 'ingest,broker,flush,sustained'));
    const start = Date.now() / 1000 - 3600;
    const events = generate(e, start);
    const tasks = Math.floor(e / 3);
    const url = parseDatabaseUrl(await sideDatabaseUrl(database, 'w4')).url;
    await migrateDeploy(url);
    const db = await openDatabase(url);
    try {
      // Warm-up: the JIT for ingest, the statements and connections for the flushes.
      for (let k = 0; k < 2; k++) {
        const warm = new ClusterState({ maxTasks: events.length });
        for (const event of events) warm.apply(event, event.timestamp * 1000);
      }
      await truncate(db);
      await cameraWith(db, events.slice(0, 3000)).snapshot();

      const results: Record<string, VariantResult> = {};
      if (parts.has('ingest')) {
        const ingest = await repeat(runs, async (index) => {
          const state = new ClusterState({ maxTasks: events.length });
          const started = performance.now();
          for (const event of events) state.apply(event, event.timestamp * 1000);
          const seconds = (performance.now() - started) / 1000;
          log(`ingest ${index + 1}/${runs}: ${Math.round(events.length / seconds)} events/s (${state.taskCount} tasks)`);
          return { events_per_s: events.length / seconds };
        });
        results.ingest = { ...ingest, events: events.length };
      }

      if (parts.has('broker')) {
        const messages = workerMessages(events);
        const fromBroker = async (transport: keyof typeof ingestBrokers) => {
          const problems: number[] = [];
          const summary = await repeat(runs, async (index) => {
            await truncate(db);
            const run = await ingestFromBroker(db, ingestBrokers[transport], messages, events.length);
            problems.push(run.decode_problems);
            log(`ingest_broker_${transport} ${index + 1}/${runs}: ${Math.round(run.events_per_s)} events/s (${Math.round(run.messages_per_s)} messages/s)`);
            return { events_per_s: run.events_per_s, messages_per_s: run.messages_per_s };
          });
          return { ...summary, events: events.length, messages: messages.length, decode_problems: problems.reduce((a, b) => a + b, 0) };
        };
        results.ingest_broker_amqp = await fromBroker('amqp');
        results.ingest_broker_redis = await fromBroker('redis');
      }

      if (parts.has('flush')) {
        const calls = countDatabaseCalls();
        const inserted: number[] = [];
        const updated: number[] = [];
        const failures: number[] = [];
        const flush = async (label: string, stored: number[]) => {
          // The merged state into rows, alone: what every flush pays before the store.
          const probe = cameraWith(db, events);
          const drainStarted = performance.now();
          probe.state.drainChanges();
          const drainMs = performance.now() - drainStarted;
          const camera = cameraWith(db, events);
          const before = { ...calls };
          const started = performance.now();
          const summary = await camera.snapshot();
          const ms = performance.now() - started;
          const dbMs = calls.ms - before.ms;
          failures.push(summary.error === null ? 0 : 1);
          stored.push(await countTasks(db));
          const per = (value: number): number => (value * 1000) / tasks;
          log(`${label}: ${Math.round((tasks * 1000) / ms)} tasks/s (${summary.tasksWritten} written; per 1,000: ${per(ms).toFixed(1)} ms, ${per(dbMs).toFixed(1)} waiting on the database, ${calls.calls - before.calls} statements)`);
          return {
            tasks_per_s: (summary.tasksWritten * 1000) / ms,
            ms_per_1000_tasks: per(ms),
            rows_ms_per_1000_tasks: per(drainMs),
            db_ms_per_1000_tasks: per(dbMs),
            store_other_ms_per_1000_tasks: per(ms - dbMs - drainMs),
            statements: calls.calls - before.calls,
          };
        };
        const flushInsert = await repeat(runs, async (index) => {
          await truncate(db);
          return flush(`flush_insert ${index + 1}/${runs}`, inserted);
        });
        const flushUpdate = await repeat(runs, (index) => flush(`flush_update ${index + 1}/${runs}`, updated));
        results.flush_insert = { ...flushInsert, tasks_stored: Math.min(...inserted), failed_snapshots: failures.reduce((a, b) => a + b, 0) };
        results.flush_update = { ...flushUpdate, tasks_stored: Math.min(...updated) };
      }

      if (parts.has('sustained')) {
        for (const rate of listEnv('BENCH_W4_RATES', '5000,20000,50000,100000').map(Number)) {
          for (const batch of listEnv('BENCH_W4_BATCHES', '1,10').map(Number)) {
            await truncate(db);
            const name = `sustained_${rate}_${batch === 1 ? 'single' : 'batched'}`;
            const run = await sustainedRun(db, ingestBrokers.amqp, { rate, batch, seconds });
            log(`${name}: ${JSON.stringify(run)}`);
            results[name] = { ...run };
          }
        }
      }
      return results;
    } finally {
      await db.close();
    }
  },
};
