/**
 * W3, beat at scale (BENCH.md), for K = 1,000 and 10,000 entries, and
 * 100,000 for the idle-tick target. Seeded, not timed: 24 interval
 * schedules (every 1..24 h) and 24 crontabs (minute 7j mod 60, hour two
 * hours ahead); task i uses interval ⌊i/2⌋ mod 24 if even, crontab
 * ⌊i/2⌋ mod 24 if odd; args [i, "x"], kwargs {"n": i}, last_run_at = now,
 * except D = 100 spread-out tasks that ran two days ago (the only due ones).
 * - build_s: DatabaseScheduler constructed and started (schedule loaded);
 * - ticks until nothing is due, publishing real messages to RabbitMQ (a
 *   vhost of the bench's own) and, as the `redis_k…` variants, to Redis (a
 *   database of the bench's own): first tick, due ticks, time to drain all
 *   D, published == D checked on the queue; then 20 idle ticks;
 * - notice_s: beat running for real; one entry's kwargs edited through the
 *   public API (the fifth edit through raw SQL), timed until the running
 *   scheduler holds the new kwargs; waits between edits as BENCH.md says.
 *   Not at 100,000 (the poll is the same; the seeding is long).
 * - bulk_insert_k10000 / k30000: one INSERT … SELECT of that many tasks,
 *   with the change-tracking and audit triggers (bulk-insert.ts); no broker.
 * - k1000000: a million entries, beat in a process of its own: load time,
 *   RSS, overdue runs drained, due runs kept up, edit noticed (w3-million.ts).
 * BENCH_TRANSPORTS=amqp,redis picks the brokers (default both); Redis runs
 * K up to 10,000 only: at 100,000 nothing but the idle ticks is measured,
 * and those publish nothing.
 */
import { execFileSync } from 'node:child_process';
import type { ChannelModel } from 'amqplib';
import { connectBroker } from '../../src/broker/amqp/connect.js';
import { createTaskPublisher, type BrokerPublisher } from '../../src/broker/publisher.js';
import { bindingKey, PRIORITY_STEPS, priorityList } from '../../src/broker/redis/routing.js';
import { declarationsFor } from '../../src/core/protocol/routing.js';
import { openDatabase, type Database } from '../../src/db/open.js';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { migrateDeploy } from '../../src/migrate/index.js';
import { Beat, DatabaseScheduler, PeriodicTaskStore, type BeatEvent } from '../../src/scheduler/index.js';
import { sideDatabaseUrl } from '../databases.js';
import { claimBenchRedis } from '../redis-db.js';
import { percentile, repeat, summarise, type Summary } from '../stats.js';
import type { VariantResult, Workload } from '../workload.js';
import { measureBulkInsert } from './bulk-insert.js';
import { measureMillion } from './w3-million.js';

const SIZES = [1_000, 10_000, 100_000];
const NOTICE_UP_TO = 10_000;
const SCHEDULES = 24;
const IDLE_TICKS = 20;
const EDIT_WAITS_S = [4.3123, 2.0785, 0.1423, 1.9513, 1.6049];
const ROWS_PER_INSERT = 500;
const QUEUE = 'celery';
const VHOST = 'prisma-celery-bench';
const BROKER_URL = process.env.BENCH_BROKER_URL ?? `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(VHOST)}`;
const TRANSPORTS = (process.env.BENCH_TRANSPORTS ?? 'amqp,redis').split(',').map((t) => t.trim());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function empty(db: Database): Promise<void> {
  const x = (sql: string) => db.prisma.$executeRawUnsafe(sql);
  if (db.provider === 'sqlite') await x('DELETE FROM djcelery_periodictask');
  else await x('TRUNCATE TABLE djcelery_periodictask');
  for (const table of ['djcelery_periodictask_deleted', 'djcelery_intervalschedule', 'djcelery_crontabschedule']) {
    await x(`DELETE FROM ${table}`);
  }
}

