import type { Channel, ChannelModel } from 'amqplib';
import { LazyConnection } from '../lazy-connection.js';
import type { QueueDepth, QueueStats, QueueStatsOptions } from '../queue-stats.js';
import { connectBroker } from './connect.js';
import { replyCodeOf } from './errors.js';

/** AMQP 0-9-1's reply to a passive declare of a queue that does not exist. */
const NOT_FOUND = 404;

/**
 * Queue depths over AMQP: a passive declare of each queue answers its
 * message and consumer counts without creating or changing it. One for a
 * queue that does not exist closes the channel (404), so the rest go on
 * another.
 */
export class AmqpQueueStats implements QueueStats {
  readonly transport = 'amqp' as const;
  readonly #connection: LazyConnection<ChannelModel>;

  constructor(url: string, options: QueueStatsOptions) {
    this.#connection = new LazyConnection(
      async () => {
        const connection = await connectBroker(url, { log: options.log, timeoutMs: options.timeoutMs ?? 5000 });
        connection.on('close', () => this.#connection.drop(connection));
        return connection;
      },
      (connection) => connection.close().catch(() => {}),
    );
  }

  async depths(queues: readonly string[]): Promise<QueueDepth[]> {
    const connection = await this.#connection.get();
    const depths: QueueDepth[] = [];
    let channel = await openChannel(connection);
    try {
      for (const queue of queues) {
        try {
          const { messageCount, consumerCount } = await channel.checkQueue(queue);
          depths.push({ queue, messages: messageCount, consumers: consumerCount, declared: true });
        } catch (error) {
          if (replyCodeOf(error) !== NOT_FOUND) throw error;
          depths.push({ queue, messages: null, consumers: null, declared: false });
          channel = await openChannel(connection);
        }
      }
    } finally {
      await channel.close().catch(() => {});
    }
    return depths;
  }

  close(): Promise<void> {
    return this.#connection.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function openChannel(connection: ChannelModel): Promise<Channel> {
  const channel = await connection.createChannel();
  // A 404 closes the channel with an 'error' event as well as the rejected call; the call is what counts.
  channel.on('error', () => {});
  return channel;
}
