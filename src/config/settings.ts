import { layouts } from '../db/layout.js';
import { ConfigError } from '../errors.js';
import { setting } from './setting.js';
import { types, type SettingType } from './types.js';

/*
 * The settings table: every setting any command reads, in one place. Help,
 * flag parsing, environment lookup and config-file checking are all derived
 * from these rows. A command lists the rows it uses; a setting that only one
 * command uses still belongs here, so a config file shared by every command
 * is checked against one list of known keys.
 */

export const configFile = setting({
  key: 'configFile',
  flag: 'config',
  env: 'PRISMA_CELERY_CONFIG',
  type: types.text('<path>'),
  inFile: false,
  description: 'Config file to read instead of prisma-celery.config.{js,mjs,json} in the working directory',
});

export const databaseUrl = setting({
  key: 'databaseUrl',
  flag: 'database-url',
  env: 'DATABASE_URL',
  type: types.databaseUrl(),
  default: 'file:./prisma-celery.db',
  description: 'Database holding the tables: file:PATH (SQLite), postgresql://… or mysql://…',
});

export const layout = setting({
  key: 'layout',
  flag: 'layout',
  env: 'PRISMA_CELERY_LAYOUT',
  type: types.oneOf(layouts),
  default: 'djcelery',
  description:
    "Tables to use: djcelery (ours, made by prisma-celery migrate deploy) or django (django-celery-beat's and django-celery-results' tables, made and migrated by Django; checked, never changed in shape)",
});

export const brokerUrl = setting({
  key: 'brokerUrl',
  flag: 'broker',
  env: 'BROKER_URL',
  type: types.brokerUrl(),
  default: 'amqp://guest:guest@127.0.0.1:5672//',
  description: 'Broker the Celery workers use: amqp://… (RabbitMQ) or redis://… (Redis)',
});

export const logLevel = setting({
  key: 'logLevel',
  flag: 'log-level',
  env: 'LOG_LEVEL',
  type: types.oneOf(['debug', 'info', 'warn', 'error']),
  default: 'info',
  description: 'Least severe messages to print',
});

export const resultExpires = setting({
  key: 'resultExpires',
  flag: 'expires',
  env: 'CELERY_RESULT_EXPIRES',
  type: types.duration(),
  default: '1d',
  description: 'Groups and finished task results done longer ago than this are expired (deleted)',
});

export const unreadyExpires = setting({
  key: 'unreadyExpires',
  flag: 'unready-expires',
  env: 'PRISMA_CELERY_UNREADY_EXPIRES',
  type: types.duration(),
  default: '7d',
  description:
    'Unfinished task results (PENDING, RECEIVED, STARTED, RETRY…), which may still be running, are expired only when last updated longer ago than this (and than --expires)',
});

export const cleanupBatchSize = setting({
  key: 'cleanupBatchSize',
  flag: 'batch-size',
  env: 'PRISMA_CELERY_CLEANUP_BATCH_SIZE',
  type: types.integer({ min: 100, max: 100_000, unit: 'rows' }),
  default: 5000,
  description: 'Rows the first delete statement covers; later ones adapt so none holds locks for long',
});

// The snapshot camera (prisma-celery cam). Expiry limits keep djcelery's
// CELERYCAM_EXPIRE_* names; 0 keeps that group's rows forever.

export const camFreq = setting({
  key: 'camFreq',
  flag: 'freq',
  env: 'CELERYCAM_FREQ',
  type: types.number({ min: 0.01, max: 3600, unit: 'seconds' }),
  default: 1,
  description: 'Seconds between snapshots of the event state into the tables (celerycam -f)',
});

export const camMaxrate = setting({
  key: 'camMaxrate',
  flag: 'maxrate',
  env: 'CELERYCAM_MAXRATE',
  type: types.text('<rate>'),
  description: 'At most this many snapshots, e.g. 100/m, 5/s or 10/h (Celery\'s --maxrate); default no limit',
});

