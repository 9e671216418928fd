import { allowApply, brokerUrl, camFreq, databaseUrl, defaultQueue, logLevel, serveHost, servePort, serveToken, serveTokenLabel } from '../../config/settings.js';
import { causeLine } from '../../db/adapter-error.js';
import { openDatabase } from '../../db/open.js';
import { TABLES } from '../checks.js';
import { defineCommand, UsageError } from '../command.js';
import { createLogger } from '../log.js';
import { untilSignal } from '../process-life.js';

export const serve = defineCommand({
  usage: 'serve [options]',
  description:
    "Serves the monitor page (workers, tasks, task results, periodic tasks) and djcelery's JSON views " +
    '(/tasks/<id>/status, /tasks/<id>/done, /tasks, /apply/<name>) over HTTP, from the tables the camera, the ' +
    'result backend and beat keep. Read-only unless --token is set: then the page, once unlocked with the token, ' +
    "can enable, disable, run, add and edit periodic tasks and retry failed tasks, each change logged. The page also shows the queues' depths (with --broker) and whether each beat is alive. --freq is the camera's, to tell online workers. " +
    'SIGINT or SIGTERM stops it.',
  settings: [databaseUrl, brokerUrl, serveHost, servePort, serveToken, serveTokenLabel, allowApply, defaultQueue, camFreq, logLevel],

  async run({ positionals, settings, err, check }) {
    if (positionals.length > 0) throw new UsageError(`serve takes no arguments, got ${positionals.join(' ')}`);
    await check.database({ tables: [...TABLES.results, ...TABLES.periodic, ...TABLES.camera, ...TABLES.monitor], create: false });
    // Loaded once the check passes, so a wrong setting is answered without loading Prisma.
    const { startMonitorServer } = await import('../../web/server.js');
    const logger = createLogger({ threshold: settings.logLevel, write: err });
    const log = logger.for('serve');
    const database = await openDatabase(settings.databaseUrl);
    try {
      const stop = untilSignal();
      await using server = await startMonitorServer({
        database,
        host: settings.serveHost,
        port: settings.servePort,
        token: settings.serveToken,
        tokenLabel: settings.serveTokenLabel,
        allowApply: settings.allowApply,
        defaultQueue: settings.defaultQueue,
        brokerUrl: settings.brokerUrl,
        monitor: { cameraFreq: settings.camFreq + 1 },
        brokerLog: (level, message, error) => log(level, error === undefined ? message : `${message}: ${causeLine(error)}`),
        actionLog: (message) => log('info', message),
      });
      const mode = settings.serveToken === undefined ? 'read-only: no --token' : 'changes allowed with the token';
      log('info', `Monitor on ${server.url} (${mode}${settings.allowApply ? `; apply: ${settings.allowApply.join(', ')}` : ''})`);
      const signal = await stop;
      log('info', `${signal}: stopping`);
      return 0;
    } finally {
      await database.close();
      logger.close();
    }
  },
});
