import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import type { BrokerLog } from '../amqp/connect.js';
import { BrokerError } from '../amqp/errors.js';
import { parseRedisUrl, redactUrl, type RedisTarget } from '../url.js';

export interface RedisConnectOptions {
  /** Shown by CLIENT LIST, e.g. `prisma-celery beat`. */
  name?: string;
  /** Milliseconds the connection may take to open. Default 10000. */
  timeoutMs?: number;
  /** First reconnect delay in ms; default 500, doubled up to `reconnectMaxDelayMs`. */
  reconnectInitialDelayMs?: number;
  /** Longest reconnect delay in ms; default 30000. */
  reconnectMaxDelayMs?: number;
  log?: BrokerLog;
}

/** ioredis options for a kombu Redis URL: commands fail at once while disconnected (the caller retries), reconnects back off. */
export function redisOptions(target: RedisTarget, options: RedisConnectOptions = {}): RedisOptions {
  const first = options.reconnectInitialDelayMs ?? 500;
  const longest = options.reconnectMaxDelayMs ?? 30_000;
  return {
    ...(target.path === undefined ? { host: target.host, port: target.port } : { path: target.path }),
    db: target.db,
    ...(target.username !== undefined && { username: target.username }),
    ...(target.password !== undefined && { password: target.password }),
    ...(target.tls && {
      tls: {
        rejectUnauthorized: target.tls.verify,
        ...(target.tls.caFile && { ca: readFileSync(target.tls.caFile) }),
        ...(target.tls.certFile && { cert: readFileSync(target.tls.certFile) }),
        ...(target.tls.keyFile && { key: readFileSync(target.tls.keyFile) }),
      },
    }),
    ...(options.name !== undefined && { connectionName: options.name.replace(/\s+/g, '-') }),
    connectTimeout: options.timeoutMs ?? 10_000,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times) => Math.min(longest, first * 2 ** (times - 1)),
  };
}

/**
 * Opens an ioredis client on a kombu Redis URL and waits until it is ready
 * (connected, logged in, database selected). Errors after that go to `log`;
 * ioredis reconnects on its own. The caller owns the client and quits it.
 */
export async function connectRedis(url: string, options: RedisConnectOptions = {}): Promise<Redis> {
  const where = redactUrl(url);
  const client = new Redis(redisOptions(parseRedisUrl(url), options));
  const log = options.log;
  client.on('error', (error: Error) => log?.('warn', `connection to ${where} failed`, error));
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new BrokerError('E_BROKER_CONNECT', `cannot connect to ${where}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return client;
}
