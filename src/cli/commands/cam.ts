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
import { Camera } from '../../snapshot/camera/camera.js';
import type { CameraEvent } from '../../snapshot/camera/events.js';
import { parseRate } from '../../snapshot/camera/rate-limit.js';
import { TABLES } from '../checks.js';
import { defineCommand, UsageError } from '../command.js';
import { shows, untilSignal, type Level } from '../process-life.js';


const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** One log line per camera event worth a line, with its level. */
function describe(event: CameraEvent): [Level, string] | null {
  switch (event.type) {
    case 'broker-connected':
      return ['info', `${event.reconnect ? 'reconnected' : 'connected'} to the broker, consuming events from ${event.queue}`];
    case 'broker-disconnected':
      return ['warn', `broker connection lost: ${messageOf(event.error)}`];
    case 'broker-reconnect-scheduled':
      return ['info', `reconnecting to the broker in ${event.delayMs} ms (attempt ${event.attempt})`];
    case 'broker-setup-failed':
      return ['warn', `broker connection failed: ${messageOf(event.error)}`];
    case 'decode-problem':
      return ['warn', `bad event on ${event.routingKey}: ${event.problem.reason}: ${event.problem.detail}`];
    case 'snapshot': {
      const s = event.summary;
      return ['debug', `snapshot: ${s.tasksWritten} tasks, ${s.workersWritten} workers in ${Math.round(s.durationMs)} ms`];
    }
    case 'snapshot-failed':
      return ['warn', `snapshot failed (${event.pendingTasks} task changes kept for the next one): ${messageOf(event.summary.error)}`];
    case 'rows-rejected':
      return ['error', `rows the database refuses, dropped: ${event.rows.map((r) => `${r.taskId} (${r.reason})`).join(', ')}`];
    case 'changes-dropped':
      return ['error', `database down too long: dropped the ${event.count} oldest task changes (${event.total} so far)`];
    case 'cleanup': {
      return ['info', `cleanup: deleted ${event.result.deleted} expired task rows`];
    }
    case 'cleanup-failed':
      return ['warn', `cleanup failed: ${messageOf(event.error)}`];
    case 'reconciled':
      return ['info', `completed ${event.tasks} tasks from celery_taskmeta`];
    case 'reconcile-failed':
      return ['warn', `reconciliation failed: ${messageOf(event.error)}`];
    case 'closed':
      return event.unwrittenTasks > 0
        ? ['error', `stopped with ${event.unwrittenTasks} task changes not written (the database did not answer)`]
        : ['info', 'stopped; final snapshot written'];
  }
}

export const cam = defineCommand({
  usage: 'cam [options]',
  description:
    "Listens to the Celery event stream (workers started with -E) and keeps djcelery_workerstate and djcelery_taskstate " +
    'current: a snapshot every --freq seconds, old rows expired by state, tasks whose events were missed completed ' +
    'from celery_taskmeta. SIGINT or SIGTERM writes a final snapshot and exits.',
  settings: [databaseUrl, brokerUrl, camFreq, camMaxrate, camExpireSuccess, camExpireError, camExpirePending, camCleanupInterval, logLevel],

  async run({ positionals, settings, out, err, check }) {
    if (positionals.length > 0) throw new UsageError(`cam takes no arguments, got ${positionals.join(' ')}`);
    await check.database({ tables: [...TABLES.camera, ...TABLES.results], create: false });
    await check.broker();
    const maxrate = settings.camMaxrate === undefined ? null : parseRate(settings.camMaxrate);
    const log = (level: Level, line: string): void => {
      if (shows(level, settings.logLevel)) (level === 'warn' || level === 'error' ? err : out)(`[cam] ${line}`);
    };
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
        onEvent: (event) => {
          const line = describe(event);
          if (line !== null) log(...line);
        },
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
    }
  },
});
