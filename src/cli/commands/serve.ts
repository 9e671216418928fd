import { allowApply, brokerUrl, camFreq, databaseUrl, defaultQueue, serveHost, servePort, serveToken } from '../../config/settings.js';
import { openDatabase, type Database } from '../../db/open.js';
import { PrismaCeleryError } from '../../errors.js';
import { startMonitorServer } from '../../web/server.js';
import { defineCommand, UsageError } from '../command.js';
import { untilSignal } from '../process-life.js';

export const serve = defineCommand({
  usage: 'serve [options]',
  description:
    "Serves the monitor page (workers, tasks, task results, periodic tasks) and djcelery's JSON views " +
    '(/tasks/<id>/status, /tasks/<id>/done, /tasks, /apply/<name>) over HTTP, from the tables the camera, the ' +
    'result backend and beat keep. Read-only unless --token is set: then the page, once unlocked with the token, ' +
    "can enable, disable, run, add and edit periodic tasks. --freq is the camera's, to tell online workers. " +
    'SIGINT or SIGTERM stops it.',
  settings: [databaseUrl, brokerUrl, serveHost, servePort, serveToken, allowApply, defaultQueue, camFreq],

  async run({ positionals, settings, out }) {
    if (positionals.length > 0) throw new UsageError(`serve takes no arguments, got ${positionals.join(' ')}`);
    const database = await openDatabase(settings.databaseUrl);
    try {
      await checkTables(database);
      const stop = untilSignal();
      await using server = await startMonitorServer({
        database,
        host: settings.serveHost,
        port: settings.servePort,
        token: settings.serveToken,
        allowApply: settings.allowApply,
        defaultQueue: settings.defaultQueue,
        brokerUrl: settings.brokerUrl,
        monitor: { cameraFreq: settings.camFreq + 1 },
      });
      const mode = settings.serveToken === undefined ? 'read-only: no --token' : 'changes allowed with the token';
      out(`Monitor on ${server.url} (${mode}${settings.allowApply ? `; apply: ${settings.allowApply.join(', ')}` : ''})`);
      const signal = await stop;
      out(`${signal}: stopping`);
      return 0;
    } finally {
      await database.close();
    }
  },
});

/** Fails early, with the fix, when the database lacks the tables (rather than 503 on every page). */
async function checkTables(database: Database): Promise<void> {
  try {
    await Promise.all([
      database.prisma.workerState.findFirst({ select: { id: true } }),
      database.prisma.taskState.findFirst({ select: { id: true } }),
      database.prisma.taskMeta.findFirst({ select: { id: true } }),
      database.prisma.periodicTask.findFirst({ select: { id: true } }),
    ]);
  } catch (cause) {
    throw new PrismaCeleryError(
      'E_SERVE_DATABASE',
      `cannot read prisma-celery's tables (is the database up and migrated? run prisma-celery migrate deploy): ${(cause as Error).message}`,
      { cause },
    );
  }
}
