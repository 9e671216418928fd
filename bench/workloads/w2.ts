/**
 * W2, result expiry: M rows seeded with multi-row inserts (row i < M/2
 * expired, date_done = T − 1 day − 1 hour − (M/2 − i) s; the rest live,
 * date_done = T − (M − i) s), ANALYZE, then the public cleanup with
 * expires = 1 day timed: hidden flag and all. Reports cleanup_s, deleted
 * rows/s and the longest single statement (about the longest lock held).
 */
import { PrismaResultBackend } from '../../src/backend/index.js';
import type { Database } from '../../src/db/open.js';
import { uuidSource } from '../data.js';
import { repeat } from '../stats.js';
import type { Workload } from '../workload.js';
import { countRows, emptyTables, openBackendDatabase } from './w1.js';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const ROWS_PER_INSERT = 1000;
const COLUMNS = 5;

const RESULT = '{"status": "ok"}';

async function seed(db: Database, m: number, nextId: () => string, t: number): Promise<void> {
  const p = db.dialect.param;
  for (let start = 0; start < m; start += ROWS_PER_INSERT) {
    const count = Math.min(ROWS_PER_INSERT, m - start);
    const tuples: string[] = [];
    const values: unknown[] = [];
    for (let r = 0; r < count; r++) {
      const i = start + r;
      const doneMs = i < m / 2 ? t - DAY_MS - HOUR_MS - (m / 2 - i) * 1000 : t - (m - i) * 1000;
      const base = r * COLUMNS;
      tuples.push(`(${[1, 2, 3, 4, 5].map((c) => p(base + c)).join(', ')}, false)`);
      values.push(nextId(), 'SUCCESS', RESULT, new Date(doneMs), new Date(doneMs));
    }
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO celery_taskmeta (task_id, status, result, date_done, date_created, hidden) VALUES ${tuples.join(', ')}`,
      ...values,
    );
  }
  const analyze = { sqlite: 'ANALYZE', postgresql: 'ANALYZE celery_taskmeta', mysql: 'ANALYZE TABLE celery_taskmeta' }[db.provider];
  if (db.provider === 'mysql') await db.prisma.$queryRawUnsafe(analyze);
  else await db.prisma.$executeRawUnsafe(analyze);
}

export const w2: Workload<{ m: number }> = {
  id: 'w2',
  params: { m: 100_000 },
  async run({ database, params: { m }, runs, log }) {
    const nextId = uuidSource();
    const db = await openBackendDatabase(database);
    const backend = new PrismaResultBackend(db);
    const deleted: number[] = [];
    const liveKept: number[] = [];
    const remaining: number[] = [];
    try {
      const timed = await repeat(runs, async (index) => {
        await emptyTables(db);
        const t = Date.now();
        await seed(db, m, nextId, t);
        const started = performance.now();
        const report = await backend.cleanup({ expires: '1d' });
        const seconds = (performance.now() - started) / 1000;
        deleted.push(report.tasks.deleted);
        remaining.push(await countRows(db));
        liveKept.push(await countRows(db, `WHERE date_done >= ${db.dialect.param(1)}`, new Date(t - DAY_MS)));
        log(
          `cleanup ${index + 1}/${runs}: ${seconds.toFixed(3)} s, ${report.tasks.deleted} deleted in ${report.statements} ` +
            `statements, longest ${report.longestStatementMs.toFixed(1)} ms`,
        );
        return {
          cleanup_s: seconds,
          deleted_per_s: report.tasks.deleted / seconds,
          longest_statement_ms: report.longestStatementMs,
          statements: report.statements,
        };
      });
      return {
        cleanup: {
          ...timed,
          // Exactly M/2 gone in every repeat, and exactly the live half left.
          rows_deleted_min: Math.min(...deleted),
          rows_deleted_max: Math.max(...deleted),
          rows_left_min: Math.min(...remaining),
          rows_left_max: Math.max(...remaining),
          live_rows_kept_min: Math.min(...liveKept),
        },
      };
    } finally {
      await backend.close();
      await db.close();
    }
  },
};