export const camExpireSuccess = setting({
  key: 'camExpireSuccess',
  flag: 'expire-success',
  env: 'CELERYCAM_EXPIRE_SUCCESS',
  type: types.duration(),
  default: '1d',
  description: 'SUCCESS task rows older than this are hidden, then deleted; 0 keeps them',
});

export const camExpireError = setting({
  key: 'camExpireError',
  flag: 'expire-error',
  env: 'CELERYCAM_EXPIRE_ERROR',
  type: types.duration(),
  default: '3d',
  description: 'FAILURE and REVOKED task rows older than this are expired; 0 keeps them',
});

export const camExpirePending = setting({
  key: 'camExpirePending',
  flag: 'expire-pending',
  env: 'CELERYCAM_EXPIRE_PENDING',
  type: types.duration(),
  default: '5d',
  description: 'Task rows in any other state (unfinished: PENDING, RECEIVED, STARTED, RETRY, REJECTED…) older than this are expired; 0 keeps them',
});

export const camCleanupInterval = setting({
  key: 'camCleanupInterval',
  flag: 'cleanup-interval',
  env: 'CELERYCAM_CLEANUP_INTERVAL',
  type: types.duration({ min: 1, max: 86_400 }),
  default: '1h',
  description: 'How often the camera expires old task rows',
});

export const camSharedQueue = setting({
  key: 'camSharedQueue',
  flag: 'shared-queue',
  env: 'PRISMA_CELERY_CAM_SHARED_QUEUE',
  type: types.text('<name>'),
  description:
    'Consume events from this named queue, shared by every camera given the same name, so several cameras split the work (RabbitMQ only); events are acknowledged once written; default a queue of its own',
});

export const camEnableEvents = setting({
  key: 'camEnableEvents',
  flag: 'enable-events',
  env: 'CELERYCAM_ENABLE_EVENTS',
  type: types.boolean(),
  default: false,
  description: 'Ask every worker to send task events (remote control enable_events) at start and every minute',
});

export const camMetricsPort = setting({
  key: 'camMetricsPort',
  flag: 'metrics-port',
  env: 'CELERYCAM_METRICS_PORT',
  type: types.integer({ min: 0, max: 65_535 }),
  description: "Serve the camera's counters (events received, dropped changes, failed snapshots) as Prometheus text on this port, at /metrics, on --host (0 picks a free port); default off",
});

// Remote control (prisma-celery control, inspect). They also read brokerUrl.

export const controlDestination = setting({
  key: 'controlDestination',
  flag: 'destination',
  env: 'PRISMA_CELERY_DESTINATION',
  type: nameList('<host,...>', 'worker hostnames'),
  description: 'Only these workers (hostnames such as celery@host, comma separated) act and answer; default all',
  inFile: false,
});

export const controlTimeout = setting({
  key: 'controlTimeout',
  flag: 'timeout',
  env: 'PRISMA_CELERY_CONTROL_TIMEOUT',
  type: types.number({ min: 0.01, max: 600, unit: 'seconds' }),
  default: 1,
  description: 'Seconds to wait for answers (less when every --destination answered)',
});

export const revokeTerminate = setting({
  key: 'revokeTerminate',
  flag: 'terminate',
  env: 'PRISMA_CELERY_REVOKE_TERMINATE',
  type: types.boolean(),
  default: false,
  description: 'control revoke: also kill the pool process running the task',
  inFile: false,
});

export const revokeSignal = setting({
  key: 'revokeSignal',
  flag: 'signal',
  env: 'PRISMA_CELERY_REVOKE_SIGNAL',
  type: types.text('<SIGNAL>'),
  default: 'SIGTERM',
  description: 'control revoke --terminate: the signal sent, e.g. SIGKILL',
  inFile: false,
});

// Beat (prisma-celery beat). It also reads resultExpires: when above 0,
// Celery's celery.backend_cleanup entry (daily at 04:00) is installed.

