/**
 * W1, result store, through the public backend, on each table layout
 * (djcelery: ours; django: django-celery-results' tables, made by Django's
 * own migrations, reported as django_<variant>; skipped with a line on
 * stderr where Python's Django is missing):
 * - sequential: N stores of SUCCESS, one after another, each the call a
 *   celery-node worker makes when a task succeeds (storeResult through the
 *   attached backend): stores/s, p50/p99 ms;
 * - concurrent: the same N stores with 64 in flight (a busy worker): stores/s,
 *   and how many statements the coalescing made of them;
 * - reads: 1000 distinct stored ids, each read once (getTaskMeta): p50/p99 ms.
 * The same three on the Redis result backend (a Redis database of the
 * bench's own) as `redis_sequential`, `redis_concurrent`, `redis_reads`,
 * beside the SQL ones on each line; BENCH_W1_REDIS=0 leaves them out.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  attachBackend,
  PrismaResultBackend,
  RedisResultBackend,
  type BackendEvent,
  type CeleryNodeBackend,
  type ResultBackend,
} from '../../src/backend/index.js';
import type { Layout } from '../../src/db/layout.js';
import { openDatabase, type Database } from '../../src/db/open.js';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { migrateDeploy } from '../../src/migrate/index.js';
import { sideDatabaseUrl, type BenchDatabase } from '../databases.js';
import { resultJson, uuidSource } from '../data.js';
import { claimBenchRedis, type BenchRedis } from '../redis-db.js';
import { percentile, repeat } from '../stats.js';
import type { VariantResult, Workload } from '../workload.js';

const IN_FLIGHT = 64;
const READS = 1000;
const WARM_UP = 20;

/** Migrated, opened, and the backend's tables emptied. */
export async function openBackendDatabase(bench: BenchDatabase): Promise<Database> {
  const url = parseDatabaseUrl(await sideDatabaseUrl(bench, 'backend')).url;
  await migrateDeploy(url);
  const db = await openDatabase(url);
  await emptyTables(db);
  return db;
}

const TABLES: Readonly<Record<Layout, readonly [tasks: string, groups: string]>> = {
  djcelery: ['celery_taskmeta', 'celery_tasksetmeta'],
  django: ['django_celery_results_taskresult', 'django_celery_results_groupresult'],
};

export async function emptyTables(db: Database, layout: Layout = 'djcelery'): Promise<void> {
  for (const table of TABLES[layout]) {
    await db.prisma.$executeRawUnsafe(db.provider === 'sqlite' ? `DELETE FROM ${table}` : `TRUNCATE TABLE ${table}`);
  }
}

export async function countRows(db: Database, where = '', ...params: unknown[]): Promise<number> {
  return countLayoutRows(db, 'djcelery', where, ...params);
}

async function countLayoutRows(db: Database, layout: Layout, where: string, ...params: unknown[]): Promise<number> {
  const rows = await db.prisma.$queryRawUnsafe<{ n: number | bigint }[]>(`SELECT COUNT(*) AS n FROM ${TABLES[layout][0]} ${where}`, ...params);
  return Number(rows[0]?.n ?? 0);
}

const PYTHON = '/usr/bin/python3';
const DJANGO_SETTINGS_DIR = fileURLToPath(new URL('../../tests/support/python/', import.meta.url));

/**
 * django-celery-results' tables made by Django's own migrations, opened and
 * emptied; null (with why) where Python's Django cannot run here.
 */
