/**
 * W3 at K = 1,000,000 (issue 17's target): the table is seeded by the
 * database itself (one INSERT … SELECT over the numbers 1..K, not timed),
 * with W3's schedules (24 intervals every 1..24 h, 24 crontabs two hours
 * ahead; task i on interval ⌊i/2⌋ mod 24 if even, crontab if odd; args
 * [i, "x"], kwargs {"n": i}), except that each interval entry's last run is
 * spread over its period, so that runs come due steadily (about 30 a
 * second), and D = 10,000 spread-out entries ran two days ago (overdue at
 * start). Beat then runs in a process of its own from the built package
 * (beat-million.ts), whose metrics are the variant's.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import type { Database } from '../../src/db/open.js';
import { projectRoot } from '../databases.js';
import { median, repeat } from '../stats.js';
import type { VariantResult } from '../workload.js';

export const MILLION = 1_000_000;
const OVERDUE = 10_000;
const SCHEDULES = 24;
const STEADY_S = 30;

const run = promisify(execFile);

/** The seed as one statement per provider; `n` numbers the rows 1..K. */
function seedSql(db: Database, k: number, intervalBase: number, crontabBase: number): string {
  const columns =
    'name, task, interval_id, crontab_id, args, kwargs, headers, enabled, one_off, last_run_at, total_run_count, date_changed, description';
  const slot = `((n ${db.provider === 'mysql' ? 'DIV' : '/'} 2) % ${SCHEDULES})`;
  const overdue = `n % ${k / OVERDUE} = 0`;
  // The fraction of its period since an interval entry last ran: n·φ mod 1, evenly spread.
  const spreadS = `((${slot} + 1) * 3600 * ((n * 0.6180339887) - FLOOR(n * 0.6180339887)))`;
  const ago = `CASE WHEN ${overdue} THEN 172800 WHEN n % 2 = 0 THEN ${spreadS} ELSE 0 END`;
  const ids = `CASE WHEN n % 2 = 0 THEN ${intervalBase} + ${slot} END, CASE WHEN n % 2 = 1 THEN ${crontabBase} + ${slot} END`;
  const rest = `'tasks.add', ${ids}`;
  switch (db.provider) {
    case 'postgresql':
      return (
        `INSERT INTO djcelery_periodictask (${columns}) SELECT 'w3-' || lpad(n::text, 7, '0'), ${rest}, ` +
        `'[' || n || ', "x"]', '{"n": ' || n || '}', '{}', true, false, now() - (${ago}) * interval '1 second', 0, now(), '' ` +
        `FROM generate_series(1, ${k}) AS n`
      );
    case 'sqlite':
      return (
        `INSERT INTO djcelery_periodictask (${columns}) WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ${k}) ` +
        `SELECT 'w3-' || printf('%07d', n), ${rest}, '[' || n || ', "x"]', '{"n": ' || n || '}', '{}', true, false, ` +
        `strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-' || (${ago}) || ' seconds'), 0, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'), '' FROM s`
      );
    case 'mysql': {
      // Recursive CTEs stop at 1,000 rows by default here: digits crossed instead.
      const digits =
        '(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
      const numbers = `(SELECT 1 + a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 100000 * g.d AS n FROM ${[...'abcefg'].map((t) => `${digits} ${t}`).join(', ')}) s`;
      return (
        `INSERT INTO djcelery_periodictask (${columns}) SELECT CONCAT('w3-', LPAD(n, 7, '0')), ${rest}, ` +
        `CONCAT('[', n, ', "x"]'), CONCAT('{"n": ', n, '}'), '{}', 1, 0, ` +
        `DATE_SUB(UTC_TIMESTAMP(3), INTERVAL ROUND((${ago}) * 1000000) MICROSECOND), 0, UTC_TIMESTAMP(3), '' FROM ${numbers} WHERE n <= ${k}`
      );
    }
  }
}

