import { readFileSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError } from '../../errors.js';
import type { BrokerLog } from '../log.js';
import { BrokerError, messageOf } from '../errors.js';
import { parseRedisUrl, redactUrl, type RedisTarget } from '../url.js';
import { redisFault, refusedCommand } from './fault.js';

export interface RedisConnectOptions {
  /** Shown by CLIENT LIST, e.g. `prisma-celery beat`. */
  name?: string;
  /** Milliseconds the first connection may take to be ready (connected, logged in, database selected). Default 10000. */
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
        ...(target.tls.caFile && { ca: certificate('ssl_ca_certs', target.tls.caFile) }),
        ...(target.tls.certFile && { cert: certificate('ssl_certfile', target.tls.certFile) }),
        ...(target.tls.keyFile && { key: certificate('ssl_keyfile', target.tls.keyFile) }),
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

function certificate(parameter: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ConfigError(`broker URL: ${parameter}=${path} cannot be read (${code}): fix the path`, { cause: error });
  }
}

/**
 * Opens an ioredis client on a kombu Redis URL and waits until it is ready
 * (connected, logged in, database selected), for `timeoutMs` at most. The
 * first connect is not retried: it fails at once with a BrokerError
 * E_BROKER_CONNECT whose `fault` says why. After that, errors go to `log`
 * and ioredis reconnects on its own. The caller owns the client and quits it.
 */
export async function connectRedis(url: string, options: RedisConnectOptions = {}): Promise<Redis> {
  const where = redactUrl(url);
  const target = parseRedisUrl(url);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const client = new Redis(redisOptions(target, options));
  const log = options.log;
  // While the first connect is under way: whether the socket opened, and the first error, to say why it failed.
  const attempt: { opened: boolean; error?: unknown } = { opened: false };
  let settled = false;
  client.on('connect', () => {
    if (!settled) attempt.opened = true;
  });
  client.on('error', (error: Error) => {
    // ioredis goes on in database 0 when SELECT is refused: drop that connection, so nothing is read or written there.
    if (refusedCommand(error) === 'select') client.disconnect(true);
    if (!settled) attempt.error ??= error;
    else log?.('warn', `connection to ${where} failed`, error);
  });
  let timer: NodeJS.Timeout | undefined;
  // A server that accepts the connection and never answers would hold ioredis's handshake forever.
  const deadline = new Promise<'expired'>((resolve) => (timer = setTimeout(() => resolve('expired'), timeoutMs)));
  const connecting = client.connect().then(() => 'ready' as const);
  connecting.catch(() => {}); // settles after the deadline won, once disconnected
  let failure: unknown;
  try {
    if ((await Promise.race([connecting, deadline])) === 'ready') return client;
    failure = Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
  } catch (error) {
    failure = error; // ioredis's "Connection is closed."; what closed it was emitted before
  } finally {
    clearTimeout(timer);
    settled = true; // from here on, errors are logged
  }
  const { opened, error: reported } = attempt;
  client.disconnect();
  const timedOut = (failure as { code?: unknown }).code === 'ETIMEDOUT';
  const cause = reported ?? (timedOut ? failure : undefined);
  let fault = redisFault(cause, { opened, tls: target.tls !== undefined });
  if (fault?.kind === 'no-database') {
    const databases = await databaseCount(target, options);
    if (databases !== undefined) fault = { ...fault, databases };
  }
  throw new BrokerError('E_BROKER_CONNECT', `cannot connect to ${where}: ${fault?.detail ?? messageOf(cause ?? failure)}`, {
    cause: cause ?? failure,
    ...(fault && { fault }),
  });
}

/** How many databases the server has (CONFIG GET databases on database 0), when it will say. */
async function databaseCount(target: RedisTarget, options: RedisConnectOptions): Promise<number | undefined> {
  const client = new Redis({ ...redisOptions({ ...target, db: 0 }, options), retryStrategy: () => null });
  client.on('error', () => {});
  try {
    await client.connect();
    const [, count] = (await client.config('GET', 'databases')) as unknown[];
    return Number.isInteger(Number(count)) ? Number(count) : undefined;
  } catch {
    return undefined; // CONFIG may be renamed or forbidden; the line then goes without the count
  } finally {
    client.disconnect();
  }
}

/**
 * Opens and quits one connection, within `timeoutMs`: a BrokerError
 * E_BROKER_CONNECT with its `fault` when the server cannot be used.
 */
export async function probeRedis(url: string, timeoutMs = 2500): Promise<void> {
  const client = await connectRedis(url, { timeoutMs, log: () => {} });
  await client.quit().catch(() => client.disconnect());
}