/** An object, from a config file as is or from a flag or variable as JSON text; checked by the command that reads it. */
const jsonObject = (example: string): SettingType<Record<string, unknown>> => ({
  flagType: 'string',
  placeholder: '<json>',
  parse(raw) {
    let value = raw;
    if (typeof raw === 'string') {
      try {
        value = JSON.parse(raw);
      } catch (error) {
        throw new ConfigError(`not valid JSON (${(error as Error).message})`, { cause: error });
      }
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new ConfigError(`must be an object, e.g. ${example}`);
    }
    return value as Record<string, unknown>;
  },
});

export const auditRetention = setting({
  key: 'auditRetention',
  flag: 'audit-retention',
  env: 'PRISMA_CELERY_AUDIT_RETENTION',
  type: types.duration(),
  default: '90d',
  description: 'Schedule changes recorded longer ago than this are pruned from the audit trail (by beat, hourly, and by cleanup); 0 keeps them all',
});

export const beatScheduler = setting({
  key: 'beatScheduler',
  flag: 'scheduler',
  env: 'CELERY_BEAT_SCHEDULER',
  type: types.text('<name>'),
  default: 'DatabaseScheduler',
  description: 'Scheduler class: DatabaseScheduler, or your own as ./path/to/module.js#ExportName',
});

export const beatMaxInterval = setting({
  key: 'beatMaxInterval',
  flag: 'max-interval',
  env: 'CELERY_BEAT_MAX_LOOP_INTERVAL',
  type: types.duration({ min: 0.1, max: 300 }),
  default: '5s',
  description: 'Longest sleep between ticks; beat also wakes for the next due run, and polls for edits twice a second (on PostgreSQL it hears of edits as they commit and polls only every max interval)',
});

export const beatStopTimeout = setting({
  key: 'beatStopTimeout',
  flag: 'stop-timeout',
  env: 'PRISMA_CELERY_BEAT_STOP_TIMEOUT',
  type: types.duration({ min: 0.1, max: 600 }),
  default: '5s',
  description:
    'Stop budget on SIGTERM/SIGINT: sends unconfirmed after two fifths of it are abandoned and their runs given back; keep it below the grace period before SIGKILL',
});

export const beatSchedule = setting({
  key: 'beatSchedule',
  flag: 'beat-schedule',
  env: 'CELERY_BEAT_SCHEDULE',
  type: jsonObject('{"add-every-30s": {"task": "tasks.add", "schedule": "30s", "args": [16, 16]}}'),
  description:
    'Static schedule written to the tables at start (CELERYBEAT_SCHEDULE): entries by name, each with task, ' +
    'schedule (seconds, "5m", or a crontab object), args, kwargs, options {queue, exchange, routing_key, priority, expires}',
});

// prisma-celery schedule: per-invocation options, so not read from the config file.

const scheduleOption = <const K extends string, V>(key: K, flag: string, type: SettingType<V>, description: string) =>
  setting({ key, flag, env: `PRISMA_CELERY_SCHEDULE_${flag.toUpperCase().replace(/-/g, '_')}`, type, description, inFile: false });

export const scheduleCrontab = scheduleOption('scheduleCrontab', 'crontab', types.text('<"m h dom mon dow">'),
  'Crontab in Celery\'s field order: minute hour day_of_month month_of_year day_of_week, e.g. "30 2 * * mon-fri"');
export const scheduleTimezone = scheduleOption('scheduleTimezone', 'tz', types.text('<zone>'),
  'IANA time zone of --crontab, e.g. Europe/Berlin (default UTC)');
export const scheduleEvery = scheduleOption('scheduleEvery', 'every', types.text('<duration>'),
  'Interval schedule: seconds or a duration such as 90s, 5m, 2h, 1d');
export const scheduleAt = scheduleOption('scheduleAt', 'at', types.text('<iso>'),
  'Clocked schedule: run once at this instant (ISO 8601; no offset means UTC)');
export const scheduleName = scheduleOption('scheduleName', 'name', types.text('<entry>'),
  'A periodic task in the database, by name (schedule next)');
export const scheduleFrom = scheduleOption('scheduleFrom', 'from', types.text('<iso>'),
  'List runs after this instant (ISO 8601; default now)');
