/**
 * SOAK, the beat soak: B = 3 beats on one database, E = 50 entries every 1 or
 * 2 s, for S seconds (default 600; `--seconds` for a short run). Each beat
 * reaches the database and RabbitMQ through TCP proxies of its own, and
 * every 2–6 s one of them, at random, loses its broker (connections
 * dropped, or a blackhole that drops the broker's packets) or its database
 * (dropped; on SQLite the file's write lock is held, for every beat) for
 * 1–5 s. A consumer reads the queue directly. At the end every broker is
 * blackholed and the beats are stopped, timed (the stop budget is 5 s).
 * Reported: runs due (nominal: every slot from start_time to the stop; a
 * run counts from its send, so a late send shifts the slots after it),
 * counted (total_run_count), sent
 * (task-sent events), received, distinct task ids received, duplicates by
 * id, runs counted but never received, runs received but not counted (a
 * send abandoned at the stop whose message got through), run-lost events
 * (all, and before the stop),
 * the longest gap between two runs of an entry, and the stop times.
 */
import { execFileSync } from 'node:child_process';
import type { ConsumeMessage } from 'amqplib';
import { connectBroker } from '../../src/broker/amqp/connect.js';
import { openDatabase, type Database } from '../../src/db/open.js';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { migrateDeploy } from '../../src/migrate/index.js';
import { Beat, PeriodicTaskStore, type BeatEvent } from '../../src/scheduler/index.js';
import { databaseOutage, TcpProxy, type Outage } from '../../tests/support/tcp-proxy.js';
import { sideDatabaseUrl } from '../databases.js';
import { summarise } from '../stats.js';
import type { VariantResult, Workload } from '../workload.js';

const VHOST = 'prisma-celery-soak';
const QUEUE = 'soak';
const BROKER = process.env.BENCH_BROKER_URL ?? `amqp://guest:guest@127.0.0.1:5672/${encodeURIComponent(VHOST)}`;
const STOP_TIMEOUT_S = 5;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const between = (min: number, max: number) => min + Math.random() * (max - min);

type Fault = Pick<Outage, 'cut' | 'restore'>;

interface SoakBeat {
  beat: Beat;
  database: Database;
  broker: TcpProxy;
  faults: Record<'broker-drop' | 'broker-blackhole' | 'database', Fault>;
  events: BeatEvent[];
}

