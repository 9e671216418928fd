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
 * - flush_update: the same state snapshotted again by a fresh camera, every row existing (tasks/s).
 */
import { openDatabase, type Database } from '../../src/db/open.js';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { sideDatabaseUrl } from '../databases.js';
import { migrateDeploy } from '../../src/migrate/index.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import type { CeleryEvent } from '../../src/snapshot/events/types.js';
import { ClusterState } from '../../src/snapshot/state/cluster-state.js';
import { ingestBrokers, ingestFromBroker, workerMessages } from '../broker-ingest.js';
import { uuidSource } from '../data.js';
import { repeat } from '../stats.js';
import type { Workload } from '../workload.js';

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

export const w4: Workload<{ e: number }> = {
  id: 'w4',
  params: { e: 30_000 },
  async run({ database, params: { e }, runs, log }) {
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

      const ingest = await repeat(runs, async (index) => {
        const state = new ClusterState({ maxTasks: events.length });
        const started = performance.now();
        for (const event of events) state.apply(event, event.timestamp * 1000);
        const seconds = (performance.now() - started) / 1000;
        log(`ingest ${index + 1}/${runs}: ${Math.round(events.length / seconds)} events/s (${state.taskCount} tasks)`);
        return { events_per_s: events.length / seconds };
      });

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
      const ingestAmqp = await fromBroker('amqp');
      const ingestRedis = await fromBroker('redis');

      const inserted: number[] = [];
      const updated: number[] = [];
      const failures: number[] = [];
      const flush = async (label: string, stored: number[]) => {
        const camera = cameraWith(db, events);
        const started = performance.now();
        const summary = await camera.snapshot();
        const seconds = (performance.now() - started) / 1000;
        failures.push(summary.error === null ? 0 : 1);
        stored.push(await countTasks(db));
        log(`${label}: ${Math.round(tasks / seconds)} tasks/s (${summary.tasksWritten} written)`);
        return { tasks_per_s: summary.tasksWritten / seconds };
      };
      const flushInsert = await repeat(runs, async (index) => {
        await truncate(db);
        return flush(`flush_insert ${index + 1}/${runs}`, inserted);
      });
      const flushUpdate = await repeat(runs, (index) => flush(`flush_update ${index + 1}/${runs}`, updated));
      return {
        ingest: { ...ingest, events: events.length },
        ingest_broker_amqp: ingestAmqp,
        ingest_broker_redis: ingestRedis,
        flush_insert: { ...flushInsert, tasks_stored: Math.min(...inserted), failed_snapshots: failures.reduce((a, b) => a + b, 0) },
        flush_update: { ...flushUpdate, tasks_stored: Math.min(...updated) },
      };
    } finally {
      await db.close();
    }
  },
};