async function openDjangoDatabase(bench: BenchDatabase, log: (message: string) => void): Promise<Database | null> {
  const url = parseDatabaseUrl(await sideDatabaseUrl(bench, 'django')).url;
  const target = parseDatabaseUrl(url);
  if (target.provider === 'postgresql') {
    const client = new pg.Client({ connectionString: target.connectionString });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${target.schema}"`);
    } finally {
      await client.end();
    }
  }
  try {
    await promisify(execFile)(PYTHON, ['-m', 'django', 'migrate', 'django_celery_results', '--verbosity', '0'], {
      env: { ...process.env, DJANGO_SETTINGS_MODULE: 'django_settings', DJANGO_TEST_APPS: 'django_celery_results', DJANGO_TEST_DATABASE_URL: url, PYTHONPATH: DJANGO_SETTINGS_DIR },
      timeout: 120_000,
    });
  } catch (error) {
    log(`django layout skipped: Django's migrate failed (${(error as Error).message.split('\n')[0]})`);
    return null;
  }
  const db = await openDatabase(url);
  await emptyTables(db, 'django');
  return db;
}

/** What celery-node's Worker calls: the attached backend, whose stores never reject (failures go to onEvent). */
const workerSide = (backend: ResultBackend): CeleryNodeBackend =>
  (attachBackend({ conf: { CELERY_QUEUE: 'w1' } }, backend) as unknown as { _backend: CeleryNodeBackend })._backend;

/** A result store under test: its backend, and how to empty it and count the SUCCESS it holds. */
interface StoreUnderTest {
  readonly backend: ResultBackend;
  empty(): Promise<void>;
  countSuccess(): Promise<number>;
  /** Write statements sent so far, where the store coalesces writes into statements. */
  statements?(): number;
}

const sqlStore = (db: Database, backend: PrismaResultBackend, layout: Layout): StoreUnderTest => ({
  backend,
  empty: () => emptyTables(db, layout),
  countSuccess: () => countLayoutRows(db, layout, "WHERE status = 'SUCCESS'"),
  statements: () => backend.writeStatements,
});

/** The Redis backend on a database of the bench's own, emptied between repeats. */
function redisStore(redis: BenchRedis, backend: RedisResultBackend): StoreUnderTest {
  return {
    backend,
    empty: async () => void (await redis.client.flushdb()),
    async countSuccess() {
      let count = 0;
      for await (const keys of redis.client.scanStream({ match: 'celery-task-meta-*', count: 1000 })) {
        const values = (keys as string[]).length === 0 ? [] : await redis.client.mget(...(keys as string[]));
        count += values.filter((value) => value !== null && (JSON.parse(value) as { status?: unknown }).status === 'SUCCESS').length;
      }
      return count;
    },
  };
}

export const w1: Workload<{ n: number }> = {
  id: 'w1',
  params: { n: 5000 },
  async run({ database, params: { n }, runs, log }) {
    const db = await openBackendDatabase(database);
    // What each backend reports besides retries: none is expected.
    const failuresOf = (failures: BackendEvent[]) => (event: BackendEvent): void => void (event.type !== 'retry' && failures.push(event));
    const results: Record<string, VariantResult> = {};
    const failures: BackendEvent[] = [];
    const sql = new PrismaResultBackend(db, { onEvent: failuresOf(failures) });
    try {
      Object.assign(results, await timeStores(sqlStore(db, sql, 'djcelery'), n, runs, log, failures));
    } finally {
      await sql.close();
      await db.close();
    }
    const djangoDb = await openDjangoDatabase(database, log);
    if (djangoDb !== null) {
      const djangoFailures: BackendEvent[] = [];
      const django = new PrismaResultBackend(djangoDb, { layout: 'django', onEvent: failuresOf(djangoFailures) });
      try {
        const timed = await timeStores(sqlStore(djangoDb, django, 'django'), n, runs, (message) => log(`django ${message}`), djangoFailures);
        for (const [variant, result] of Object.entries(timed)) results[`django_${variant}`] = result;
      } finally {
        await django.close();
        await djangoDb.close();
      }
    }
    if (process.env.BENCH_W1_REDIS === '0') return results;
    const redis = await claimBenchRedis();
    const redisFailures: BackendEvent[] = [];
    const backend = new RedisResultBackend(redis.url, { onEvent: failuresOf(redisFailures) });
    try {
      await redis.client.flushdb();
      const timed = await timeStores(redisStore(redis, backend), n, runs, (message) => log(`redis ${message}`), redisFailures);
      for (const [variant, result] of Object.entries(timed)) results[`redis_${variant}`] = result;
    } finally {
      await backend.close();
      await redis.client.flushdb();
      await redis.release();
    }
    return results;
  },
};

