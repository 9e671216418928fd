/**
 * `npm run demo`: the whole system in one process, on a fresh SQLite file
 * and your RabbitMQ or Redis, for a minute (--seconds) or until Ctrl-C. It applies
 * the migrations, writes three periodic tasks, and runs beat, a celery-node
 * worker on the result backend with Celery events on, the snapshot camera
 * and the monitor page, printing what each does; then it stops them in
 * order and prints what the tables hold. Only the parts' public APIs are
 * used, as an application would use them.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createWorker } from 'celery-node';
import type { BrokerLog } from '../broker/log.js';
import { transportOf } from '../broker/url.js';
import { instrumentWorker, PrismaResultBackend, TaskFailedError } from '../backend/index.js';
import { explain } from '../cli/explain.js';
import { checkDatabase } from '../db/preflight.js';
import { PrismaCeleryError } from '../errors.js';
import { migrateDeploy, openDatabase, type Database } from '../index.js';
import { Beat, PeriodicTaskStore } from '../scheduler/index.js';
import { Camera, enableCeleryEvents, type EventsWorker } from '../snapshot/index.js';
import { startMonitorServer, type MonitorServer } from '../web/index.js';
import { chooseBroker, openDemoQueue } from './broker.js';
import { DemoUsageError, parseDemoOptions, USAGE, type DemoOptions } from './options.js';
import { closeLog, messageOf, onBackendEvent, onBeatEvent, onCameraEvent, onEventsReport, say, shortId, shownUrl } from './output.js';
import { periodicTasks, taskFunctions } from './tasks.js';

const CAMERA_FREQ = 2;
const HEARTBEAT_FREQ = 2;

/** What was started, closed in reverse order; a close that fails is reported and the rest still close. */
class Closers {
  readonly #steps: { what: string; close: () => Promise<unknown> }[] = [];

  add(what: string, close: () => Promise<unknown>): void {
    this.#steps.push({ what, close });
  }

  async closeAll(): Promise<void> {
    for (const { what, close } of this.#steps.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        say('demo', `closing ${what} failed: ${messageOf(error)}`);
      }
    }
  }
}

const brokerLog: BrokerLog = (level, message, error) => {
  if (level !== 'info') say('demo', error === undefined ? message : `${message}: ${messageOf(error)}`, level);
};

/** celery-node logs with console.info; its lines join the demo's, with short task ids. */
function routeWorkerLogs(): void {
  // eslint-disable-next-line no-console -- the demo owns its process and reformats celery-node's own log lines
  console.info = (...parts: unknown[]) => {
    const text = parts.map(String).join(' ').replace(/^celery\.node /, '');
    say('worker', text.replace(/\[([0-9a-f]{8})-[0-9a-f-]{27}\]/g, '[$1…]'));
  };
}

async function listen(database: Database, options: DemoOptions, brokerUrl: string, token: string): Promise<MonitorServer> {
  const start = (port: number) =>
    startMonitorServer({ database, port, token, brokerUrl, monitor: { heartbeatFreq: HEARTBEAT_FREQ, cameraFreq: CAMERA_FREQ + 1 } });
  try {
    return await start(options.port ?? 8080);
  } catch (error) {
    const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    if (options.port !== undefined || code !== 'EADDRINUSE') throw error;
    return start(0); // 8080 is taken: any free port
  }
}

/** The broker URL tried last, for the line that explains a failure. */
interface InUse {
  brokerUrl: string | undefined;
}

