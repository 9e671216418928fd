import {
  auditRetention,
  beatMaxInterval,
  beatSchedule,
  beatScheduler,
  beatStopTimeout,
  brokerUrl,
  databaseUrl,
  layout,
  logLevel,
  resultExpires,
} from '../../config/settings.js';
import { ConfigError } from '../../errors.js';
import { describeEvent, type BeatEvent } from '../../scheduler/events.js';
import { parseStaticSchedule } from '../../scheduler/static-schedule.js';
import { TABLES } from '../checks.js';
import { defineCommand, UsageError } from '../command.js';
import { foldOf, levelOf } from '../beat-log.js';
import { createLogger } from '../log.js';

export const beat = defineCommand({
  usage: 'beat [options]',
  description:
    'Runs Celery beat on the database: sends each periodic task in the djcelery_* tables (or, with --layout django, ' +
    "django-celery-beat's) to the broker as a " +
    'Celery protocol-2 message when it is due. Edits made while it runs (prisma-celery schedule, the API, ' +
    'Prisma Studio, plain SQL) are picked up within half a second. Several beats may share one database: each run ' +
    'is claimed in the database before it is sent, so exactly one beat takes it. When --expires is above 0, ' +
    "Celery's celery.backend_cleanup entry (daily at 04:00 UTC) is installed. Stops within --stop-timeout on SIGINT or SIGTERM.",
  settings: [databaseUrl, layout, brokerUrl, beatScheduler, beatMaxInterval, beatStopTimeout, beatSchedule, resultExpires, auditRetention, logLevel],

  async run({ positionals, settings, err, check }) {
    if (positionals.length > 0) throw new UsageError(`beat takes no arguments, got ${positionals.join(' ')}`);
    let schedule;
    try {
      schedule = parseStaticSchedule(settings.beatSchedule ?? {});
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(`beatSchedule: ${error.message}`, { cause: error });
    }
    const logger = createLogger({ threshold: settings.logLevel, write: err });
    const say = logger.for('beat');
    const log = (event: BeatEvent): void => say(levelOf(event), describeEvent(event), foldOf(event));
    // Django's tables (--layout django) are checked, column by column, when the scheduler starts.
    await check.database({ tables: settings.layout === 'django' ? [] : [...TABLES.periodic, 'djcelery_beatstate'], create: false });
    await check.broker();
    // Loaded once the checks pass, so a wrong setting is answered without loading Prisma.
    const { Beat } = await import('../../scheduler/beat.js');
    const beat = new Beat({
      databaseUrl: settings.databaseUrl,
      layout: settings.layout,
      brokerUrl: settings.brokerUrl,
      scheduler: settings.beatScheduler,
      maxInterval: settings.beatMaxInterval,
      stopTimeout: settings.beatStopTimeout,
      schedule,
      resultExpires: settings.resultExpires,
      auditRetention: settings.auditRetention,
      onEvent: log,
    });
    // The first signal stops after the tick under way; a second one is the user insisting.
    // Listening before start() means a signal during start-up also stops cleanly.
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        say('warn', `${signal} again: exiting now`);
        logger.close();
        process.exit(130);
      }
      stopping = true;
      say('info', `${signal}: stopping after the current tick`);
      void beat.close();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      await beat.start();
      await beat.stopped;
      await beat.close();
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      logger.close();
    }
    return 0;
  },
});
