import { allowApply, brokerUrl, camFreq, databaseUrl, defaultQueue, layout, logLevel, serveHost, servePort, serveResultBackend, serveToken, serveTokenLabel } from '../../config/settings.js';
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
    '(/tasks/<id>/status, /tasks/<id>/done, /tasks, /apply/<name>) and Prometheus metrics (/metrics) over HTTP, from the tables the camera, the ' +
    'result backend and beat keep (task status from Celery\'s Redis result backend instead with --result-backend redis://…). Read-only unless --token is set: then the page, once unlocked with the token, ' +
    "can enable, disable, run, add and edit periodic tasks and retry failed tasks, each change logged. The page also shows the queues' depths (with --broker) and whether each beat is alive. --freq is the camera's, to tell online workers. " +
    'SIGINT or SIGTERM stops it.',
  settings: [databaseUrl, layout, brokerUrl, serveResultBackend, serveHost, servePort, serveToken, serveTokenLabel, allowApply, defaultQueue, camFreq, logLevel],

  async run({ positionals, settings, err, check }) {
    if (positionals.length > 0) throw new UsageError(`serve takes no arguments, got ${positionals.join(' ')}`);
    // Django's tables are checked once open, with the line that names the Django command that makes them.
    const results = settings.layout === 'django' ? [] : TABLES.results;
    await check.database({ tables: [...results, ...TABLES.periodic, ...TABLES.camera, ...TABLES.monitor], create: false });
    // Loaded once the check passes, so a wrong setting is answered without loading Prisma.
    const { startMonitorServer } = await import('../../web/server.js');
    const logger = createLogger({ threshold: settings.logLevel, write: err });
    const log = logger.for('serve');
    const database = await openDatabase(settings.databaseUrl);
    try {
      if (settings.layout === 'django') {
        const { checkDjangoResultTables } = await import('../../backend/layouts/django.js');
        await checkDjangoResultTables(database);
      }
      const stop = untilSignal();
      await using server = await startMonitorServer({
        database,
        layout: settings.layout,
        host: settings.serveHost,
        port: settings.servePort,
        token: settings.serveToken,
        tokenLabel: settings.serveTokenLabel,
        allowApply: settings.allowApply,
        defaultQueue: settings.defaultQueue,
        brokerUrl: settings.brokerUrl,
        ...(settings.resultBackend !== undefined && { resultBackendUrl: settings.resultBackend }),
        monitor: { cameraFreq: settings.camFreq + 1 },
        brokerLog: (level, message, error) => log(level, error === undefined ? message : `${message}: ${causeLine(error)}`),
        actionLog: (message) => log('info', message),
      });
      const mode = settings.serveToken === undefined ? 'read-only: no --token' : 'changes allowed with the token';
      log('info', `Monitor on ${server.url} (${mode}${settings.allowApply ? `; apply: ${settings.allowApply.join(', ')}` : ''})`);
      log('info', `Prometheus metrics on ${server.url}metrics`);
      const signal = await stop;
      log('info', `${signal}: stopping`);
      return 0;
    } finally {
      await database.close();
      logger.close();
    }
  },
});