async function run(options: DemoOptions, stop: Stop, inUse: InUse): Promise<void> {
  const closers = new Closers();
  try {
    const given = options.brokerUrl;
    const { url: brokerUrl, reason } =
      given === undefined ? await chooseBroker(undefined, (url) => (inUse.brokerUrl = url)) : { url: given, reason: options.brokerFrom };
    // A queue of the demo's own, so no other consumer's messages are taken; removed at the end.
    const queue = await openDemoQueue(brokerUrl, brokerLog);
    closers.add(`queue ${queue.name}`, () => queue.remove());

    const databaseUrl = options.databaseUrl ?? `file:${join(mkdtempSync(join(tmpdir(), 'prisma-celery-demo-')), 'demo.db')}`;
    await checkDatabase(databaseUrl, { tables: [], create: true });
    const { applied } = await migrateDeploy(databaseUrl);
    say('setup', `database ${databaseUrl} (${applied.length} migration(s) applied)`);
    const database = await openDatabase(databaseUrl);
    closers.add('the database', () => database.close());

    const transport = transportOf(brokerUrl) === 'redis' ? 'Redis' : 'RabbitMQ';
    say('setup', `broker ${transport} ${shownUrl(brokerUrl)} (${reason}), queue ${queue.name}`);

    const store = new PeriodicTaskStore(database);
    for (const input of periodicTasks(queue.name, new Date())) {
      await store.upsert(input);
      const entry = await store.get(input.name);
      say('schedule', `${input.name}: ${entry?.scheduleText ?? '?'} → ${input.task}(${(input.args ?? []).map((a) => JSON.stringify(a)).join(', ')})`);
    }

    const backend = new PrismaResultBackend(database, { onEvent: onBackendEvent });
    closers.add('the result backend', () => backend.close());

    const nodename = `celery-node-demo@${hostname()}`;
    const camera = new Camera({ database, brokerUrl, freq: CAMERA_FREQ, onEvent: onCameraEvent });
    await camera.start();
    closers.add('the camera', async () => {
      // The worker said goodbye as it closed; let the camera hear it (3 s at most), so its row says offline.
      for (let waited = 0; waited < 3000 && camera.state.isAlive(nodename); waited += 100) await sleep(100);
      await camera.close(); // a final snapshot
    });

    routeWorkerLogs();
    // celery-node talks to either broker itself; its own result backend is replaced before it would connect.
    const worker = createWorker(brokerUrl, brokerUrl, queue.name);
    instrumentWorker(worker, backend, { hostname: nodename });
    // celery-node declares run() private; enableCeleryEvents wraps it.
    enableCeleryEvents(worker as unknown as EventsWorker, { hostname: nodename, freq: HEARTBEAT_FREQ, onReport: onEventsReport });
    for (const [name, fn] of Object.entries(taskFunctions)) worker.register(name, fn);
    // start() resolves once the worker consumes on RabbitMQ, but only when it stops on Redis (its BRPOP
    // loop): wait for its connections instead. It reports its own errors.
    void worker.start();
    await worker.isReady();
    closers.add('the worker', async () => {
      await Promise.race([worker.whenCurrentJobsFinished(), sleep(5000)]);
      await worker.disconnect(); // worker-offline, then the pending result stores
    });

    // The client side: wait for each result beat's messages produce, as an application would.
    const waits = new AbortController();
    const pending = new Set<Promise<void>>();
    const follow = (taskId: string, task: string): void => {
      const waited = backend
        .waitFor(taskId, { timeout: 30_000, interval: 250, signal: waits.signal })
        .then(
          (result) => say('backend', `${task}[${shortId(taskId)}] SUCCESS in celery_taskmeta: ${JSON.stringify(result)}`),
          (error: unknown) => {
            if (error instanceof TaskFailedError) {
              say('backend', `${task}[${shortId(taskId)}] ${error.state} in celery_taskmeta: ${error.excType}: ${error.excMessage.join(', ')}`);
            } else if (!waits.signal.aborted) say('backend', `${task}[${shortId(taskId)}]: ${messageOf(error)}`);
          },
        )
        .finally(() => pending.delete(waited));
      pending.add(waited);
    };
    closers.add('the result waits', async () => {
      await Promise.race([Promise.all(pending), sleep(3000)]);
      waits.abort();
      await Promise.all(pending);
    });

    const beat = new Beat({
      database,
      brokerUrl,
      onEvent: (event) => {
        onBeatEvent(event);
        if (event.type === 'task-sent') follow(event.taskId, event.task);
      },
    });
    await beat.start();
    closers.add('beat', () => beat.close());

    const token = randomBytes(16).toString('hex');
    const monitor = await listen(database, options, brokerUrl, token);
    closers.add('the monitor', () => monitor.close());
    say('monitor', `${monitor.url}  (to change periodic tasks on the page, unlock it with the token ${token})`);
    say('demo', options.seconds === 0 ? 'running until Ctrl-C' : `running for ${options.seconds} s; Ctrl-C stops it sooner`);
    stop.countdown();

    say('demo', `${await stop.reason}: stopping`);
    await closers.closeAll();
    await summary(databaseUrl);
  } finally {
    await closers.closeAll();
  }
}

