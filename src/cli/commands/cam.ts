import {
  brokerUrl,
  camCleanupInterval,
  camExpireError,
  camExpirePending,
  camExpireSuccess,
  camFreq,
  camMaxrate,
  databaseUrl,
  logLevel,
} from '../../config/settings.js';
import { openDatabase } from '../../db/open.js';
import { redactUrl } from '../../db/url.js';
import { parseRate } from '../../snapshot/camera/rate-limit.js';
import { cameraLog } from '../camera-log.js';
import { TABLES } from '../checks.js';
import { defineCommand, UsageError } from '../command.js';
import { createLogger } from '../log.js';
import { untilSignal } from '../process-life.js';

export const cam = defineCommand({
  usage: 'cam [options]',
  description:
    "Listens to the Celery event stream (workers started with -E) and keeps djcelery_workerstate and djcelery_taskstate " +
    'current: a snapshot every --freq seconds, old rows expired by state, tasks whose events were missed completed ' +
    'from celery_taskmeta. SIGINT or SIGTERM writes a final snapshot and exits.',
  settings: [databaseUrl, brokerUrl, camFreq, camMaxrate, camExpireSuccess, camExpireError, camExpirePending, camCleanupInterval, logLevel],

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
        onEvent: cameraLog(log),
      });
      const stop = untilSignal();
      await camera.start();
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
