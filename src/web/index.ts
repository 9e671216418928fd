/**
 * `prisma-celery/web`: djcelery's JSON views (task status, is successful,
 * registered tasks, apply, the webhook wrapper) as standard Request →
 * Response handlers, the monitor page that `prisma-celery serve` runs, and
 * Prometheus metrics (GET /metrics, or Metrics for an endpoint of your own).
 */
export { createHandler, type WebHandler } from './handler.js';
export type { ActionLog, MonitorOptions, WebHandlerOptions } from './options.js';
export type { ApplyOptions, Publisher } from './views/apply.js';
export type { DeclaredTasks } from './views/registered.js';
export { taskWebhook, type WebhookFunction } from './webhook.js';
export { toExpressMiddleware, toNodeListener, toRequest, writeResponse } from './adapters/node.js';
export { LiveFeed, type LiveFeedOptions } from './live/live-feed.js';
export { startMonitorServer, type MonitorServer, type MonitorServerOptions } from './server.js';
export { Metrics, type MetricsOptions, type MetricsText } from './metrics/metrics.js';
export type { BackendCounts, CameraCounts } from './metrics/families.js';
export { MetricsError } from './errors.js';
export { createQueueStats, type QueueDepth, type QueueStats, type QueueStatsOptions } from '../broker/queue-stats.js';
