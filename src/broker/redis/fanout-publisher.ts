/**
 * PUBLISHes broadcast messages as kombu's Redis transport does (_put_fanout):
 * the envelope on `/{db}.{exchange}/{routing key}`. Its own connection,
 * since a subscribed one may not publish. A message is sent at once or not
 * at all: while disconnected publish() says false and the caller keeps it.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { parseRedisUrl } from '../url.js';
import type { OutboundMessage } from '../fanout.js';
import { publishChannel } from './channels.js';
import { connectRedis } from './connect.js';
import { checkHealth } from './health-check.js';
import { fanoutEnvelope } from './fanout-message.js';

export interface RedisFanoutPublisherOptions {
  url: string;
  name: string;
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** PING interval: a connection that does not answer within it is dropped and reconnected. */
  healthCheckMs: number;
  /** The connection is ready again after a loss. */
  onReady(): void;
  onLost(error: Error): void;
  onPublishFailed(error: unknown): void;
}

export class RedisFanoutPublisher {
  private client: Redis | null = null;
  private stopChecking = (): void => {};
  private readonly db: number;
  private readonly pending = new Set<Promise<unknown>>();
  private lastError: Error | null = null;

  constructor(private readonly options: RedisFanoutPublisherOptions) {
    this.db = parseRedisUrl(options.url).db;
  }

  async start(): Promise<void> {
    const o = this.options;
    const client = await connectRedis(o.url, {
      name: o.name,
      log: (_level, _message, error) => {
        if (error instanceof Error) this.lastError = error;
      },
      ...(o.reconnectInitialDelayMs !== undefined && { reconnectInitialDelayMs: o.reconnectInitialDelayMs }),
      ...(o.reconnectMaxDelayMs !== undefined && { reconnectMaxDelayMs: o.reconnectMaxDelayMs }),
    });
    this.client = client;
    this.stopChecking = checkHealth(client, o.healthCheckMs);
    let ready = true;
    client.on('ready', () => {
      ready = true;
      o.onReady();
    });
    client.on('close', () => {
      if (!ready) return;
      ready = false;
      if (this.client !== null) o.onLost(this.lastError ?? new Error('the Redis connection closed'));
    });
  }

  get ready(): boolean {
    return this.client?.status === 'ready';
  }

  publish(message: OutboundMessage): boolean {
    const client = this.client;
    if (client === null || client.status !== 'ready') return false;
    const channel = publishChannel(this.db, message.exchange, message.routingKey);
    const sending = client.publish(channel, fanoutEnvelope(message, randomUUID())).catch((error: unknown) => this.options.onPublishFailed(error));
    this.pending.add(sending);
    void sending.finally(() => this.pending.delete(sending));
    return true;
  }

  /** Waits for the PUBLISHes under way, then quits. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.stopChecking();
    await Promise.allSettled(this.pending);
    if (client !== null) await client.quit().catch(() => client.disconnect());
  }
}
