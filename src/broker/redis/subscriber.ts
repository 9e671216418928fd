/**
 * A PSUBSCRIBE connection that stays subscribed: ioredis reconnects with
 * backoff, and after each reconnection the patterns are subscribed again
 * before `onSubscribed` says so. PUB/SUB keeps nothing for an absent
 * subscriber, so between `onLost` and the next `onSubscribed` messages are
 * lost, which the caller may want to make up for.
 */
import type { Redis } from 'ioredis';
import type { BrokerLog } from '../amqp/connect.js';
import { connectRedis } from './connect.js';
import { checkHealth } from './health-check.js';

export interface RedisSubscriberOptions {
  url: string;
  patterns: readonly string[];
  /** Shown by CLIENT LIST. */
  name: string;
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** PING interval: a connection that does not answer within it is dropped and reconnected. */
  healthCheckMs: number;
  onMessage(channel: string, message: Buffer): void;
  onSubscribed(reconnect: boolean): void;
  onLost(error: Error): void;
  onReconnectScheduled(attempt: number, delayMs: number, error: Error): void;
}

export class RedisSubscriber {
  private client: Redis | null = null;
  private stopChecking = (): void => {};
  private subscribed = false;
  private closed = false;
  private attempts = 0;
  private lastError: Error | null = null;

  constructor(private readonly options: RedisSubscriberOptions) {}

  /** Connects and subscribes; rejects (BrokerError E_BROKER_CONNECT) when the first connection fails. */
  async start(): Promise<void> {
    const o = this.options;
    const log: BrokerLog = (_level, _message, error) => {
      if (error instanceof Error) this.lastError = error;
    };
    const client = await connectRedis(o.url, {
      name: o.name,
      log,
      ...(o.reconnectInitialDelayMs !== undefined && { reconnectInitialDelayMs: o.reconnectInitialDelayMs }),
      ...(o.reconnectMaxDelayMs !== undefined && { reconnectMaxDelayMs: o.reconnectMaxDelayMs }),
    });
    this.client = client;
    client.on('pmessageBuffer', (_pattern: string, channel: Buffer, message: Buffer) => o.onMessage(channel.toString('utf8'), message));
    client.on('close', () => {
      if (!this.subscribed) return;
      this.subscribed = false;
      if (!this.closed) o.onLost(this.lastError ?? new Error('the Redis connection closed'));
    });
    client.on('reconnecting', (delayMs: number) => {
      this.attempts++;
      o.onReconnectScheduled(this.attempts, delayMs, this.lastError ?? new Error('the Redis connection closed'));
    });
    client.on('ready', () => void this.subscribe(true));
    await this.subscribe(false);
    this.stopChecking = checkHealth(client, o.healthCheckMs);
  }

  get isSubscribed(): boolean {
    return this.subscribed;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.subscribed = false;
    this.stopChecking();
    const client = this.client;
    this.client = null;
    if (client !== null) await client.quit().catch(() => client.disconnect());
  }

  private async subscribe(reconnect: boolean): Promise<void> {
    const client = this.client;
    if (client === null || this.closed) return;
    try {
      await client.psubscribe(...this.options.patterns);
    } catch (error) {
      // The connection went again; its next 'ready' retries.
      if (!reconnect) throw error;
      this.lastError = error as Error;
      return;
    }
    this.attempts = 0;
    this.lastError = null;
    this.subscribed = true;
    this.options.onSubscribed(reconnect);
  }
}
