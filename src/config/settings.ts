import { setting } from './setting.js';
import { types } from './types.js';

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

export const brokerUrl = setting({
  key: 'brokerUrl',
  flag: 'broker',
  env: 'BROKER_URL',
  type: types.amqpUrl(),
  default: 'amqp://guest:guest@127.0.0.1:5672//',
  description: 'RabbitMQ broker that the Celery workers use',
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
  description: 'Task results and groups done longer ago than this are expired (hidden, then deleted)',
});

export const cleanupBatchSize = setting({
  key: 'cleanupBatchSize',
  flag: 'batch-size',
  env: 'PRISMA_CELERY_CLEANUP_BATCH_SIZE',
  type: types.integer({ min: 100, max: 100_000, unit: 'rows' }),
  default: 5000,
  description: 'Rows hidden or deleted per statement, so no statement holds locks for long',
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
  description: 'FAILURE, REVOKED, REJECTED and RETRY task rows older than this are expired; 0 keeps them',
});

export const camExpirePending = setting({
  key: 'camExpirePending',
  flag: 'expire-pending',
  env: 'CELERYCAM_EXPIRE_PENDING',
  type: types.duration(),
  default: '5d',
  description: 'Task rows in any other state older than this are expired; 0 keeps them',
});

export const camCleanupInterval = setting({
  key: 'camCleanupInterval',
  flag: 'cleanup-interval',
  env: 'CELERYCAM_CLEANUP_INTERVAL',
  type: types.duration({ min: 1, max: 86_400 }),
  default: '1h',
  description: 'How often the camera expires old task rows',
});

export const settingsTable = [configFile, databaseUrl, brokerUrl, logLevel, resultExpires, cleanupBatchSize, camFreq, camMaxrate, camExpireSuccess, camExpireError, camExpirePending, camCleanupInterval] as const;