/** Creates the 24 + 24 schedules with consecutive ids; returns the first of each. */
async function seedSchedules(db: Database, now: Date): Promise<{ intervalBase: number; crontabBase: number }> {
  const intervals: number[] = [];
  const crontabs: number[] = [];
  for (let j = 0; j < SCHEDULES; j++) {
    intervals.push((await db.prisma.intervalSchedule.create({ data: { every: j + 1, period: 'hours' } })).id);
    const hour = String((now.getUTCHours() + 2) % 24);
    crontabs.push((await db.prisma.crontabSchedule.create({ data: { minute: String((7 * j) % 60), hour, timezone: 'UTC' } })).id);
  }
  const consecutive = (ids: number[]) => ids.every((id, j) => id === ids[0]! + j);
  if (!consecutive(intervals) || !consecutive(crontabs)) throw new Error('the seed needs consecutive schedule ids; empty the bench tables');
  return { intervalBase: intervals[0]!, crontabBase: crontabs[0]! };
}

export async function measureMillion(
  db: Database,
  url: string,
  brokerUrl: string,
  empty: () => Promise<void>,
  runs: number,
  log: (m: string) => void,
): Promise<Record<string, VariantResult>> {
  // Beat runs from the built package under plain node (beat-million.ts says why).
  await run('npm', ['run', 'build'], { cwd: projectRoot });
  const child = resolve(projectRoot, '.bench/beat-million.mjs');
  const source = readFileSync(resolve(projectRoot, 'bench/beat-million.ts'), 'utf8');
  mkdirSync(dirname(child), { recursive: true });
  writeFileSync(child, ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
  const timed = await repeat(runs, async (index) => {
    await empty();
    const seedStarted = performance.now();
    const { intervalBase, crontabBase } = await seedSchedules(db, new Date());
    const inserted = await db.prisma.$executeRawUnsafe(seedSql(db, MILLION, intervalBase, crontabBase));
    if (inserted !== MILLION) throw new Error(`the seed wrote ${inserted} rows, not ${MILLION}`);
    // The table as a beat restarting on a live table finds it, as autovacuum leaves it within a
    // minute of the INSERT: without statistics, PostgreSQL's planner may take the change_version
    // index (one version for the whole INSERT) over the primary key for each claim; and a read
    // racing autovacuum's first pass over a million new rows, or the checkpoint that writes the
    // pages it touched, took 11-13 s instead of 8.
    if (db.provider === 'mysql') await db.prisma.$queryRawUnsafe('ANALYZE TABLE djcelery_periodictask');
    else if (db.provider === 'sqlite') await db.prisma.$executeRawUnsafe('ANALYZE');
    else {
      await db.prisma.$executeRawUnsafe('VACUUM ANALYZE djcelery_periodictask');
      await db.prisma.$executeRawUnsafe('CHECKPOINT');
    }
    log(`K=${MILLION} run ${index + 1}/${runs}: seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);
    const { stdout } = await run(process.execPath, ['--expose-gc', child], {
      cwd: projectRoot,
      env: {
        ...process.env,
        BEAT_PACKAGE: resolve(projectRoot, 'dist'),
        BEAT_DATABASE_URL: url,
        BEAT_BROKER_URL: brokerUrl,
        BEAT_DUE: String(OVERDUE),
        BEAT_STEADY_S: String(STEADY_S),
        BEAT_EDIT_NAME: `w3-${String(Math.floor(MILLION / 3)).padStart(7, '0')}`,
      },
      maxBuffer: 1 << 20,
    });
    const metrics = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number> & { notice_s: number[] };
    if (metrics.failures !== 0) throw new Error(`beat reported ${metrics.failures} failure event(s)`);
    if (metrics.entries !== MILLION) throw new Error(`beat held ${metrics.entries} entries, not ${MILLION}`);
    log(`K=${MILLION} run ${index + 1}/${runs}: ${JSON.stringify(metrics)}`);
    const { entries: _entries, failures: _failures, notice_s: notice, ...measured } = metrics;
    return { ...measured, notice_s: median(notice) };
  });
  return { k1000000: timed };
}
