/**
 * W5, wake-ups: how soon a waiter hears of a result, and what idle waiters
 * cost the database. Waiters wait on one Database; results are stored
 * through another (as a worker process would store them), one store at a
 * time while the others keep waiting.
 * - store → waiter resolved, p50/p99, with 1, 100 and `waiters` concurrent
 *   waiters (latency from the store's commit to the waiter's resolution);
 * - queries/s sent by `waiters` idle waiters (counted at the waiters'
 *   Database: every read a wait makes goes through it);
 * - raw-SQL edit of a periodic task → held by a running beat (default
 *   settings: marker poll every 0.5 s), p50/p99 over `edits` edits.
 * Variants: `wake` (the defaults: NOTIFY on PostgreSQL, adaptive polling
 * elsewhere), `notify_off` (PostgreSQL with notify: false: adaptive
 * polling) and `poll_500ms` (a read every 500 ms, as Celery's database
 * backend waits: the baseline).
 */
import { PrismaResultBackend } from '../../src/backend/index.js';
import type { Database } from '../../src/db/open.js';
import { Beat, PeriodicTaskStore, type DatabaseScheduler } from '../../src/scheduler/index.js';
import { uuidSource } from '../data.js';
import { percentile, repeat } from '../stats.js';
import type { VariantResult, Workload } from '../workload.js';
import { emptyTables, openBackendDatabase } from './w1.js';

const SETTLE_MS = 1500;
const LONE_ROUNDS = 10;
const LONE_SETTLE_MS = 600;
const IDLE_MS = 3000;
const POLL_MS = 500;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The Database with the reads sent through it counted. */
function counted(db: Database): { db: Database; reads: () => number } {
  let reads = 0;
  const sql: Database['sql'] = {
    query: (...args) => {
      reads++;
      return db.sql.query(...args);
    },
    execute: (...args) => db.sql.execute(...args),
  };
  return { db: { ...db, sql }, reads: () => reads };
}

type Variant = 'wake' | 'notify_off' | 'poll_500ms';

/** A wait as the variant waits: waitFor, or Celery's read-then-sleep loop. */
function waiterOf(variant: Variant, backend: PrismaResultBackend): (id: string) => Promise<unknown> {
  if (variant !== 'poll_500ms') return (id) => backend.waitFor(id, { timeout: 120_000 });
  return async (id) => {
    for (;;) {
      const meta = await backend.getTaskMeta(id);
      if (meta.status === 'SUCCESS') return meta.result;
      await pause(POLL_MS);
    }
  };
}

async function latencies(
  variant: Variant,
  waiterDb: Database,
  writerDb: Database,
  waiters: number,
  nextId: () => string,
): Promise<Record<string, number>> {
  const notify = variant !== 'notify_off';
  const { db, reads } = counted(waiterDb);
  const waiting = new PrismaResultBackend(db, { notify });
  const writer = new PrismaResultBackend(writerDb, { notify });
  const wait = waiterOf(variant, waiting);
  const metrics: Record<string, number> = {};
  try {
    await waiting.start();
    await writer.start();
    for (const count of [1, 100, waiters]) {
      // A lone waiter gives one sample a round: ten rounds, stored at different phases of any poll.
      const rounds = count === 1 ? LONE_ROUNDS : 1;
      const ms: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const ids = Array.from({ length: count }, nextId);
        const resolvedAt = new Map<string, number>();
        const all = Promise.all(ids.map((id) => wait(id).then(() => void resolvedAt.set(id, performance.now()))));
        // Listening, or polls backed off: waiters that have waited a while.
        await pause(count === 1 ? LONE_SETTLE_MS + round * 53 : SETTLE_MS);
        if (count === waiters) {
          const readsBefore = reads();
          await pause(IDLE_MS);
          metrics[`idle_queries_per_s_${count}`] = ((reads() - readsBefore) * 1000) / IDLE_MS;
        }
        const storedAt = new Map<string, number>();
        for (const id of ids) {
          await writer.markSucceeded(id, 1);
          storedAt.set(id, performance.now());
        }
        await all;
        for (const id of ids) ms.push(resolvedAt.get(id)! - storedAt.get(id)!);
      }
      metrics[`p50_ms_${count}`] = percentile(ms, 50);
      metrics[`p99_ms_${count}`] = percentile(ms, 99);
    }
  } finally {
    await waiting.close();
    await writer.close();
  }
  return metrics;
}

/** Raw-SQL edits of one periodic task, each timed until the running beat holds it. */
async function beatNotice(db: Database, edits: number): Promise<Record<string, number>> {
  await db.prisma.$executeRawUnsafe("DELETE FROM djcelery_periodictask WHERE name = 'w5-edited'");
  await new PeriodicTaskStore(db).create({ name: 'w5-edited', task: 'tasks.w5', schedule: { every: 3600 }, kwargs: { v: 0 } });
  const beat = new Beat({ database: db, publisher: { publish: async () => {} } });
  await beat.start();
  const scheduler = beat.scheduler as DatabaseScheduler;
  const held = (v: number): boolean => (scheduler.entryNamed('w5-edited')?.kwargs as { v?: number } | undefined)?.v === v;
  const ms: number[] = [];
  try {
    await pause(SETTLE_MS);
    for (let v = 1; v <= edits; v++) {
      await db.prisma.$executeRawUnsafe(`UPDATE djcelery_periodictask SET kwargs = '{"v": ${v}}' WHERE name = 'w5-edited'`);
      const edited = performance.now();
      while (!held(v)) await new Promise((resolve) => setImmediate(resolve));
      ms.push(performance.now() - edited);
      await pause(50 + (v % 7) * 37); // edits at no fixed phase of the poll
    }
  } finally {
    await beat.close();
  }
  return { edit_noticed_p50_ms: percentile(ms, 50), edit_noticed_p99_ms: percentile(ms, 99) };
}

export const w5: Workload<{ waiters: number; edits: number }> = {
  id: 'w5',
  params: { waiters: 1000, edits: 20 },
  async run({ database, params: { waiters, edits }, runs, log }) {
    const nextId = uuidSource();
    const waiterDb = await openBackendDatabase(database);
    const writerDb = await openBackendDatabase(database);
    const variants: Variant[] = database.provider === 'postgresql' ? ['wake', 'notify_off', 'poll_500ms'] : ['wake', 'poll_500ms'];
    const results: Record<string, VariantResult> = {};
    try {
      for (const variant of variants) {
        results[variant] = await repeat(runs, async (index) => {
          await emptyTables(writerDb);
          const metrics = await latencies(variant, waiterDb, writerDb, waiters, nextId);
          log(`${variant} ${index + 1}/${runs}: ${JSON.stringify(metrics)}`);
          return metrics;
        });
      }
      results.beat = await repeat(runs, async (index) => {
        const metrics = await beatNotice(writerDb, edits);
        log(`beat ${index + 1}/${runs}: ${JSON.stringify(metrics)}`);
        return metrics;
      });
    } finally {
      await waiterDb.close();
      await writerDb.close();
    }
    return results;
  },
};
