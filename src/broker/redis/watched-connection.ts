/**
 * An ioredis connection for a long-lived listener or publisher: opened by
 * connectRedis (fails fast the first time, reconnects with backoff after),
 * remembering its last error to say why it went, and PINGed as kombu's
 * health_check_interval does: one that has not answered by the next PING
 * is dropped, so ioredis reconnects. Without that a connection whose peer
 * is gone without a reset (a partition) looks up forever: a subscriber
 * deaf, a publisher writing into the void. PING is allowed in subscribe mode.
 */
import type { Redis } from 'ioredis';
import { connectRedis } from './connect.js';

export interface WatchedConnectionOptions {
  name: string;
  reconnectInitialDelayMs?: number;
  reconnectMaxDelayMs?: number;
  /** PING interval in ms. */
  healthCheckMs: number;
}

export interface WatchedConnection {
  readonly client: Redis;
  /** Why the connection last failed, for a loss report. */
  lastError(): Error;
  /** Stops the PINGs; the caller quits the client. */
  stop(): void;
}

export async function connectWatched(url: string, options: WatchedConnectionOptions): Promise<WatchedConnection> {
  let last: Error | null = null;
  const client = await connectRedis(url, {
    name: options.name,
    log: (_level, _message, error) => {
      if (error instanceof Error) last = error;
    },
    ...(options.reconnectInitialDelayMs !== undefined && { reconnectInitialDelayMs: options.reconnectInitialDelayMs }),
    ...(options.reconnectMaxDelayMs !== undefined && { reconnectMaxDelayMs: options.reconnectMaxDelayMs }),
  });
  client.on('ready', () => (last = null));
  let unanswered: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    if (client.status !== 'ready') {
      unanswered = null;
      return;
    }
    if (unanswered !== null) {
      unanswered = null;
      last = new Error(`no answer to PING within ${options.healthCheckMs} ms`);
      client.disconnect(true);
      return;
    }
    const ping = client.ping().catch(() => {});
    unanswered = ping;
    void ping.then(() => {
      if (unanswered === ping) unanswered = null;
    });
  }, options.healthCheckMs);
  timer.unref();
  return {
    client,
    lastError: () => last ?? new Error('the Redis connection closed'),
    stop: () => clearInterval(timer),
  };
}
