/**
 * METRICS, GET /metrics over big tables: N djcelery_taskstate rows (six
 * states round robin over 50 names; 1% of them finished inside the runtime
 * window), N/5 celery_taskmeta rows and 20 workers, filled with one
 * INSERT … SELECT per table (not timed; fill_s says how long it took).
 * - read: the table figures /metrics serves, read once (the query the cache
 *   keeps off the scrape): ms; the plans of the heavy statements go to stderr;
 * - scrape: `prisma-celery serve`'s /metrics over HTTP for SECONDS, one
 *   request every SPACING_MS, after a first scrape (reported apart, it waits
 *   for the first read): p50/p99 ms. Longer than the refresh interval, so
 *   scrapes that come while the figures are read again are in it.
 * Check: the celery_tasks samples served add up to N.
 */
import { openDatabase, type Database } from '../../src/db/open.js';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { migrateDeploy } from '../../src/migrate/index.js';
import { readTableFigures, RESULT_COUNTS_SQL, runtimeSql, taskCountsSql } from '../../src/web/metrics/table-reads.js';
import { startMonitorServer } from '../../src/web/server.js';
import { sideDatabaseUrl } from '../databases.js';
import { fillMetricsTables } from '../metrics-fill.js';
import { percentile, repeat } from '../stats.js';
import type { Workload } from '../workload.js';

const SECONDS = 30;
const SPACING_MS = 50;
const WINDOW_MS = 300_000;

/** The sum of the celery_tasks samples in a scrape's text. */
function tasksCounted(text: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith('celery_tasks{'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

async function explain(db: Database, sql: string, params: Date[] = []): Promise<string> {
  const prefix = { sqlite: 'EXPLAIN QUERY PLAN', postgresql: 'EXPLAIN (ANALYZE, BUFFERS)', mysql: 'EXPLAIN' }[db.provider];
  const rows = await db.sql.query<Record<string, unknown>>(`${prefix} ${sql}`, params);
  return rows.map((row) => Object.values(row).map(String).join(' | ')).join('\n');
}

export const metrics: Workload<{ n: number }> = {
  id: 'metrics',
  params: { n: 1_000_000 },
  async run({ database, params: { n }, runs, log }) {
    const url = parseDatabaseUrl(await sideDatabaseUrl(database, 'metrics')).url;
    await migrateDeploy(url);
    const db = await openDatabase(url);
    try {
      const filling = performance.now();
      await fillMetricsTables(db, { tasks: n, recent: Math.ceil(n / 100), results: Math.ceil(n / 5) }, new Date());
      const fillSeconds = (performance.now() - filling) / 1000;
      log(`filled ${n} task rows in ${fillSeconds.toFixed(1)} s`);
      const since = new Date(Date.now() - WINDOW_MS);
      for (const [label, sql, params] of [
        ['tasks by state and name', taskCountsSql(db), []],
        ['results by status', RESULT_COUNTS_SQL, []],
        ['runtimes in the window', runtimeSql(db), [since]],
      ] as const) {
        log(`plan, ${label}:\n${await explain(db, sql, [...params])}`);
      }

      const read = await repeat(runs, async (index) => {
        const started = performance.now();
        await readTableFigures(db, new Date(Date.now() - WINDOW_MS));
        const ms = performance.now() - started;
        log(`read ${index + 1}/${runs}: ${ms.toFixed(0)} ms`);
        return { read_ms: ms };
      });

      const counted: number[] = [];
      const scrape = await repeat(runs, async (index) => {
        // A fresh server each repeat: its first scrape waits for the first read.
        await using server = await startMonitorServer({ database: db, port: 0 });
        const target = `${server.url}metrics`;
        const get = async (): Promise<string> => {
          const response = await fetch(target);
          const text = await response.text();
          if (response.status !== 200) throw new Error(`GET /metrics answered ${response.status}: ${text}`);
          return text;
        };
        let started = performance.now();
        counted.push(tasksCounted(await get()));
        const first = performance.now() - started;
        const latencies: number[] = [];
        const until = performance.now() + SECONDS * 1000;
        while (performance.now() < until) {
          started = performance.now();
          await get();
          const ms = performance.now() - started;
          latencies.push(ms);
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, SPACING_MS - ms)));
        }
        const p50 = percentile(latencies, 50);
        const p99 = percentile(latencies, 99);
        log(`scrape ${index + 1}/${runs}: first ${first.toFixed(0)} ms, then p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${latencies.length}`);
        return { first_ms: first, p50_ms: p50, p99_ms: p99, scrapes: latencies.length };
      });
      return {
        read: { ...read, fill_s: fillSeconds },
        scrape: { ...scrape, tasks_counted_min: Math.min(...counted), tasks_counted_max: Math.max(...counted) },
      };
    } finally {
      await db.close();
    }
  },
};
