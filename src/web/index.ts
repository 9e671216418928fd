/**
 * `prisma-celery/web`: djcelery's JSON views (task status, is successful,
 * registered tasks, apply, the webhook wrapper) as standard Request →
 * Response handlers, and the monitor page that `prisma-celery serve` runs.
 */
export { createHandler, type WebHandler } from './handler.js';
export type { ActionLog, MonitorOptions, WebHandlerOptions } from './options.js';
export type { ApplyOptions, Publisher } from './views/apply.js';
export type { DeclaredTasks } from './views/registered.js';
export { taskWebhook, type WebhookFunction } from './webhook.js';
export { toExpressMiddleware, toNodeListener, toRequest, writeResponse } from './adapters/node.js';
export { LiveFeed, type LiveFeedOptions } from './live/live-feed.js';
export { startMonitorServer, type MonitorServer, type MonitorServerOptions } from './server.js';
export { createQueueStats, type QueueDepth, type QueueStats, type QueueStatsOptions } from '../broker/queue-stats.js';
