/**
 * The monitor as a running HTTP server: what `prisma-celery serve` starts.
 * It opens nothing it is not given, except the broker connection for
 * apply and "run now", made on the first task sent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrokerLog } from '../amqp/index.js';
import type { Database } from '../db/open.js';
import { ConfigError } from '../errors.js';
import { toNodeListener } from './adapters/node.js';
import { createHandler } from './handler.js';
import { LazyPublisher } from './lazy-publisher.js';
import type { MonitorOptions } from './options.js';

export interface MonitorServerOptions {
  /** The tables' database; the server uses it and never closes it. */
  database: Database;
  /** Default 127.0.0.1: only this machine, until you choose otherwise. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Turns on changes (periodic tasks, apply) for requests that carry it. */
  token?: string;
  /** Task names the apply route may send; needs `token`. */
  allowApply?: readonly string[];
  /** Broker for apply and "run now"; without it both answer 503. */
  brokerUrl?: string;
  monitor?: MonitorOptions;
  /** Broker trouble; default warnings and errors to the console. */
  brokerLog?: BrokerLog;
}

export interface MonitorServer extends AsyncDisposable {
  /** `http://host:port/`, with the port actually bound. */
  readonly url: string;
  /** Stops accepting, ends open connections, and closes the broker connection. */
  close(): Promise<void>;
}

export async function startMonitorServer(options: MonitorServerOptions): Promise<MonitorServer> {
  const allow = options.allowApply ?? [];
  if (allow.length > 0 && options.token === undefined) {
    throw new ConfigError('apply over HTTP sends tasks for whoever asks: set a token (--token or PRISMA_CELERY_TOKEN) to allow it');
  }
  const publisher =
    options.brokerUrl === undefined || (options.token === undefined && allow.length === 0)
      ? undefined
      : new LazyPublisher({ url: options.brokerUrl, log: options.brokerLog });
  const handler = createHandler({
    database: options.database,
    token: options.token,
    apply: { allow },
    publisher,
    monitor: options.monitor ?? true,
  });
  const server = createServer(toNodeListener(handler));
  try {
    await listen(server, options.port ?? 8080, options.host ?? '127.0.0.1');
  } catch (error) {
    await publisher?.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await stopped;
      await publisher?.close();
    })());
  return { url: `http://${host}:${address.port}/`, close, [Symbol.asyncDispose]: close };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      const why = error.code === 'EADDRINUSE' ? `${host}:${port} is in use` : error.message;
      reject(new ConfigError(`cannot listen on ${host}:${port}: ${why}`, { cause: error }));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}
