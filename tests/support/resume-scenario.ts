// One database outage, measured: beat, the camera and the result backend
// run on a database that goes away (a real server crash, or SQLite's write
// lock held by another connection) and comes back. Reported: how long after
// its return each was back at work, and what each did meanwhile (runs sent
// and claimed, tasks written, stores committed).
import { randomBytes, randomUUID } from 'node:crypto';
import { PrismaResultBackend } from '../../src/backend/index.js';
import type { TaskMessage } from '../../src/core/protocol/index.js';
import { openDatabase, type Database, type OpenOptions } from '../../src/db/open.js';
import type { Provider } from '../../src/db/url.js';
import { migrateDeploy } from '../../src/migrate/index.js';
import { Beat, PeriodicTaskStore, type BeatEvent } from '../../src/scheduler/index.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import { publishTasks } from './celery-events.js';
import { TestDatabase } from './databases.js';
import { startPrivateServer } from './private-servers.js';
import { databaseOutage } from './tcp-proxy.js';
import { waitFor } from './wait.js';

/** A database of the test's own that can be taken away and brought back. */
export interface Outage {
  readonly provider: Provider;
  readonly url: string;
  /** Takes it away: the server is killed (PostgreSQL, MariaDB), or another connection holds the write lock (SQLite). */
  down(): Promise<void>;
  /** Brings it back; resolves with the instant (Date.now()) it answers again. */
  up(): Promise<number>;
  close(): Promise<void>;
}

/** A migrated database on a private server (or a SQLite file), ready to be taken down. */
export async function openOutage(provider: Provider): Promise<Outage> {
  if (provider === 'sqlite') {
    const testDb = new TestDatabase('sqlite');
    await testDb.create();
    await migrateDeploy(testDb.url);
    const lock = await databaseOutage(testDb);
    return {
      provider,
      url: testDb.url,
      down: () => lock.cut(),
      async up() {
        await lock.restore();
        return Date.now();
      },
      async close() {
        await lock.restore();
        await testDb.drop();
      },
    };
  }
  const server = await startPrivateServer(provider);
  try {
    const url = await server.createDatabase(`pc_crash_${randomBytes(3).toString('hex')}`);
    await migrateDeploy(url);
    const down = async () => {
      await server.quiet();
      await server.crash();
    };
    return { provider, url, down, up: () => server.start(), close: () => server.destroy() };
  } catch (error) {
    await server.destroy();
    throw error;
  }
}

export interface ResumeOptions {
  brokerUrl: string;
  /** How long the database stays away, from the moment it went. */
  downMs: number;
  /** The camera's freq, seconds. */
  cameraFreq: number;
  /** Celery tasks whose events arrive while the database is away. */
  tasks: number;
  /** Results stored while the database is away. */
  stores: number;
  /** How beat, the camera and the backend open the database. Default: as the package does. */
  database?: OpenOptions;
  log?: (line: string) => void;
}

export interface ResumeResult {
  /** Milliseconds from the database's return to: beat's first send, the camera's first snapshot, the last store committed. */
  beatMs: number;
  cameraMs: number;
  backendMs: number;
  /** Runs sent, and runs the table says were claimed: equal when none was lost or sent twice. */
  sends: number;
  claimed: number;
  /** Task ids sent more than once. */
  duplicateSends: number;
  /** Sends after beat's first failed tick and before the database was started again: runs it could not have claimed. */
  sendsWhileDown: number;
  /** Entries not sent again after the return. */
  entriesNotResumed: number;
  /** Celery events the camera received (three per task), and its tasks stored as SUCCESS. */
  eventsReceived: number;
  tasksWritten: number;
  storesCommitted: number;
  storesFailed: number;
}

const ENTRIES = 4;

