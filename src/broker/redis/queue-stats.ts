import type { Redis } from 'ioredis';
import { LazyConnection } from '../lazy-connection.js';
import type { QueueDepth, QueueStats, QueueStatsOptions } from '../queue-stats.js';
import { connectRedis } from './connect.js';
import { PRIORITY_STEPS, priorityList } from './routing.js';

/**
 * Queue depths over Redis: a queue is one list per priority step, so its
 * depth is the sum of their lengths (one round trip for all queues). Redis
 * knows nothing of consumers: workers block on the lists.
 */
export class RedisQueueStats implements QueueStats {
  readonly transport = 'redis' as const;
  readonly #client: LazyConnection<Redis>;

  constructor(url: string, options: QueueStatsOptions) {
    // ioredis reconnects on its own: the client is kept, and commands fail at once while it is away.
    this.#client = new LazyConnection(
      () => connectRedis(url, { name: 'prisma-celery monitor', timeoutMs: options.timeoutMs ?? 5000, log: options.log }),
      (client) => client.quit().then(() => {}, () => client.disconnect()),
    );
  }

  async depths(queues: readonly string[]): Promise<QueueDepth[]> {
    if (queues.length === 0) return [];
    const client = await this.#client.get();
    const pipeline = client.pipeline();
    for (const queue of queues) for (const step of PRIORITY_STEPS) pipeline.llen(priorityList(queue, step));
    const replies = (await pipeline.exec()) ?? [];
    return queues.map((queue, index) => {
      let messages = 0;
      for (let step = 0; step < PRIORITY_STEPS.length; step++) {
        const [error, length] = replies[index * PRIORITY_STEPS.length + step] ?? [new Error('no reply')];
        if (error) throw error;
        messages += Number(length);
      }
      return { queue, messages, consumers: null, declared: null };
    });
  }

  close(): Promise<void> {
    return this.#client.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