/** W1's three variants on one store. */
async function timeStores(
  store: StoreUnderTest,
  n: number,
  runs: number,
  log: (message: string) => void,
  failures: readonly BackendEvent[],
): Promise<Record<string, VariantResult>> {
  const nextId = uuidSource();
  const results = Array.from({ length: n }, (_, i) => JSON.parse(resultJson(i)) as unknown);
  const { backend } = store;
  const worker = workerSide(backend);
  const warmIds = Array.from({ length: WARM_UP }, () => nextId());
  for (const [i, id] of warmIds.entries()) await worker.storeResult(id, results[i], 'SUCCESS');
  for (const id of warmIds) await backend.getTaskMeta(id);

  const seqStored: number[] = [];
  const sequential = await repeat(runs, async (index) => {
    await store.empty();
    const ids = Array.from({ length: n }, () => nextId());
    const latencies = new Array<number>(n);
    const started = performance.now();
    let previous = started;
    for (let i = 0; i < n; i++) {
      await worker.storeResult(ids[i]!, results[i], 'SUCCESS');
      const now = performance.now();
      latencies[i] = now - previous;
      previous = now;
    }
    const seconds = (previous - started) / 1000;
    seqStored.push(await store.countSuccess());
    log(`sequential ${index + 1}/${runs}: ${Math.round(n / seconds)} stores/s`);
    return { stores_per_s: n / seconds, p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99) };
  });

  const concStored: number[] = [];
  let lastIds: string[] = [];
  // Variants without statements (Redis) leave the metric out.
  const concurrent = await repeat<string>(runs, async (index) => {
    await store.empty();
    const ids = Array.from({ length: n }, () => nextId());
    const statementsBefore = store.statements?.() ?? 0;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        for (let i = next++; i < n; i = next++) await worker.storeResult(ids[i]!, results[i], 'SUCCESS');
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const statements = store.statements === undefined ? undefined : store.statements() - statementsBefore;
    concStored.push(await store.countSuccess());
    lastIds = ids;
    log(`concurrent ${index + 1}/${runs}: ${Math.round(n / seconds)} stores/s${statements === undefined ? '' : ` in ${statements} statements`}`);
    const metrics: Record<string, number> = { stores_per_s: n / seconds };
    if (statements !== undefined) metrics.statements = statements;
    return metrics;
  });

  // Reads of ids the last concurrent repeat stored, each once, spread over the table.
  const readCorrect: number[] = [];
  const reads = await repeat(runs, async (index) => {
    const step = Math.floor(n / READS);
    const picks = Array.from({ length: Math.min(READS, n) }, (_, k) => ({ id: lastIds[(k * step + index) % n]!, i: (k * step + index) % n }));
    const latencies: number[] = [];
    let correct = 0;
    for (const { id, i } of picks) {
      const started = performance.now();
      const meta = await backend.getTaskMeta(id);
      latencies.push(performance.now() - started);
      if (meta.status === 'SUCCESS' && (meta.result as { n?: unknown }).n === i) correct++;
    }
    readCorrect.push(correct);
    log(`reads ${index + 1}/${runs}: p50 ${percentile(latencies, 50).toFixed(3)} ms`);
    return { p50_ms: percentile(latencies, 50), p99_ms: percentile(latencies, 99) };
  });

  return {
    sequential: { ...sequential, rows_stored: Math.min(...seqStored), failures: failures.length },
    concurrent: { ...concurrent, rows_stored: Math.min(...concStored) },
    reads: { ...reads, reads_correct: Math.min(...readCorrect) },
  };
}