export const scheduleCount = setting({
  key: 'scheduleCount',
  flag: 'count',
  env: 'PRISMA_CELERY_SCHEDULE_COUNT',
  type: types.integer({ min: 1, max: 10_000 }),
  default: 10,
  description: 'How many runs to list',
  inFile: false,
});
export const jsonOutput = setting({
  key: 'jsonOutput',
  flag: 'json',
  env: 'PRISMA_CELERY_JSON',
  type: types.boolean(),
  default: false,
  description: 'Print JSON instead of text',
  inFile: false,
});
export const migrateDryRun = setting({
  key: 'migrateDryRun',
  flag: 'dry-run',
  env: 'PRISMA_CELERY_MIGRATE_DRY_RUN',
  type: types.boolean(),
  default: false,
  description: 'migrate adopt: print the SQL it would run and change nothing',
  inFile: false,
});
export const scheduleArgs = scheduleOption('scheduleArgs', 'args', types.text('<json>'), 'Positional arguments as a JSON list, e.g. [2, 3]');
export const scheduleKwargs = scheduleOption('scheduleKwargs', 'kwargs', types.text('<json>'), 'Keyword arguments as a JSON object, e.g. {"n": 1}');
export const scheduleQueue = scheduleOption('scheduleQueue', 'queue', types.text('<queue>'), 'Queue to send to (default celery)');
export const scheduleExchange = scheduleOption('scheduleExchange', 'exchange', types.text('<exchange>'), 'Exchange to send through, with --routing-key (instead of --queue)');
export const scheduleRoutingKey = scheduleOption('scheduleRoutingKey', 'routing-key', types.text('<key>'), 'Routing key, with --exchange');
export const schedulePriority = scheduleOption('schedulePriority', 'priority', types.integer({ min: 0, max: 255 }), 'Message priority, 0 to 255');
export const scheduleHeaders = scheduleOption('scheduleHeaders', 'headers', types.text('<json>'), 'Extra message headers as a JSON object');
export const scheduleExpiry = scheduleOption('scheduleExpiry', 'expiry', types.text('<iso|duration>'),
  'Messages expire: at an instant (ISO 8601, which also ends the entry) or a duration after each send (e.g. 10m)');
export const scheduleOneOff = scheduleOption('scheduleOneOff', 'one-off', types.boolean(), 'Run once, then disable the entry');
export const scheduleStartTime = scheduleOption('scheduleStartTime', 'start-time', types.text('<iso>'), 'Not before this instant (ISO 8601)');
export const scheduleDescription = scheduleOption('scheduleDescription', 'description', types.text('<text>'), 'Free text shown in listings');
export const scheduleDisabled = scheduleOption('scheduleDisabled', 'disabled', types.boolean(), 'Create the entry disabled');

// The monitor (prisma-celery serve). It also reads databaseUrl and brokerUrl.

export const servePort = setting({
  key: 'servePort',
  flag: 'port',
  env: 'PRISMA_CELERY_PORT',
  type: types.integer({ min: 0, max: 65_535 }),
  default: 8080,
  description: 'Port the monitor listens on (0 picks a free one)',
});

export const serveHost = setting({
  key: 'serveHost',
  flag: 'host',
  env: 'PRISMA_CELERY_HOST',
  type: types.text('<host>'),
  default: '127.0.0.1',
  description: "Address the monitor (serve) and the camera's --metrics-port listen on; the default lets only this machine in",
});

export const serveResultBackend = setting({
  key: 'resultBackend',
  flag: 'result-backend',
  env: 'PRISMA_CELERY_RESULT_BACKEND',
  type: types.resultBackendUrl(),
  description:
    "Celery's Redis result backend (redis://host:port/db, as your workers' result_backend) for /tasks/<id>/status and /done; default the database's results table",
});

export const serveToken = setting({
  key: 'serveToken',
  flag: 'token',
  env: 'PRISMA_CELERY_TOKEN',
  type: types.text('<token>'),
  description: 'Bearer token that allows changes (periodic tasks, apply); without one the monitor is read-only',
});

