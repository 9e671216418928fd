import { hostname as osHostname } from 'node:os';
import { format } from 'node:util';
import type { BackendEvent } from '../../backend/options.js';
import { redactUrl } from '../../broker/url.js';
import { brokerUrl, databaseUrl, logLevel, workerConcurrency, workerHostname, workerQueues, workerTasks } from '../../config/settings.js';
import { causeLine } from '../../db/adapter-error.js';
import type { WorkerEvent } from '../../worker/worker.js';
import { TABLES } from '../checks.js';
import { defineCommand } from '../command.js';
import { createLogger, type ComponentLog } from '../log.js';

export const worker = defineCommand({
  usage: 'worker --tasks <file or glob>… [options]',
  description:
    'Runs a Celery worker on celery-node (an optional peer dependency): the tasks of the --tasks modules, results stored in ' +
    'celery_taskmeta, Celery events sent for monitors, and remote control answered (celery inspect / celery control: ping, ' +
    'stats, registered, active, reserved, revoke, enable_events, disable_events, rate_limit, shutdown). A task function is ' +
    'called with its args, then its kwargs object, then { id, name, signal }: the AbortSignal aborts when the task is revoked ' +
    'with terminate. SIGINT or SIGTERM stops taking tasks and waits for the running ones and their results; a second one exits at once.',
  settings: [databaseUrl, brokerUrl, workerTasks, workerQueues, workerConcurrency, workerHostname, logLevel],

  async run({ positionals, settings, err, check }) {
    const logger = createLogger({ threshold: settings.logLevel, write: err });
    const log = logger.for('worker');
    // celery-node prints to the console as it goes; its lines join the log, at debug.
    const nodeLog = logger.for('celery-node');
    // eslint-disable-next-line no-console -- replaced, not called: celery-node's own lines go through the one log format
    console.info = console.log = (...args: unknown[]) => nodeLog('debug', format(...args));
    try {
      // Loaded here: a module that fails is answered before the database or the broker is touched.
      const { discoverTasks } = await import('../../worker/discovery.js');
      const tasks = await discoverTasks([...(settings.tasks ?? []), ...positionals], process.cwd());
      await check.database({ tables: TABLES.results, create: false });
      await check.broker();
      const { expandHostname } = await import('../../worker/hostname.js');
      const { CeleryWorker } = await import('../../worker/worker.js');
      const { PrismaResultBackend } = await import('../../backend/backend.js');
      const backend = new PrismaResultBackend(settings.databaseUrl, { onEvent: backendLog(logger.for('backend')) });
      const hostname = expandHostname(settings.workerHostname, osHostname());
      let exitCode = 0;
      const celery = new CeleryWorker({
        brokerUrl: settings.brokerUrl,
        backend,
        tasks,
        queues: settings.workerQueues,
        concurrency: settings.workerConcurrency,
        hostname,
        onEvent: (event) => {
          describe(event, log);
          if (event.type === 'broker-lost') {
            exitCode = 1;
            stop('broker lost');
          }
        },
      });
      let stopping: Promise<void> | null = null;
      let stopped: (done: Promise<void>) => void = () => {};
      const requested = new Promise<Promise<void>>((resolve) => (stopped = resolve));
      const stop = (why: string): void => {
        if (stopping !== null) return;
        log('info', `${why}: stopping; waiting for ${celery.pool.active.length} running task(s) and their results`);
        stopping = celery.stop();
        stopped(stopping);
      };
      const onSignal = (signal: NodeJS.Signals): void => {
        if (stopping !== null) {
          log('warn', `${signal} again: exiting now, ${celery.pool.active.length} task(s) abandoned`);
          logger.close();
          process.exit(130);
        }
        stop(signal);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      celery.onShutdownRequest((reason) => stop(`remote control: ${reason}`));
      try {
        await celery.start();
        log('info', `${hostname} ready: ${tasks.size} task(s) [${[...tasks.keys()].join(', ')}] from queue(s) ${celery.queues.join(', ')} of ${redactUrl(settings.brokerUrl)}, concurrency ${settings.workerConcurrency}`);
        await (await requested);
        log('info', `stopped; ${[...celery.pool.processed.values()].reduce((a, b) => a + b, 0)} task(s) processed`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        await backend.close();
      }
      return exitCode;
    } finally {
      logger.close();
    }
  },
});

function describe(event: WorkerEvent, log: ComponentLog): void {
  switch (event.type) {
    case 'task-started':
      return log('debug', `${event.name}[${event.id}] started`);
    case 'task-succeeded':
      return log('info', `${event.name}[${event.id}] succeeded in ${event.runtime.toFixed(3)}s`);
    case 'task-failed':
      return log('warn', `${event.name}[${event.id}] failed in ${event.runtime.toFixed(3)}s: ${causeLine(event.error)}`, `failed ${event.name}`);
    case 'task-revoked':
      return log('info', `${event.name}[${event.id}] ${event.terminated ? 'terminated' : 'revoked before it started'}`);
    case 'control':
      return log('debug', `remote control: ${event.method}${event.answered ? ' (answered)' : ''}`);
    case 'shutdown-requested':
      return log('warn', `shutdown asked by remote control: ${event.reason}`);
    case 'broker-lost':
      return log('error', `lost the broker${event.error ? `: ${event.error.message}` : ''}`);
    case 'events':
      switch (event.report.type) {
        case 'connected':
          return event.report.reconnect ? log('info', 'event link reconnected') : undefined;
        case 'disconnected':
          return log('warn', `event link lost: ${event.report.error.message}; reconnecting`, 'event link lost');
        case 'dropped':
          return log('warn', `${event.report.count} event(s) dropped while the broker was away`, 'events dropped');
        default:
          return log('warn', `events: ${event.report.type}: ${'error' in event.report ? causeLine(event.report.error) : ''}`, `events ${event.report.type}`);
      }
  }
}

function backendLog(log: ComponentLog): (event: BackendEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'store-failed':
        return log('error', `storing ${event.state} for task ${event.taskId} failed: ${causeLine(event.error)}`, 'store-failed');
      case 'retry':
        return log('warn', `${event.operation}: ${causeLine(event.error)}; retrying in ${event.delayMs} ms`, 'retry');
      case 'unregistered-task':
        return log('error', `task ${event.taskId} names "${event.name}", which no task module defines; stored as FAILURE`, `unregistered ${event.name}`);
      case 'message-error':
        return log('error', `could not handle task ${event.taskId ?? '(no id)'}: ${causeLine(event.error)}`, 'message-error');
      default:
        return undefined;
    }
  };
}
