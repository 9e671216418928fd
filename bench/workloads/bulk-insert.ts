/**
 * W3's bulk edit: one INSERT … SELECT of K periodic tasks (K = 10,000 and
 * 30,000), timed from the statement to its commit, with the change-tracking
 * triggers (and the audit trail) doing their work. The rows are deleted
 * again by one DELETE, also timed. A running beat is not needed: the
 * triggers' cost is the statement's.
 */
import type { Database } from '../../src/db/open.js';
import { repeat } from '../stats.js';
import type { VariantResult } from '../workload.js';

export const BULK_SIZES = [10_000, 30_000];

/** The rows as one statement: the numbers 1..K from the database itself. */
function insertSql(db: Database, k: number, intervalId: number): string {
  const columns = 'name, task, interval_id, args, kwargs, headers, enabled, one_off, total_run_count, description';
  const values = `'bulk-' || n, 'tasks.add', ${intervalId}, '[]', '{}', '{}', true, false, 0, ''`;
  switch (db.provider) {
    case 'postgresql':
      return `INSERT INTO djcelery_periodictask (${columns}, date_changed) SELECT ${values}, now() FROM generate_series(1, ${k}) AS n`;
    case 'sqlite':
      return `INSERT INTO djcelery_periodictask (${columns}, date_changed) WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${k}) SELECT ${values}, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') FROM s`;
    case 'mysql': {
      // Recursive CTEs stop at 1,000 rows by default here: digits crossed instead.
      const digits = '(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
      const numbers = `(SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d AS n FROM ${digits} a, ${digits} b, ${digits} c, ${digits} e, ${digits} f) s`;
      return `INSERT INTO djcelery_periodictask (${columns}, date_changed) SELECT ${values.replace("'bulk-' || n", "CONCAT('bulk-', n)")}, UTC_TIMESTAMP(3) FROM ${numbers} WHERE n <= ${k}`;
    }
  }
}

export async function measureBulkInsert(db: Database, runs: number, log: (m: string) => void): Promise<Record<string, VariantResult>> {
  const interval = await db.prisma.intervalSchedule.upsert({
    where: { every_period: { every: 1, period: 'hours' } },
    create: { every: 1, period: 'hours' },
    update: {},
  });
  const results: Record<string, VariantResult> = {};
  for (const k of BULK_SIZES) {
    const timed = await repeat(runs, async (index) => {
      await db.prisma.$executeRawUnsafe(`DELETE FROM djcelery_periodictask WHERE name LIKE 'bulk-%'`);
      const before = await markerVersion(db);
      const started = performance.now();
      const inserted = await db.prisma.$executeRawUnsafe(insertSql(db, k, interval.id));
      const insertS = (performance.now() - started) / 1000;
      if (inserted !== k) throw new Error(`bulk insert wrote ${inserted} rows, not ${k}`);
      const bumps = (await markerVersion(db)) - before;
      const deleteStarted = performance.now();
      await db.prisma.$executeRawUnsafe(`DELETE FROM djcelery_periodictask WHERE name LIKE 'bulk-%'`);
      const deleteS = (performance.now() - deleteStarted) / 1000;
      log(`bulk K=${k} run ${index + 1}/${runs}: insert ${insertS.toFixed(3)} s (${Math.round(k / insertS)} rows/s, marker +${bumps}), delete ${deleteS.toFixed(3)} s`);
      return { insert_s: insertS, insert_rows_per_s: k / insertS, delete_s: deleteS, marker_bumps: bumps };
    });
    results[`bulk_insert_k${k}`] = timed;
  }
  return results;
}

async function markerVersion(db: Database): Promise<number> {
  const row = await db.prisma.periodicTasks.findUnique({ where: { ident: 1 } });
  return row?.version ?? 0;
}