/** What the tables hold now, read with a connection of its own (the demo's is closed). */
async function summary(databaseUrl: string): Promise<void> {
  await using database = await openDatabase(databaseUrl);
  const { prisma } = database;
  const [success, failure, taskStates, workers, entries] = await Promise.all([
    prisma.taskMeta.count({ where: { status: 'SUCCESS' } }),
    prisma.taskMeta.count({ where: { status: 'FAILURE' } }),
    prisma.taskState.count(),
    prisma.workerState.count(),
    prisma.periodicTask.findMany({ where: { name: { startsWith: 'demo.' } }, select: { name: true, totalRunCount: true }, orderBy: { name: 'asc' } }),
  ]);
  say('summary', `celery_taskmeta (result backend): ${success} SUCCESS, ${failure} FAILURE`);
  say('summary', `djcelery_taskstate, djcelery_workerstate (camera): ${taskStates} task row(s), ${workers} worker row(s)`);
  say('summary', `djcelery_periodictask (beat): ${entries.map((e) => `${e.name} sent ${e.totalRunCount}×`).join(', ')}`);
  say('summary', `the database stays for a look: npx tsx src/cli/main.ts serve --database-url ${databaseUrl}`);
}

interface Stop {
  /** What stopped the demo: the time being up, or the first SIGINT/SIGTERM. A second signal exits at once. */
  readonly reason: Promise<string>;
  /** Starts the --seconds clock: the demo runs that long once everything is up, however slow the start was. */
  countdown(): void;
}

function stopSignal(seconds: number): Stop {
  let stopping = false;
  let resolve: (reason: string) => void = () => {};
  const reason = new Promise<string>((settle) => (resolve = settle));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      say('demo', `${signal} again: exiting without cleaning up`);
      process.exit(130);
    }
    stopping = true;
    resolve(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const countdown = (): void => {
    if (seconds === 0) return;
    setTimeout(() => {
      stopping = true;
      resolve(`${seconds} s are up`);
    }, seconds * 1000).unref();
  };
  return { reason, countdown };
}

async function main(): Promise<number> {
  let options: DemoOptions;
  try {
    options = parseDemoOptions(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof DemoUsageError)) throw error;
    process.stderr.write(`prisma-celery demo: ${error.message} (npm run demo -- --help)\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const inUse: InUse = { brokerUrl: options.brokerUrl };
  try {
    await run(options, stopSignal(options.seconds), inUse);
  } catch (error) {
    // The package's typed errors say what to do in one line; anything else is a bug, shown with its stack.
    if (!(error instanceof PrismaCeleryError)) throw error;
    const origins = { brokerUrl: options.brokerFrom, databaseUrl: options.databaseUrl === undefined ? "the demo's fresh file" : '--database-url' };
    const { line, exitCode } = explain(error, { origins, databaseUrl: options.databaseUrl, brokerUrl: inUse.brokerUrl, command: undefined });
    process.stderr.write(`prisma-celery demo: ${line}\n`);
    return exitCode;
  } finally {
    closeLog();
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
    // Everything is closed; should a library still hold the event loop, do not hang the terminal.
    setTimeout(() => process.exit(code), 3000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`prisma-celery demo: ${String((error as Error).stack ?? error)}\n`);
    process.exit(1);
  },
);
