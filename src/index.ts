/**
 * `prisma-celery`: what every part shares — opening the database from a
 * URL, applying the package's migrations, Celery's states and task
 * messages, and the error base class. The parts themselves are
 * `prisma-celery/backend`, `/scheduler`, `/snapshot`, `/web` and `/control`.
 */
export { openDatabase, useDatabase } from './db/open.js';
export type { CeleryPrisma, Database, OpenOptions } from './db/open.js';
export { layouts, LayoutTablesError } from './db/layout.js';
export type { Layout, MissingTable } from './db/layout.js';
export { parseDatabaseUrl, providers } from './db/url.js';
export type { DatabaseTarget, Provider } from './db/url.js';
export { migrateAdopt, migrateDeploy, migrateStatus } from './migrate/index.js';
export type { AdoptResult, MigrationStatus } from './migrate/index.js';
export * from './core/states.js';
export { buildTaskMessage, declarationsFor, ProtocolError } from './core/protocol/index.js';
export type { TaskMessage, TaskMessageOptions } from './core/protocol/index.js';
export { BrokerError, connectBroker, TaskPublisher } from './broker/amqp/index.js';
export type { TaskPublisherOptions } from './broker/amqp/index.js';
export { RedisTaskPublisher } from './broker/redis/task-publisher.js';
export type { RedisTaskPublisherOptions } from './broker/redis/task-publisher.js';
export { createTaskPublisher } from './broker/publisher.js';
export type { BrokerPublisher, CreatePublisherOptions } from './broker/publisher.js';
export type { PublishOptions } from './broker/send-policy.js';
export { Control, ControlError } from './control/index.js';
export type { CallOptions, ControlOptions, Gathered } from './control/index.js';
export { ConfigError, MigrationError, PrismaCeleryError } from './errors.js';
export { MetricsError } from './web/errors.js';