/** Seeds K tasks; returns the ids of the D due ones. */
async function seed(db: Database, k: number, d: number, now: Date): Promise<void> {
  const p = db.dialect.param;
  const intervals: number[] = [];
  const crontabs: number[] = [];
  for (let j = 0; j < SCHEDULES; j++) {
    const interval = await db.prisma.intervalSchedule.create({ data: { every: j + 1, period: 'hours' } });
    intervals.push(interval.id);
    const crontab = await db.prisma.crontabSchedule.create({
      data: { minute: String((7 * j) % 60), hour: String((now.getUTCHours() + 2) % 24), timezone: 'UTC' },
    });
    crontabs.push(crontab.id);
  }
  const due = new Set(Array.from({ length: d }, (_, j) => Math.floor((j * k) / d)));
  const twoDaysAgo = new Date(now.getTime() - 2 * 86_400_000);
  const columns = ['name', 'task', 'interval_id', 'crontab_id', 'args', 'kwargs', 'headers', 'enabled', 'one_off', 'last_run_at', 'total_run_count', 'date_changed', 'description'];
  for (let start = 0; start < k; start += ROWS_PER_INSERT) {
    const tuples: string[] = [];
    const values: unknown[] = [];
    for (let i = start; i < Math.min(k, start + ROWS_PER_INSERT); i++) {
      const slot = Math.floor(i / 2) % SCHEDULES;
      const row = [
        `w3-${String(i).padStart(6, '0')}`,
        'tasks.add',
        i % 2 === 0 ? intervals[slot] : null,
        i % 2 === 1 ? crontabs[slot] : null,
        `[${i}, "x"]`,
        `{"n": ${i}}`,
        '{}',
        true,
        false,
        due.has(i) ? twoDaysAgo : now,
        0,
        now,
        '',
      ];
      tuples.push(`(${row.map((_, c) => p(values.length + c + 1)).join(', ')})`);
      values.push(...row);
    }
    await db.prisma.$executeRawUnsafe(`INSERT INTO djcelery_periodictask (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, ...values);
  }
  const analyze = { sqlite: 'ANALYZE', postgresql: 'ANALYZE', mysql: 'ANALYZE TABLE djcelery_periodictask' }[db.provider];
  if (db.provider === 'mysql') await db.prisma.$queryRawUnsafe(analyze);
  else await db.prisma.$executeRawUnsafe(analyze);
}

/** A broker W3 publishes to: its publisher, and a count of the messages on Celery's default queue. */
interface Target {
  /** Prefix of its variants' names: "" for RabbitMQ (as before Redis was measured), "redis_" for Redis. */
  readonly prefix: string;
  readonly sizes: (k: number) => boolean;
  readonly publisher: BrokerPublisher;
  queued(purge?: boolean): Promise<number>;
  close(): Promise<void>;
}

async function amqpTarget(): Promise<Target> {
  if (!process.env.BENCH_BROKER_URL) {
    execFileSync('rabbitmqctl', ['add_vhost', VHOST], { stdio: 'ignore' });
    execFileSync('rabbitmqctl', ['set_permissions', '-p', VHOST, 'guest', '.*', '.*', '.*'], { stdio: 'ignore' });
  }
  const admin: ChannelModel = await connectBroker(BROKER_URL, { log: () => {} });
  const publisher = createTaskPublisher(BROKER_URL);
  await publisher.start();
  return {
    prefix: '',
    sizes: () => true,
    publisher,
    // Declared as Celery declares it, so it exists.
    async queued(purge = false) {
      const channel = await admin.createChannel();
      try {
        const { queue } = declarationsFor(QUEUE);
        const { messageCount } = await channel.assertQueue(queue.name, queue.options);
        if (purge && messageCount > 0) await channel.purgeQueue(QUEUE);
        return messageCount;
      } finally {
        await channel.close().catch(() => {});
      }
    },
    async close() {
      await publisher.close();
      await admin.close().catch(() => {});
      if (!process.env.BENCH_BROKER_URL) execFileSync('rabbitmqctl', ['delete_vhost', VHOST], { stdio: 'ignore' });
    },
  };
}

async function redisTarget(): Promise<Target> {
  const redis = await claimBenchRedis();
  const { url, client: admin } = redis;
  const publisher = createTaskPublisher(url);
  await publisher.start();
  const lists = PRIORITY_STEPS.map((step) => priorityList(QUEUE, step));
  return {
    prefix: 'redis_',
    sizes: (k) => k <= NOTICE_UP_TO,
    publisher,
    async queued(purge = false) {
      const lengths = await Promise.all(lists.map((list) => admin.llen(list)));
      if (purge) await admin.del(...lists, bindingKey(QUEUE));
      return lengths.reduce((a, b) => a + b, 0);
    },
    async close() {
      await publisher.close();
      await admin.del(...lists, bindingKey(QUEUE));
      await redis.release();
    },
  };
}

async function measureNotice(db: Database, publisher: BrokerPublisher, k: number, log: (m: string) => void): Promise<number[]> {
  const events: BeatEvent[] = [];
  const beat = new Beat({ database: db, publisher, maxInterval: 5, onEvent: (e) => e.type === 'tick-failed' && events.push(e) });
  await beat.start();
  const scheduler = beat.scheduler as DatabaseScheduler;
  const tasks = new PeriodicTaskStore(db);
  const name = `w3-${String(Math.floor(k / 3)).padStart(6, '0')}`;
  const id = (await db.prisma.periodicTask.findUniqueOrThrow({ where: { name } })).id;
  const notice: number[] = [];
  try {
    for (const [edit, wait] of EDIT_WAITS_S.entries()) {
      await sleep(wait * 1000);
      const n = 1_000_000 + edit;
      // From the call: the API's own statements count.
      const committed = performance.now();
      if (edit < EDIT_WAITS_S.length - 1) await tasks.update(name, { kwargs: { n } });
      else await db.prisma.$executeRawUnsafe(`UPDATE djcelery_periodictask SET kwargs = '{"n": ${n}}' WHERE id = ${id}`);
      const deadline = committed + 30_000;
      while ((scheduler.entry(id)?.kwargs as { n?: number } | undefined)?.n !== n) {
        if (performance.now() > deadline) throw new Error(`edit ${edit + 1} not noticed within 30 s`);
        await sleep(1);
      }
      notice.push((performance.now() - committed) / 1000);
    }
  } finally {
    await beat.close();
  }
  if (events.length > 0) throw new Error(`beat failed ticks during the notice runs: ${String((events[0] as { error: unknown }).error)}`);
  log(`notice ${notice.map((s) => s.toFixed(3)).join(', ')} s`);
  return notice;
}

export const w3: Workload<{ k_small: number; k_large: number; k_idle: number; d: number }> = {
  id: 'w3',
  params: { k_small: SIZES[0]!, k_large: SIZES[1]!, k_idle: SIZES[2]!, d: 100 },
  async run({ database, params, runs, log }) {
    const url = parseDatabaseUrl(await sideDatabaseUrl(database, 'backend')).url;
    await migrateDeploy(url);
    const db = await openDatabase(url);
    const results: Record<string, VariantResult> = {};
    try {
      await empty(db);
      Object.assign(results, await measureBulkInsert(db, runs, log));
      for (const transport of TRANSPORTS) {
        if (transport !== 'amqp' && transport !== 'redis') throw new Error(`BENCH_TRANSPORTS: unknown transport "${transport}" (amqp, redis)`);
        const target = transport === 'amqp' ? await amqpTarget() : await redisTarget();
        try {
          Object.assign(results, await runSizes(target, db, [params.k_small, params.k_large, params.k_idle].filter(target.sizes), params.d, runs, log));
          if (transport === 'amqp') {
            Object.assign(results, await measureMillion(db, url, BROKER_URL, async () => {
              await empty(db);
              await target.queued(true);
            }, runs, log));
          }
        } finally {
          await target.close();
        }
      }
      return results;
    } finally {
      await db.close();
    }
  },
};

/** W3 at each size in `sizes` on one broker: its variants, named `<prefix>k<K>`. */
async function runSizes(
  target: Target,
  db: Database,
  sizes: number[],
  d: number,
  runs: number,
  log: (m: string) => void,
): Promise<Record<string, VariantResult>> {
  const { publisher } = target;
  const results: Record<string, VariantResult> = {};
  for (const k of sizes) {
    const published: number[] = [];
    const dueTicks: number[] = [];
    const notices: number[] = [];
    const timed = await repeat(runs, async (index) => {
      await empty(db);
      await target.queued(true);
      const seededAt = new Date();
      await seed(db, k, d, seededAt);
      const failures: BeatEvent[] = [];
      const context = {
        database: db,
        publish: (message: Parameters<BrokerPublisher['publish']>[0]) => publisher.publish(message),
        origin: `gen${process.pid}@bench`,
        maxInterval: 5,
        syncInterval: 1,
        staticSchedule: [],
        clock: () => new Date(),
        emit: (event: BeatEvent) => {
          if (['entry-disabled', 'publish-failed', 'run-lost'].includes(event.type)) failures.push(event);
        },
      };
      const buildStarted = performance.now();
      const scheduler = new DatabaseScheduler(context);
      await scheduler.start();
      const buildS = (performance.now() - buildStarted) / 1000;

      const tickMs: number[] = [];
      const drainStarted = performance.now();
      for (let sleepS = 0; sleepS === 0 || tickMs.length === 0; ) {
        const started = performance.now();
        sleepS = await scheduler.tick(new Date());
        tickMs.push(performance.now() - started);
      }
      const drainMs = performance.now() - drainStarted;
      const idleMs: number[] = [];
      for (let i = 0; i < IDLE_TICKS; i++) {
        const started = performance.now();
        await scheduler.tick(new Date());
        idleMs.push(performance.now() - started);
      }
      await scheduler.close();
      if (failures.length > 0) throw new Error(`scheduler reported ${failures[0]!.type}`);
      published.push(await target.queued());
      dueTicks.push(tickMs.length);
      log(
        `${target.prefix}K=${k} run ${index + 1}/${runs}: build ${buildS.toFixed(3)} s, ${tickMs.length} due tick(s) first ` +
          `${tickMs[0]!.toFixed(1)} ms, drained in ${drainMs.toFixed(1)} ms, idle p50 ${percentile(idleMs, 50).toFixed(3)} ms`,
      );
      if (k <= NOTICE_UP_TO) notices.push(...(await measureNotice(db, publisher, k, log)));
      return {
        build_s: buildS,
        first_tick_ms: tickMs[0]!,
        due_tick_p50_ms: percentile(tickMs, 50),
        due_tick_p99_ms: percentile(tickMs, 99),
        drain_ms: drainMs,
        drain_per_run_ms: drainMs / d,
        idle_tick_p50_ms: percentile(idleMs, 50),
        idle_tick_p99_ms: percentile(idleMs, 99),
      };
    });
    const variant: Record<string, Summary | number> = {
      ...timed,
      due_ticks: Math.max(...dueTicks),
      published_min: Math.min(...published),
      published_max: Math.max(...published),
    };
    if (notices.length > 0) variant.notice_s = summarise(notices);
    results[`${target.prefix}k${k}`] = variant;
  }
  return results;
}