export const soak: Workload<{ beats: number; entries: number; seconds: number }> = {
  id: 'soak',
  params: { beats: 3, entries: 50, seconds: 600 },

  async run({ database, params, log }) {
    const url = parseDatabaseUrl(await sideDatabaseUrl(database, 'soak')).url;
    await migrateDeploy(url);
    if (!process.env.BENCH_BROKER_URL) {
      execFileSync('rabbitmqctl', ['add_vhost', VHOST], { stdio: 'ignore' });
      execFileSync('rabbitmqctl', ['set_permissions', '-p', VHOST, 'guest', '.*', '.*', '.*'], { stdio: 'ignore' });
    }
    const admin = await openDatabase(url);
    const consumer = await connectBroker(BROKER, { log: () => {} });
    const received: { id: string; entry: number; at: number }[] = [];
    const beats: SoakBeat[] = [];
    try {
      await admin.prisma.periodicTask.deleteMany();
      const tasks = new PeriodicTaskStore(admin);
      const startTime = new Date(Date.now() + 3000);
      for (let i = 0; i < params.entries; i++) {
        await tasks.create({ name: `soak-${i}`, task: 'tasks.soak', schedule: { every: 1 + (i % 2) }, args: [i], queue: QUEUE, startTime });
      }
      const channel = await consumer.createChannel();
      await channel.assertQueue(QUEUE, { durable: true });
      await channel.purgeQueue(QUEUE);
      await channel.consume(QUEUE, (message: ConsumeMessage | null) => {
        if (message === null) return;
        const [args] = JSON.parse(message.content.toString()) as [number[]];
        received.push({ id: String(message.properties.headers?.id), entry: args[0] ?? -1, at: Date.now() });
      }, { noAck: true });

      // SQLite: one file, so one lock for every beat.
      const sqliteLock = database.provider === 'sqlite' ? await databaseOutage({ url }) : null;
      for (let b = 0; b < params.beats; b++) beats.push(await startBeat(url, sqliteLock, b));
      log(`${params.beats} beats, ${params.entries} entries, ${params.seconds}s of faults`);
      const started = Date.now();
      const end = started + params.seconds * 1000;
      const faults: Promise<void>[] = [];
      const counts: Record<string, number> = {};
      while (Date.now() < end) {
        await sleep(between(2000, 6000));
        const target = beats[Math.floor(Math.random() * beats.length)]!;
        const kinds = Object.keys(target.faults) as (keyof SoakBeat['faults'])[];
        const kind = kinds[Math.floor(Math.random() * kinds.length)]!;
        counts[kind] = (counts[kind] ?? 0) + 1;
        faults.push(
          (async () => {
            await target.faults[kind].cut();
            await sleep(between(1000, 5000));
            await target.faults[kind].restore();
          })(),
        );
      }
      await Promise.all(faults);
      const runFor = (Date.now() - started) / 1000;
      log(`faults: ${JSON.stringify(counts)}; settling`);
      await sleep(5000);

      // The stop during a partition: every broker drops packets, a run of each beat is stuck in its publish.
      const lostBeforeStop = beats.flatMap((soak) => soak.events).filter((e) => e.type === 'run-lost').length;
      const stoppedAt = Date.now();
      for (const soak of beats) soak.broker.blackhole();
      await sleep(1500);
      const stopTimes = await Promise.all(
        beats.map(async ({ beat }) => {
          const at = performance.now();
          await beat.close();
          return (performance.now() - at) / 1000;
        }),
      );
      for (const soak of beats) soak.broker.heal();
      await sleep(2000); // messages still on their way to the consumer

      const rows = await admin.prisma.periodicTask.findMany({ select: { name: true, totalRunCount: true } });
      const counted = rows.reduce((sum, row) => sum + row.totalRunCount, 0);
      const events = beats.flatMap((soak) => soak.events);
      const ids = new Set(received.map((r) => r.id));
      const countedIds = new Set(events.flatMap((e) => (e.type === 'task-sent' ? [e.taskId] : [])));
      const due = Array.from({ length: params.entries }, (_, i) => Math.floor((stoppedAt - startTime.getTime()) / 1000 / (1 + (i % 2))) + 1).reduce((a, b) => a + b, 0);
      const gaps = Array.from({ length: params.entries }, (_, i) => {
        const times = received.filter((r) => r.entry === i).map((r) => r.at).sort((a, b) => a - b);
        let longest = 0;
        for (let k = 1; k < times.length; k++) longest = Math.max(longest, times[k]! - times[k - 1]!);
        return longest / 1000;
      });
      const result: VariantResult = {
        seconds: Math.round(runFor),
        runs_due: due,
        runs_counted: counted,
        sent: events.filter((e) => e.type === 'task-sent').length,
        received: received.length,
        distinct_ids: ids.size,
        duplicates_by_id: received.length - ids.size,
        counted_not_received: Math.max(0, counted - [...ids].filter((id) => countedIds.has(id)).length),
        received_not_counted: [...ids].filter((id) => !countedIds.has(id)).length,
        run_lost_events: events.filter((e) => e.type === 'run-lost').length,
        run_lost_before_stop: lostBeforeStop,
        publish_failed_events: events.filter((e) => e.type === 'publish-failed').length,
        tick_failed_events: events.filter((e) => e.type === 'tick-failed').length,
        longest_gap_s: Math.max(...gaps),
        faults: Object.values(counts).reduce((a, b) => a + b, 0),
        stop_s: summarise(stopTimes),
      };
      log(JSON.stringify(result));
      return { soak: result };
    } finally {
      for (const { beat, database: db, faults } of beats) {
        await beat.close();
        await Promise.all(Object.values(faults).map((fault) => fault.restore()));
        await db.close();
      }
      await consumer.close().catch(() => {});
      await admin.close();
      if (!process.env.BENCH_BROKER_URL) execFileSync('rabbitmqctl', ['delete_vhost', VHOST], { stdio: 'ignore' });
    }

    async function startBeat(url: string, sqliteLock: Outage | null, index: number): Promise<SoakBeat> {
      const broker = new URL(BROKER);
      const brokerProxy = new TcpProxy(broker.hostname, Number(broker.port || 5672));
      broker.port = String(await brokerProxy.listen());
      const outage = sqliteLock ?? (await databaseOutage({ url }));
      const db = await openDatabase(outage.url, { poolSize: 2, sqliteBusyTimeoutMs: 200 });
      const events: BeatEvent[] = [];
      const beat = new Beat({
        database: db,
        brokerUrl: broker.toString(),
        maxInterval: 1,
        stopTimeout: STOP_TIMEOUT_S,
        retry: { minDelay: 0.2, maxDelay: 2 },
        origin: `soak-${index}`,
        onEvent: (event) => events.push(event),
      });
      await beat.start();
      return {
        beat,
        database: db,
        broker: brokerProxy,
        events,
        faults: {
          'broker-drop': { cut: () => brokerProxy.cut(), restore: () => brokerProxy.restore() },
          'broker-blackhole': {
            cut: async () => brokerProxy.blackhole(),
            restore: async () => brokerProxy.heal(),
          },
          database: outage,
        },
      };
    }
  },
};
