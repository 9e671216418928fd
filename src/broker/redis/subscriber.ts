/**
 * A PSUBSCRIBE connection that stays subscribed: it reconnects with
 * backoff, and after each reconnection the patterns are subscribed again
 * before `onSubscribed` says so. PUB/SUB keeps nothing for an absent
 * subscriber, so between `onLost` and the next `onSubscribed` messages are
 * lost, which the caller may want to make up for.
 */
import { connectWatched, type WatchedConnection, type WatchedConnectionOptions } from './watched-connection.js';

export interface RedisSubscriberOptions extends WatchedConnectionOptions {
  url: string;
  patterns: readonly string[];
  onMessage(channel: string, message: Buffer): void;
  onSubscribed(reconnect: boolean): void;
  onLost(error: Error): void;
  onReconnectScheduled(attempt: number, delayMs: number, error: Error): void;
}

export class RedisSubscriber {
  private connection: WatchedConnection | null = null;
  private subscribed = false;
  private closed = false;
  private attempts = 0;

  constructor(private readonly options: RedisSubscriberOptions) {}

  /** Connects and subscribes; rejects (BrokerError E_BROKER_CONNECT) when the first connection fails. */
  async start(): Promise<void> {
    const o = this.options;
    const connection = await connectWatched(o.url, o);
    this.connection = connection;
    const { client } = connection;
    client.on('pmessageBuffer', (_pattern: string, channel: Buffer, message: Buffer) => o.onMessage(channel.toString('utf8'), message));
    client.on('close', () => {
      if (!this.subscribed) return;
      this.subscribed = false;
      if (!this.closed) o.onLost(connection.lastError());
    });
    client.on('reconnecting', (delayMs: number) => {
      this.attempts++;
      o.onReconnectScheduled(this.attempts, delayMs, connection.lastError());
    });
    client.on('ready', () => void this.subscribe(true));
    await this.subscribe(false);
  }

  get isSubscribed(): boolean {
    return this.subscribed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribed = false;
    const connection = this.connection;
    this.connection = null;
    if (connection === null) return;
    connection.stop();
    await connection.client.quit().catch(() => connection.client.disconnect());
  }

  private async subscribe(reconnect: boolean): Promise<void> {
    const client = this.connection?.client;
    if (client === undefined || this.closed) return;
    try {
      await client.psubscribe(...this.options.patterns);
    } catch (error) {
      // The connection went again; its next 'ready' retries.
      if (!reconnect) throw error;
      return;
    }
    this.attempts = 0;
    this.subscribed = true;
    this.options.onSubscribed(reconnect);
  }
}
