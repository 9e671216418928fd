/**
 * PUBLISHes broadcast messages as kombu's Redis transport does (_put_fanout):
 * the envelope on `/{db}.{exchange}/{routing key}`. Its own connection,
 * since a subscribed one may not publish. A message is sent at once or not
 * at all: while disconnected publish() says false and the caller keeps it.
 */
import { randomUUID } from 'node:crypto';
import type { OutboundMessage } from '../fanout.js';
import { parseRedisUrl } from '../url.js';
import { publishChannel } from './channels.js';
import { fanoutEnvelope } from './fanout-message.js';
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
    const channel = publishChannel(this.db, message.exchange, message.routingKey);
    const sending = client.publish(channel, fanoutEnvelope(message, randomUUID())).catch((error: unknown) => this.options.onPublishFailed(error));
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
