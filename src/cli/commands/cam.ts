import {
  brokerUrl,
  camCleanupInterval,
  camEnableEvents,
  camExpireError,
  camExpirePending,
  camExpireSuccess,
  camFreq,
  camMaxrate,
  camMetricsPort,
  camSharedQueue,
  databaseUrl,
  logLevel,
  serveHost,
} from '../../config/settings.js';
import { causeLine } from '../../db/adapter-error.js';
import { openDatabase } from '../../db/open.js';
import type { CameraStats } from '../../snapshot/camera/events.js';
import { redactUrl } from '../../db/url.js';
import { parseRate } from '../../snapshot/camera/rate-limit.js';
import { cameraLog } from '../camera-log.js';
import { TABLES } from '../checks.js';
import { defineCommand, UsageError } from '../command.js';
import { createLogger } from '../log.js';
import { untilSignal } from '../process-life.js';
import type { ComponentLog } from '../log.js';

/** How often --enable-events asks again: workers started since then, or restarted without -E, send events too. */
const ENABLE_EVENTS_EVERY_MS = 60_000;

/** Broadcasts enable_events now and every minute until disposed. */
async function keepEventsOn(brokerUrl: string, log: ComponentLog): Promise<AsyncDisposable> {
  const { Control } = await import('../../control/control.js');
  const control = new Control({ brokerUrl, connectionName: 'prisma-celery camera control' });
  await control.start();
  const ask = async (): Promise<void> => {
    try {
      const { replies } = await control.enableEvents();
      const hosts = Object.keys(replies);
      log('info', `enable_events: ${hosts.length === 0 ? 'no worker answered' : `answered by ${hosts.sort().join(', ')}`}`);
    } catch (error) {
      log('warn', `enable_events not sent: ${(error as Error).message}`);
    }
  };
  let asking = ask();
  const timer = setInterval(() => (asking = ask()), ENABLE_EVENTS_EVERY_MS);
  return {
    async [Symbol.asyncDispose]() {
      clearInterval(timer);
      await asking;
      await control.close();
    },
  };
}

/** The camera's counters at /metrics on a port of its own; closed before the final snapshot's summary. */
async function serveMetrics(camera: { stats(): CameraStats }, host: string, port: number, log: ComponentLog): Promise<AsyncDisposable> {
  const [{ Metrics }, { startMetricsServer }] = await Promise.all([import('../../web/metrics/metrics.js'), import('../../web/metrics/metrics-server.js')]);
  const server = await startMetricsServer(new Metrics({ camera }), { host, port, onError: (message, error) => log('error', `${message}: ${causeLine(error)}`) });
  log('info', `Prometheus metrics on ${server.url}`);
  return server;
}

export const cam = defineCommand({
  usage: 'cam [options]',
  description:
    "Listens to the Celery event stream (workers started with -E) and keeps djcelery_workerstate and djcelery_taskstate " +
    'current: a snapshot every --freq seconds, old rows expired by state, tasks whose events were missed completed ' +
    "from celery_taskmeta. With --metrics-port, the camera's counters are Prometheus text at /metrics on that port. " +
    'SIGINT or SIGTERM writes a final snapshot and exits.',
  settings: [databaseUrl, brokerUrl, camFreq, camMaxrate, camExpireSuccess, camExpireError, camExpirePending, camCleanupInterval, camSharedQueue, camEnableEvents, camMetricsPort, serveHost, logLevel],

  async run({ positionals, settings, err, check }) {
    if (positionals.length > 0) throw new UsageError(`cam takes no arguments, got ${positionals.join(' ')}`);
    await check.database({ tables: [...TABLES.camera, ...TABLES.results], create: false });
    await check.broker();
    const maxrate = settings.camMaxrate === undefined ? null : parseRate(settings.camMaxrate);
    const logger = createLogger({ threshold: settings.logLevel, write: err });
    const log = logger.for('cam');
    // Loaded once the checks pass, so a wrong setting is answered without loading Prisma.
    const { Camera } = await import('../../snapshot/camera/camera.js');
    const database = await openDatabase(settings.databaseUrl);
    try {
      const camera = new Camera({
        database,
        brokerUrl: settings.brokerUrl,
        freq: settings.camFreq,
        maxrate,
        expireSuccess: settings.camExpireSuccess || null,
        expireError: settings.camExpireError || null,
        expirePending: settings.camExpirePending || null,
        cleanupInterval: settings.camCleanupInterval,
        sharedQueue: settings.camSharedQueue ?? null,
        onEvent: cameraLog(log),
      });
      const stop = untilSignal();
      await camera.start();
      await using _events = settings.camEnableEvents ? await keepEventsOn(settings.brokerUrl, log) : null;
      await using _metrics = settings.camMetricsPort === undefined ? null : await serveMetrics(camera, settings.serveHost, settings.camMetricsPort, log);
      log('info', `camera started: snapshots every ${settings.camFreq}s${maxrate === null ? '' : ` (at most ${settings.camMaxrate})`} of ${redactUrl(settings.brokerUrl)} into ${database.provider}`);
      const signal = await stop;
      log('info', `${signal}: writing the final snapshot`);
      await camera.close();
      const stats = camera.stats();
      log('info', `${stats.events} events, ${stats.tasksWritten} task rows written, ${stats.decodeProblems} bad events, ${stats.snapshotFailures} failed snapshots`);
      return stats.pendingTasks > 0 ? 1 : 0;
    } finally {
      await database.close();
      logger.close();
    }
  },
});
