/**
 * W3 at K = 1,000,000, the beat side, run as a process of its own so that
 * its RSS is beat's alone, on the built package under plain node, as users
 * run it (under tsx the same load held 250 MB more and took longer):
 * w3-million.ts transpiles this file to .bench/beat-million.mjs and runs
 * it with BEAT_PACKAGE (the package's dist/ folder), BEAT_DATABASE_URL,
 * BEAT_BROKER_URL, BEAT_DUE (the overdue runs seeded), BEAT_STEADY_S and
 * BEAT_EDIT_NAME. Prints one JSON line of metrics:
 * - load_s: Beat.start() (the schedule read and held);
 * - rss_mb / heap_mb after the load, peak_rss_mb over the whole run;
 * - drain_s and drain_sends_per_s: until the BEAT_DUE overdue runs are sent;
 * - steady: over BEAT_STEADY_S after that (and 10 s for the runs that came
 *   due meanwhile), runs sent per second, how many were sent more than a
 *   second after they were due, and beat's CPU %;
 * - notice_s: one entry's kwargs edited through the public API, until the
 *   running beat holds them, for each of 5 edits.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Open from '../src/db/open.js';
import type * as Scheduler from '../src/scheduler/index.js';
import type { BeatEvent, DatabaseScheduler } from '../src/scheduler/index.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

const built = (path: string) => pathToFileURL(join(env('BEAT_PACKAGE'), path)).href;
const { Beat, PeriodicTaskStore } = (await import(built('scheduler/index.js'))) as typeof Scheduler;
const { openDatabase } = (await import(built('db/open.js'))) as typeof Open;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number): number => Math.round(bytes / 1048576);
const LATE_S = 1;
/** The seeded overdue runs are two days late; nothing else is an hour late. */
const OVERDUE_S = 3600;
const SETTLE_S = 10;

async function main(): Promise<void> {
  const due = Number(env('BEAT_DUE'));
  const steadyS = Number(env('BEAT_STEADY_S'));
  const database = await openDatabase(env('BEAT_DATABASE_URL'));
  let overdue = 0;
  let sent = 0;
  let late = 0;
  let failures = 0;
  const onEvent = (event: BeatEvent): void => {
    if (process.env.BEAT_DEBUG) process.stderr.write(`${JSON.stringify(event)}\n`);
    if (event.type === 'task-sent') {
      const lateBy = event.lateBy ?? 0;
      if (lateBy > OVERDUE_S) overdue++;
      else {
        sent++;
        if (lateBy > LATE_S) late++;
      }
    } else if (['tick-failed', 'publish-failed', 'run-lost', 'entry-disabled'].includes(event.type)) failures++;
  };
  const beat = new Beat({ database, brokerUrl: env('BEAT_BROKER_URL'), maxInterval: 5, onEvent });
  const started = performance.now();
  await beat.start();
  const loadS = (performance.now() - started) / 1000;
  global.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  const drainStarted = performance.now();
  while (overdue < due) {
    if (performance.now() - drainStarted > 300_000) throw new Error(`only ${overdue} of ${due} overdue runs sent in 300 s`);
    await sleep(5);
  }
  const drainS = (performance.now() - drainStarted) / 1000;
  // Runs that came due while the schedule loaded and the overdue ones drained are sent late, once: not counted.
  await sleep(SETTLE_S * 1000);

  const before = { sent, late, cpu: process.cpuUsage(), at: performance.now() };
  await sleep(steadyS * 1000);
  const cpu = process.cpuUsage(before.cpu);
  const windowS = (performance.now() - before.at) / 1000;

  const scheduler = beat.scheduler as DatabaseScheduler;
  const tasks = new PeriodicTaskStore(database);
  const name = env('BEAT_EDIT_NAME');
  const id = (await database.prisma.periodicTask.findUniqueOrThrow({ where: { name } })).id;
  const notice: number[] = [];
  for (let edit = 0; edit < 5; edit++) {
    await sleep(1000 + 317 * edit);
    const n = 1_000_000 + edit;
    const committed = performance.now();
    await tasks.update(name, { kwargs: { n } });
    while ((scheduler.entry(id)?.kwargs as { n?: number } | undefined)?.n !== n) {
      if (performance.now() - committed > 30_000) throw new Error(`edit ${edit + 1} not noticed within 30 s`);
      await sleep(1);
    }
    notice.push((performance.now() - committed) / 1000);
  }
  await beat.close();
  await database.close();
  process.stdout.write(
    `${JSON.stringify({
      entries: scheduler.size,
      load_s: loadS,
      rss_mb: mb(rss),
      heap_mb: mb(heapUsed),
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      drain_s: drainS,
      drain_sends_per_s: due / drainS,
      steady_runs_per_s: (sent - before.sent) / windowS,
      steady_late: late - before.late,
      steady_cpu_pct: ((cpu.user + cpu.system) / 1000 / (windowS * 1000)) * 100,
      notice_s: notice,
      failures,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