export const serveTokenLabel = setting({
  key: 'serveTokenLabel',
  flag: 'token-label',
  env: 'PRISMA_CELERY_TOKEN_LABEL',
  type: types.text('<name>'),
  default: 'monitor',
  description: 'Who the token stands for: the audit trail names changes made through the page web:<name>',
});

// A list in a flag or variable is comma separated; a config file may give an array.
function nameList(placeholder: string, what: string): SettingType<string[]> {
  return {
    flagType: 'string',
    placeholder,
    parse(raw) {
      const items: unknown[] | null = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : null;
      if (items === null || !items.every((item) => typeof item === 'string')) {
        throw new ConfigError(`expected ${what} separated by commas, got ${JSON.stringify(raw)}`);
      }
      const names = (items as string[]).map((item) => item.trim()).filter((item) => item !== '');
      if (names.length === 0) throw new ConfigError(`names no ${what.replace(/s$/, '')}`);
      return names;
    },
  };
}

export const allowApply = setting({
  key: 'allowApply',
  flag: 'allow-apply',
  env: 'PRISMA_CELERY_ALLOW_APPLY',
  type: nameList('<name,...>', 'task names'),
  description: 'Task names the /apply/<name> route may send (needs --token); without it apply is off',
});

export const defaultQueue = setting({
  key: 'defaultQueue',
  flag: 'default-queue',
  env: 'CELERY_TASK_DEFAULT_QUEUE',
  type: types.text('<queue>'),
  default: 'celery',
  description: "Queue apply sends to when the request names none: your workers' task_default_queue (celery-node: CELERY_QUEUE)",
});

// The worker (prisma-celery worker). It also reads databaseUrl and brokerUrl.

export const workerTasks = setting({
  key: 'tasks',
  flag: 'tasks',
  env: 'PRISMA_CELERY_TASKS',
  type: nameList('<file or glob,...>', 'task modules'),
  description:
    'Task modules (files or globs, from the working directory): each exported function is a task named <file base name>.<export name>, or the module exports tasks = {"full.name": fn}; more may follow the flag as arguments',
});

export const workerQueues = setting({
  key: 'workerQueues',
  flag: 'queues',
  env: 'CELERY_QUEUES',
  type: nameList('<queue,...>', 'queues'),
  default: 'celery',
  description: 'Queues the worker consumes (celery worker -Q)',
});

export const workerConcurrency = setting({
  key: 'workerConcurrency',
  flag: 'concurrency',
  env: 'CELERYD_CONCURRENCY',
  type: types.integer({ min: 1, max: 10_000, unit: 'tasks' }),
  default: 10,
  description: 'Tasks run at once (they share one event loop: for waiting on I/O, not for CPU work); four times as many are prefetched',
});

export const workerHostname = setting({
  key: 'workerHostname',
  flag: 'hostname',
  env: 'CELERY_HOSTNAME',
  type: types.text('<name@host>'),
  default: 'celery-node@%h',
  description: 'Node name remote control and events know the worker by; %h is the host name, %n its first label, %d the domain',
});

export const settingsTable = [configFile, databaseUrl, layout, brokerUrl, logLevel, resultExpires, unreadyExpires, cleanupBatchSize, camFreq, camMaxrate, camExpireSuccess, camExpireError, camExpirePending, camCleanupInterval, camSharedQueue, camEnableEvents, camMetricsPort,
  controlDestination, controlTimeout, revokeTerminate, revokeSignal,
  auditRetention, beatScheduler, beatMaxInterval, beatStopTimeout, beatSchedule,
  scheduleCrontab, scheduleTimezone, scheduleEvery, scheduleAt, scheduleName, scheduleFrom, scheduleCount, jsonOutput, migrateDryRun,
  scheduleArgs, scheduleKwargs, scheduleQueue, scheduleExchange, scheduleRoutingKey, schedulePriority, scheduleHeaders,
  scheduleExpiry, scheduleOneOff, scheduleStartTime, scheduleDescription, scheduleDisabled,
  servePort, serveHost, serveResultBackend, serveToken, serveTokenLabel, allowApply, defaultQueue, workerTasks, workerQueues, workerConcurrency, workerHostname] as const;
