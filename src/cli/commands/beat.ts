import {
  beatMaxInterval,
  beatSchedule,
  beatScheduler,
  beatStopTimeout,
  brokerUrl,
  databaseUrl,
  logLevel,
  resultExpires,
} from '../../config/settings.js';
import { ConfigError } from '../../errors.js';
import { Beat } from '../../scheduler/beat.js';
import { describeEvent, type BeatEvent } from '../../scheduler/events.js';
import { parseStaticSchedule } from '../../scheduler/static-schedule.js';
import { defineCommand, UsageError } from '../command.js';
import { shows, type Level } from '../process-life.js';


function levelOf(event: BeatEvent): Level {
  switch (event.type) {
    case 'run-taken':
      return 'debug';
    case 'entry-disabled':
    case 'publish-failed':
    case 'broker-trouble':
      return 'warn';
    case 'run-lost':
    case 'tick-failed':
    case 'close-failed':
      return 'error';
    default:
      return 'info';
  }
}

export const beat = defineCommand({
  usage: 'beat [options]',
  description:
    'Runs Celery beat on the database: sends each periodic task in the djcelery_* tables to the broker as a ' +
    'Celery protocol-2 message when it is due. Edits made while it runs (prisma-celery schedule, the API, ' +
    'Prisma Studio, plain SQL) are picked up within half a second. Several beats may share one database: each run ' +
    'is claimed in the database before it is sent, so exactly one beat takes it. When --expires is above 0, ' +
    "Celery's celery.backend_cleanup entry (daily at 04:00 UTC) is installed. Stops within --stop-timeout on SIGINT or SIGTERM.",
  settings: [databaseUrl, brokerUrl, beatScheduler, beatMaxInterval, beatStopTimeout, beatSchedule, resultExpires, logLevel],

  async run({ positionals, settings, err }) {
    if (positionals.length > 0) throw new UsageError(`beat takes no arguments, got ${positionals.join(' ')}`);
    let schedule;
    try {
      schedule = parseStaticSchedule(settings.beatSchedule ?? {});
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new ConfigError(`beatSchedule: ${error.message}`, { cause: error });
    }
    const log = (event: BeatEvent): void => {
      const level = levelOf(event);
      if (shows(level, settings.logLevel)) err(`[${new Date().toISOString()}] ${level.toUpperCase()} ${describeEvent(event)}`);
    };
    const beat = new Beat({
      databaseUrl: settings.databaseUrl,
      brokerUrl: settings.brokerUrl,
      scheduler: settings.beatScheduler,
      maxInterval: settings.beatMaxInterval,
      stopTimeout: settings.beatStopTimeout,
      schedule,
      resultExpires: settings.resultExpires,
      onEvent: log,
    });
    // The first signal stops after the tick under way; a second one is the user insisting.
    // Listening before start() means a signal during start-up also stops cleanly.
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        err(`${signal} again: exiting now`);
        process.exit(130);
      }
      stopping = true;
      err(`${signal}: stopping after the current tick`);
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
    }
    return 0;
  },
});
