/**
 * Queues and their depths: the queues named in the configuration, by
 * periodic tasks, and by recent task results, each asked of the broker
 * (src/broker/queue-stats.ts). Read-only.
 */
import type { QueueDepth, QueueStats } from '../../broker/queue-stats.js';
import { causeLine } from '../../db/adapter-error.js';
import type { Layout } from '../../db/layout.js';
import type { Database } from '../../db/open.js';
import { PeriodicTaskStore } from '../../scheduler/index.js';

/** Results looked at for their queue: the newest, through the date_done index (the queue column has none). */
const RECENT_RESULTS = 1000;
/** More queues than a page shows; the list says when it was cut. */
const MAX_QUEUES = 100;

const named = (value: string | null | undefined): value is string => typeof value === 'string' && value.trim() !== '';

/** Every queue the tables or the configuration name, sorted, at most MAX_QUEUES (and whether there were more). */
export async function knownQueues(
  database: Database,
  configured: readonly string[],
  layout: Layout = 'djcelery',
): Promise<{ queues: string[]; truncated: boolean }> {
  const [results, periodic] = await Promise.all([
    // django-celery-results keeps no queue.
    layout === 'django' ? [] : database.prisma.taskMeta.findMany({ orderBy: { dateDone: 'desc' }, take: RECENT_RESULTS, select: { queue: true } }),
    // Through the store: on the django layout the entries live in django-celery-beat's table.
    new PeriodicTaskStore(database, { layout }).list(),
  ]);
  // A periodic task's routing key without an exchange names its queue (the scheduler's routeOf).
  const periodicQueues = periodic.map((row) => (named(row.exchange) ? null : named(row.routingKey) ? row.routingKey : row.queue));
  const all = [...new Set([...configured, ...results.map((row) => row.queue), ...periodicQueues].filter(named))].sort();
  return { queues: all.slice(0, MAX_QUEUES), truncated: all.length > MAX_QUEUES };
}

export interface QueuesView {
  items: QueueDepth[];
  truncated: boolean;
  /** The broker asked, or null when none is configured (then the counts are null). */
  transport: 'amqp' | 'redis' | null;
  /** Why the counts are missing, when the broker could not be asked. */
  error: string | null;
}

export async function listQueues(
  database: Database,
  stats: QueueStats | undefined,
  configured: readonly string[],
  layout: Layout = 'djcelery',
): Promise<QueuesView> {
  const { queues, truncated } = await knownQueues(database, configured, layout);
  const unknown = (): QueueDepth[] => queues.map((queue) => ({ queue, messages: null, consumers: null, declared: null }));
  if (stats === undefined) return { items: unknown(), truncated, transport: null, error: 'no broker is configured' };
  try {
    return { items: await stats.depths(queues), truncated, transport: stats.transport, error: null };
  } catch (error) {
    // The page still lists the queues; the broker's trouble is shown in place of the counts.
    return { items: unknown(), truncated, transport: stats.transport, error: `the broker did not answer: ${causeLine(error)}` };
  }
}
