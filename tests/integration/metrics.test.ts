// GET /metrics on each real database and the test's RabbitMQ vhost: known
// rows in every table it reports, the text read back by Prometheus' own
// parsers (promtool's linter, the Python client's parser), and every number
// compared with what the tables hold, counted here another way (Prisma's
// groupBy, runtimes bucketed in JS).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaResultBackend } from '../../src/backend/index.js';
import { createTaskPublisher } from '../../src/broker/publisher.js';
import { createQueueStats, type QueueStats } from '../../src/broker/queue-stats.js';
import { buildTaskMessage } from '../../src/core/protocol/index.js';
import { openDatabase, type Database } from '../../src/db/open.js';
import { RUNTIME_BUCKETS } from '../../src/web/metrics/table-reads.js';
import { createHandler, Metrics, type WebHandler } from '../../src/web/index.js';
import { describeWithBroker, testBrokerUrl } from '../support/broker.js';
import { describeEachDatabase } from '../support/databases.js';
import { describeUnlessMissing } from '../support/gates.js';
import { missingPrometheusParsers, PYTHON } from '../support/services.js';

const PARSER = fileURLToPath(new URL('../support/python/parse_metrics.py', import.meta.url));
const TOKEN = 'metrics-test-token-0123456789';
const quiet = () => {};

interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number | string;
}
interface ParsedFamily {
  name: string;
  type: string;
  samples: ParsedSample[];
}

/** The text as Prometheus' Python client reads it. */
function parse(text: string): ParsedFamily[] {
  const run = spawnSync(PYTHON, [PARSER], { input: text, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`the Python parser refused the text: ${run.stderr}`);
  return JSON.parse(run.stdout) as ParsedFamily[];
}

/** Sample values by sample name and labels, as `name{a="1",b="2"}`. */
function byKey(families: ParsedFamily[]): Map<string, number | string> {
  const values = new Map<string, number | string>();
  for (const family of families) {
    for (const sample of family.samples) {
      const labels = Object.entries(sample.labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, value]) => `${key}="${value}"`)
        .join(',');
      values.set(`${sample.name}{${labels}}`, sample.value);
    }
  }
  return values;
}

/** Only the samples of one name, keyed as byKey does. */
const only = (values: Map<string, number | string>, name: string): Map<string, number | string> =>
  new Map([...values].filter(([key]) => key.startsWith(`${name}{`)));

