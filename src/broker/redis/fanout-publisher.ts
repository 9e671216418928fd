/**
 * PUBLISHes broadcast messages as kombu's Redis transport does (_put_fanout):
 * the envelope on `/{db}.{exchange}/{routing key}`. Its own connection,
 * since a subscribed one may not publish. A message is sent at once or not
 * at all: while disconnected publish() says false and the caller keeps it.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { OutboundMessage } from '../fanout.js';
import { parseRedisUrl } from '../url.js';
import { publishChannel } from './channels.js';
import { fanoutEnvelope } from './fanout-message.js';
import { bindingKey, parseBindingMember, priorityList, queuesFor, type Binding } from './routing.js';
import { connectWatched, type WatchedConnection, type WatchedConnectionOptions } from './watched-connection.js';

export interface RedisFanoutPublisherOptions extends WatchedConnectionOptions {
  url: string;
  /** The connection is ready again after a loss. */
  onReady(): void;
  onLost(error: Error): void;
  onPublishFailed(error: unknown): void;
}

export class RedisFanoutPublisher {
  private connection: WatchedConnection | null = null;
  private readonly db: number;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly options: RedisFanoutPublisherOptions) {
    this.db = parseRedisUrl(options.url).db;
  }

  async start(): Promise<void> {
    const o = this.options;
    const connection = await connectWatched(o.url, o);
    this.connection = connection;
    let ready = true;
    connection.client.on('ready', () => {
      ready = true;
      o.onReady();
    });
    connection.client.on('close', () => {
      if (!ready) return;
      ready = false;
      if (this.connection !== null) o.onLost(connection.lastError());
    });
  }

  get ready(): boolean {
    return this.connection?.client.status === 'ready';
  }

  publish(message: OutboundMessage): boolean {
    const client = this.connection?.client;
    if (client === undefined || client.status !== 'ready') return false;
    const envelope = fanoutEnvelope(message, randomUUID());
    const sent = message.toQueues === true ? pushToBoundQueues(client, message, envelope) : client.publish(publishChannel(this.db, message.exchange, message.routingKey), envelope);
    const sending = sent.catch((error: unknown) => this.options.onPublishFailed(error));
    this.pending.add(sending);
    void sending.finally(() => this.pending.delete(sending));
    return true;
  }

  /** Waits for the PUBLISHes under way, then quits. */
  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    if (connection === null) return;
    connection.stop();
    await Promise.allSettled(this.pending);
    await connection.client.quit().catch(() => connection.client.disconnect());
  }
}

/** kombu's direct routing on Redis: the exchange's bindings name the lists. Nothing bound (the asker left): nothing pushed, as kombu drops it. */
async function pushToBoundQueues(client: Redis, message: OutboundMessage, envelope: string): Promise<void> {
  const members = await client.smembers(bindingKey(message.exchange));
  const bindings = members.map(parseBindingMember).filter((b): b is Binding => b !== undefined);
  const queues = queuesFor(message.exchange, message.routingKey, bindings);
  if (queues.length === 0) return;
  const transaction = client.multi();
  for (const queue of queues) transaction.lpush(priorityList(queue, message.priority), envelope);
  await transaction.exec();
}