export async function measureResume(outage: Outage, options: ResumeOptions): Promise<ResumeResult> {
  const log = options.log ?? (() => {});
  const began = Date.now();
  const polling = { timeoutMs: 90_000, intervalMs: 10 };
  const check = await openDatabase(outage.url);
  const tasks = new PeriodicTaskStore(check);
  const names = Array.from({ length: ENTRIES }, (_, i) => `entry-${i}-${randomBytes(3).toString('hex')}`);
  for (const name of names) await tasks.create({ name, task: 'tasks.add', schedule: { every: 1 }, args: [name], startTime: new Date() });
  const databases: Database[] = [];
  const open = async () => {
    const db = await openDatabase(outage.url, options.database);
    databases.push(db);
    return db;
  };

  const sends: { entry: string; id: string; at: number }[] = [];
  const beatEvents: BeatEvent[] = [];
  let firstFailureAt = Infinity;
  const beat = new Beat({
    database: await open(),
    publisher: {
      publish: async (message: TaskMessage) => {
        const [args] = JSON.parse(message.content.toString()) as [string[]];
        sends.push({ entry: args[0] ?? '', id: message.id, at: Date.now() });
      },
    },
    onEvent: (event) => {
      beatEvents.push(event);
      if (event.type === 'tick-failed') firstFailureAt = Math.min(firstFailureAt, Date.now());
    },
  });
  const snapshots: number[] = [];
  const camera = new Camera({
    database: await open(),
    brokerUrl: options.brokerUrl,
    freq: options.cameraFreq,
    onEvent: (event) => {
      if (event.type === 'snapshot' && event.summary.tasksWritten > 0) snapshots.push(Date.now());
    },
  });
  let retries = 0;
  const backend = new PrismaResultBackend(outage.url, {
    ...(options.database && { database: options.database }),
    onEvent: (event) => void (event.type === 'retry' && retries++),
  });
  const hostname = `resume-${randomBytes(3).toString('hex')}@test`;
  const stores: { id: string; settled: Promise<number | Error> }[] = [];
  let backAt = 0;
  let downAt = 0;
  // The server may answer beat's probe a little before it answers the poll that times its return.
  let upAt = 0;
  const during = Array.from({ length: options.tasks }, () => randomUUID());
  try {
    await Promise.all([beat.start(), camera.start(), backend.start()]);
    log(`${outage.provider}: started after ${Date.now() - began} ms`);
    await waitFor('the camera to consume', () => camera.brokerConnected, polling);
    await waitFor('a run of each entry', () => names.every((n) => sends.some((s) => s.entry === n)), polling);
    await backend.markSucceeded(`before-${randomBytes(4).toString('hex')}`, 1);

    log(`${outage.provider}: warmed up after ${Date.now() - began} ms`);
    await outage.down();
    downAt = Date.now();
    log(`${outage.provider}: down`);
    await publishTasks(options.brokerUrl, during, hostname);
    for (let i = 0; i < options.stores; i++) {
      const id = `during-${i}-${randomBytes(4).toString('hex')}`;
      stores.push({
        id,
        settled: backend.markSucceeded(id, i).then(
          () => Date.now(),
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        ),
      });
    }
    // Each has met the outage before it ends.
    await Promise.all([
      waitFor('a failed tick', () => beatEvents.some((e) => e.type === 'tick-failed'), polling).then(() => log(`beat failed after ${Date.now() - downAt} ms`)),
      waitFor('a failed snapshot', () => camera.stats().snapshotFailures > 0, polling).then(() => log(`camera failed after ${Date.now() - downAt} ms`)),
      waitFor('a store retried', () => retries > 0, polling).then(() => log(`backend retried after ${Date.now() - downAt} ms`)),
    ]);
    const rest = downAt + options.downMs - Date.now();
    if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
    upAt = Date.now();
    backAt = await outage.up();
    log(`${outage.provider}: back after ${backAt - downAt} ms`);
    await waitFor('a send after the return', () => sends.some((s) => s.at >= upAt), polling);
    await waitFor('a snapshot after the return', () => snapshots.some((at) => at >= upAt), polling);
    await Promise.all(stores.map((s) => s.settled));
    // Each entry once more, so that a lost run would show.
    await waitFor('a run of each entry after the return', () => names.every((n) => sends.some((s) => s.entry === n && s.at >= upAt)), polling);
    log(`${outage.provider}: all resumed after ${Date.now() - backAt} ms`);
  } finally {
    if (downAt > backAt) await outage.up();
    await beat.close();
    await camera.close();
    await backend.close();
    log(`${outage.provider}: closed after ${Date.now() - began} ms`);
    for (const db of databases) await db.close();
  }
  const settled = await Promise.all(stores.map((s) => s.settled));
  const committed = await check.prisma.taskMeta.count({ where: { taskId: { in: stores.map((s) => s.id) }, status: 'SUCCESS' } });
  const written = await check.prisma.taskState.count({ where: { taskId: { in: during }, state: 'SUCCESS' } });
  const rows = await check.prisma.periodicTask.findMany({ where: { name: { in: names } }, select: { totalRunCount: true } });
  await check.prisma.periodicTask.deleteMany({ where: { name: { in: names } } });
  await check.close();
  const ids = new Set(sends.map((s) => s.id));
  return {
    beatMs: Math.max(0, Math.min(...sends.filter((s) => s.at >= upAt).map((s) => s.at)) - backAt),
    cameraMs: Math.max(0, Math.min(...snapshots.filter((at) => at >= upAt)) - backAt),
    backendMs: Math.max(backAt, ...settled.filter((s): s is number => typeof s === 'number')) - backAt,
    sends: sends.length,
    claimed: rows.reduce((n, row) => n + row.totalRunCount, 0),
    duplicateSends: sends.length - ids.size,
    sendsWhileDown: sends.filter((s) => s.at > firstFailureAt && s.at < upAt).length,
    entriesNotResumed: names.filter((n) => !sends.some((s) => s.entry === n && s.at >= upAt)).length,
    eventsReceived: camera.stats().events,
    tasksWritten: written,
    storesCommitted: committed,
    storesFailed: settled.filter((s) => s instanceof Error).length,
  };
}