describeUnlessMissing(missingPrometheusParsers(), 'GET /metrics', () => {
  describeWithBroker('against the broker', () => {
    describeEachDatabase('GET /metrics', (testDb) => {
      const now = new Date();
      const ago = (seconds: number): Date => new Date(now.getTime() - seconds * 1000);
      const tag = randomBytes(4).toString('hex');
      const waiting = `metrics-waiting-${tag}`;
      const consumed = `metrics-consumed-${tag}`;
      let db: Database;
      let admin: ChannelModel;
      let queueStats: QueueStats;
      let backend: PrismaResultBackend;
      let handler: WebHandler;

      beforeAll(async () => {
        db = await testDb.open();
        const prisma = db.prisma;
        const workers = await Promise.all(
          [
            ['fresh@host', ago(1)],
            ['stale@host', ago(3600)],
            ['offline@host', null],
          ].map(([hostname, lastHeartbeat]) => prisma.workerState.create({ data: { hostname: hostname as string, lastHeartbeat: lastHeartbeat as Date | null } })),
        );
        // [state, name, seconds ago, runtime, hidden], each row once.
        const rows: [string, string | null, number, number | null, boolean][] = [
          ['SUCCESS', 'tasks.add', 30, 0.003, false],
          ['SUCCESS', 'tasks.add', 20, 0.2, false],
          ['SUCCESS', 'tasks.add', 10, 4, false],
          ['SUCCESS', 'tasks.add', 3600, 1, false], // finished before the window
          ['SUCCESS', 'tasks.add', 15, 0.5, true], // hidden
          ['FAILURE', 'tasks.add', 40, null, false],
          ['STARTED', 'tasks.add', 5, null, false],
          ['STARTED', 'tasks.add', 6, null, false],
          ['SUCCESS', 'tasks.mul', 50, 0.02, false],
          ['SUCCESS', 'tasks.mul', 60, 75, false],
          ['RETRY', 'tasks.mul', 70, null, true],
          ['RETRY', 'tasks.mul', 80, null, false],
          ['PENDING', null, 90, null, false],
          ['PROGRESS', 'tasks.mul "quoted"\\name', 90, null, false],
        ];
        await prisma.taskState.createMany({
          data: rows.map(([state, name, secondsAgo, runtime, hidden], i) => ({
            taskId: `task-${i}`,
            state,
            name,
            tstamp: ago(secondsAgo),
            runtime,
            hidden,
            workerId: workers[i % workers.length]?.id ?? null,
          })),
        });
        await prisma.taskMeta.createMany({
          data: ['SUCCESS', 'SUCCESS', 'FAILURE', 'FAILURE', 'FAILURE', 'STARTED', 'REVOKED'].map((status, i) => ({ taskId: `result-${i}`, status, hidden: false })),
        });
        await prisma.taskMeta.create({ data: { taskId: 'result-hidden', status: 'SUCCESS', hidden: true } });
        const beat = (beatId: string, hostname: string, lastTick: Date, sendLag: number | null) => ({
          beatId,
          hostname,
          pid: 1,
          started: ago(7200),
          lastTick,
          maxInterval: 5,
          version: '0.1.0',
          sendLag,
        });
        await prisma.beatState.createMany({
          data: [beat('a-old', 'beat-a', ago(3600), 9), beat('a-new', 'beat-a', ago(2), 0.5), beat('b', 'beat-b', ago(10), null)],
        });

        admin = await connect(testBrokerUrl());
        const channel = await admin.createChannel();
        await channel.assertQueue(waiting);
        await channel.assertQueue(consumed);
        await channel.consume(consumed, () => {});
        const publisher = createTaskPublisher(testBrokerUrl(), { log: quiet });
        await publisher.start();
        try {
          for (let i = 0; i < 3; i++) {
            await publisher.publish(buildTaskMessage({ task: 'tasks.add', origin: 'metrics-test', args: [i], kwargs: {}, queue: waiting }, now));
          }
        } finally {
          await publisher.close();
        }
        queueStats = createQueueStats(testBrokerUrl(), { log: quiet });

        // Two stores through this process's backend: its counters, and two more result rows.
        backend = new PrismaResultBackend(db);
        await backend.storeResult('stored-1', 5, 'SUCCESS');
        await backend.storeResult('stored-2', null, 'STARTED');

        // Heartbeats every 60 s: the fresh worker stays up however slowly this machine gets to the scrape.
        const metrics = new Metrics({ database: db, queueStats, queues: [waiting, consumed], backend, heartbeatFreq: 60 });
        handler = createHandler({ database: db, token: TOKEN, metrics });
      });

      afterAll(async () => {
        await backend?.close();
        await queueStats?.close();
        const channel = await admin?.createChannel();
        for (const queue of [waiting, consumed]) await channel?.deleteQueue(queue).catch(() => {});
        await admin?.close();
      });

      let text = '';
      let values = new Map<string, number | string>();

      it('answers Prometheus text that promtool and the Python client read', async () => {
        const response = await handler(new Request('http://monitor/metrics'));
        expect(response.status).toBe(200);
        expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
        text = await response.text();
        const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
        expect(lint.status, `${lint.stdout}${lint.stderr}\n${text}`).toBe(0);
        const families = parse(text);
        const types = Object.fromEntries(families.map((family) => [family.name, family.type]));
        expect(types).toMatchObject({
          celery_tasks: 'gauge',
          celery_task_runtime_seconds: 'histogram',
          celery_workers_up: 'gauge',
          celery_beat_last_tick_timestamp_seconds: 'gauge',
          celery_beat_lag_seconds: 'gauge',
          celery_results: 'gauge',
          celery_queue_messages: 'gauge',
          celery_queue_consumers: 'gauge',
          celery_broker_up: 'gauge',
          // The Python client names a counter's family without its _total.
          celery_backend_stores: 'counter',
          celery_backend_store_errors: 'counter',
        });
        values = byKey(families);
      });

      it('counts task rows by state and name as the table holds them, hidden ones left out', async () => {
        const groups = await db.prisma.taskState.groupBy({ by: ['state', 'name'], where: { hidden: false }, _count: { _all: true } });
        const expected = new Map(groups.map((g) => [`celery_tasks{name="${g.name ?? ''}",state="${g.state}"}`, g._count._all]));
        expect(only(values, 'celery_tasks')).toEqual(expected);
        // By hand too: four visible SUCCESS rows of tasks.add (one outside the runtime window), the hidden fifth not counted;
        // a name with a quote and a backslash survives the escaping.
        expect(values.get('celery_tasks{name="tasks.add",state="SUCCESS"}')).toBe(4);
        expect(values.get('celery_tasks{name="tasks.mul "quoted"\\name",state="PROGRESS"}')).toBe(1);
      });

      it('counts results by status, hidden ones left out', async () => {
        const groups = await db.prisma.taskMeta.groupBy({ by: ['status'], where: { hidden: false }, _count: { _all: true } });
        expect(only(values, 'celery_results')).toEqual(new Map(groups.map((g) => [`celery_results{status="${g.status}"}`, g._count._all])));
        expect(values.get('celery_results{status="SUCCESS"}')).toBe(3);
      });

      it('buckets the runtimes of tasks finished in the window', async () => {
        const finished = await db.prisma.taskState.findMany({
          where: { state: { in: ['SUCCESS', 'FAILURE'] }, hidden: false, runtime: { not: null }, tstamp: { gte: ago(300) } },
        });
        const expected = new Map<string, number>();
        for (const name of new Set(finished.map((row) => row.name ?? ''))) {
          const runtimes = finished.filter((row) => (row.name ?? '') === name).map((row) => row.runtime as number);
          for (const le of RUNTIME_BUCKETS) {
            expected.set(`celery_task_runtime_seconds_bucket{le="${le}",name="${name}"}`, runtimes.filter((r) => r <= le).length);
          }
          expected.set(`celery_task_runtime_seconds_bucket{le="+Inf",name="${name}"}`, runtimes.length);
          expected.set(`celery_task_runtime_seconds_count{name="${name}"}`, runtimes.length);
          expected.set(`celery_task_runtime_seconds_sum{name="${name}"}`, runtimes.reduce((a, b) => a + b, 0));
        }
        const got = new Map([...only(values, 'celery_task_runtime_seconds_bucket'), ...only(values, 'celery_task_runtime_seconds_count'), ...only(values, 'celery_task_runtime_seconds_sum')]);
        expect([...got.keys()].sort()).toEqual([...expected.keys()].sort());
        for (const [key, value] of expected) expect(got.get(key), key).toBeCloseTo(value, 9);
        // By hand: tasks.add's 0.003, 0.2 and 4 s in the window; the hour-old run and the hidden one are not.
        expect(values.get('celery_task_runtime_seconds_count{name="tasks.add"}')).toBe(3);
        expect(values.get('celery_task_runtime_seconds_bucket{le="0.25",name="tasks.add"}')).toBe(2);
        expect(values.get('celery_task_runtime_seconds_bucket{le="60",name="tasks.mul"}')).toBe(1);
      });

      it('tells workers up from stale and offline ones', () => {
        expect(only(values, 'celery_workers_up')).toEqual(
          new Map([
            ['celery_workers_up{hostname="fresh@host"}', 1],
            ['celery_workers_up{hostname="offline@host"}', 0],
            ['celery_workers_up{hostname="stale@host"}', 0],
          ]),
        );
      });

      it("gives each beat host's last tick and the lag of its last sent run, from its newest row", async () => {
        const newest = await db.prisma.beatState.findUniqueOrThrow({ where: { beatId: 'a-new' } });
        const other = await db.prisma.beatState.findUniqueOrThrow({ where: { beatId: 'b' } });
        expect(only(values, 'celery_beat_last_tick_timestamp_seconds')).toEqual(
          new Map([
            ['celery_beat_last_tick_timestamp_seconds{hostname="beat-a"}', newest.lastTick.getTime() / 1000],
            ['celery_beat_last_tick_timestamp_seconds{hostname="beat-b"}', other.lastTick.getTime() / 1000],
          ]),
        );
        expect(only(values, 'celery_beat_lag_seconds')).toEqual(new Map([['celery_beat_lag_seconds{hostname="beat-a"}', 0.5]]));
      });

      it("reports the queues' messages and consumers from the broker", () => {
        expect(values.get(`celery_queue_messages{queue="${waiting}"}`)).toBe(3);
        expect(values.get(`celery_queue_consumers{queue="${waiting}"}`)).toBe(0);
        expect(values.get(`celery_queue_messages{queue="${consumed}"}`)).toBe(0);
        expect(values.get(`celery_queue_consumers{queue="${consumed}"}`)).toBe(1);
        expect(values.get('celery_broker_up{}')).toBe(1);
      });

      it("reports this process's backend counters", () => {
        expect(values.get('celery_backend_stores_total{}')).toBe(2);
        expect(values.get('celery_backend_store_errors_total{}')).toBe(0);
      });

      it('needs no token, takes the right one as a Bearer token, and refuses a wrong one', async () => {
        const scrape = (authorization?: string) =>
          handler(new Request('http://monitor/metrics', { headers: authorization === undefined ? {} : { authorization } }));
        expect((await scrape(`Bearer ${TOKEN}`)).status).toBe(200);
        const wrong = await scrape('Bearer not-the-token-at-all');
        expect(wrong.status).toBe(401);
        expect(wrong.headers.get('www-authenticate')).toBe('Bearer');
      });
    });
  });
});

describe('GET /metrics when the figures cannot be read', () => {
  const scrape = async (database: Database): Promise<{ status: number; text: string }> => {
    const response = await createHandler({ database, metrics: true, onError: quiet })(new Request('http://monitor/metrics'));
    return { status: response.status, text: await response.text() };
  };

  it('answers 503 with one line when the database does not answer', async () => {
    await using database = await openDatabase('postgresql://postgres@127.0.0.1:1/nowhere');
    const { status, text } = await scrape(database);
    expect(status).toBe(503);
    expect(text).toMatch(/^metrics unavailable: the database did not answer: [^\n]+\n$/);
  });

  it('answers 503 saying what to run when the tables are not migrated', async () => {
    const file = join(tmpdir(), `prisma-celery-metrics-${randomBytes(4).toString('hex')}.db`);
    try {
      await using database = await openDatabase(`file:${file}`);
      const { status, text } = await scrape(database);
      expect(status).toBe(503);
      expect(text).toMatch(/^metrics unavailable: the tables are not migrated \([^\n]+\): run `prisma-celery migrate deploy`\n$/);
    } finally {
      for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
    }
  });
});
