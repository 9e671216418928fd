/**
 * The monitor as a running HTTP server: what `prisma-celery serve` starts.
 * It opens nothing it is not given, except the broker connection for
 * apply and "run now", made on the first task sent.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { RedisResultBackend } from '../backend/redis-backend.js';
import type { BrokerLog } from '../broker/log.js';
import { LazyConnection } from '../broker/lazy-connection.js';
import { createQueueStats } from '../broker/queue-stats.js';
import { Control } from '../control/index.js';
import type { Layout } from '../db/layout.js';
import type { Database } from '../db/open.js';
import { ConfigError } from '../errors.js';
import { toNodeListener } from './adapters/node.js';
import { createHandler } from './handler.js';
import { LazyPublisher } from './lazy-publisher.js';
import { LiveFeed, type LiveFeedOptions } from './live/live-feed.js';
import type { Metrics } from './metrics/metrics.js';
import type { ActionLog, MonitorOptions } from './options.js';

export interface MonitorServerOptions {
  /** The tables' database; the server uses it and never closes it. */
  database: Database;
  /** Whose tables hold task results: djcelery (ours; the default) or django (django-celery-results'). */
  layout?: Layout;
  /** Default 127.0.0.1: only this machine, until you choose otherwise. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Turns on changes (periodic tasks, apply) for requests that carry it. */
  token?: string;
  /** Who the token stands for in the audit trail of schedule changes (`web:<label>`). Default `monitor`. */
  tokenLabel?: string;
  /** Task names the apply route may send; needs `token`. */
  allowApply?: readonly string[];
  /** Queue apply sends to when the request names none: your workers' default queue. Default `celery`. */
  defaultQueue?: string;
  /**
   * Celery's Redis result backend (redis://…) the task-status views read
   * (the server opens it on the first read and closes it); default the
   * database's results table.
   */
  resultBackendUrl?: string;
  /** Broker (amqp://… or redis://…) for apply, "run now", retry, remote control and the queues' depths; without it the actions answer 503. */
  brokerUrl?: string;
  monitor?: MonitorOptions;
  /** GET /metrics: true (the default) for the tables' and queues' families, false for none, or a Metrics of your own. */
  metrics?: boolean | Metrics;
  /** The live updates' poll and heartbeat (GET /api/live). */
  live?: LiveFeedOptions;
  /** Broker trouble; default warnings and errors to the console. */
  brokerLog?: BrokerLog;
  /** One line per change made through the monitor; default stderr, in the package's log format. */
  actionLog?: ActionLog;
}

export interface MonitorServer extends AsyncDisposable {
  /** `http://host:port/`, with the port actually bound. */
  readonly url: string;
  /** Stops accepting, ends the live streams, lets answers in flight finish (a second at most), ends open connections, and closes the broker connection. */
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
      : new LazyPublisher(options.brokerUrl, { log: options.brokerLog });
  const { brokerUrl } = options;
  const queueStats = brokerUrl === undefined ? undefined : createQueueStats(brokerUrl, { log: options.brokerLog });
  // Connected on first use, like the publisher: a monitor whose broker is down still serves its pages.
  const control =
    brokerUrl === undefined
      ? undefined
      : new LazyConnection(
          async () => {
            const started = new Control({ brokerUrl, connectionName: 'prisma-celery monitor' });
            await started.start();
            return started;
          },
          (started) => started.close(),
        );
  const live = new LiveFeed(options.database, { ...options.live, layout: options.layout });
  const resultBackend = options.resultBackendUrl === undefined ? undefined : new RedisResultBackend(options.resultBackendUrl);
  const handler = createHandler({
    database: options.database,
    layout: options.layout,
    resultBackend,
    queueStats,
    live,
    ...(control && { control: () => control.get() }),
    token: options.token,
    ...(options.tokenLabel !== undefined && { tokenLabel: options.tokenLabel }),
    apply: { allow, queue: options.defaultQueue },
    publisher,
    monitor: options.monitor ?? true,
    metrics: options.metrics ?? true,
    onAction: options.actionLog,
  });
  const host = options.host ?? '127.0.0.1';
  const answering = new InFlight();
  const server = createServer(answering.track(guardHost(host, toNodeListener(handler))));
  try {
    await listen(server, options.port ?? 8080, host);
  } catch (error) {
    await publisher?.close();
    await queueStats?.close();
    await control?.close();
    await resultBackend?.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Ends the event streams first and lets them (and any answer in flight) finish, so pages see them end rather than break.
      await live.close();
      await answering.settled(CLOSE_GRACE_MS);
      server.closeAllConnections();
      await stopped;
      await publisher?.close();
      await queueStats?.close();
      await control?.close();
      await resultBackend?.close();
    })());
  return { url: `http://${shown}:${address.port}/`, close, [Symbol.asyncDispose]: close };
}

/** How long close() lets answers in flight finish before it cuts their connections. */
const CLOSE_GRACE_MS = 1000;

/** The responses not finished yet, so close() can let them finish. */
class InFlight {
  readonly #open = new Set<Promise<void>>();

  track(listener: RequestListener): RequestListener {
    return (req, res) => {
      const done = new Promise<void>((resolve) => res.once('close', resolve));
      this.#open.add(done);
      void done.then(() => this.#open.delete(done));
      listener(req, res);
    };
  }

  /** Resolves once every tracked response finished, or after `ms`. */
  async settled(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.#open), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const isLoopback = (host: string): boolean => LOOPBACK_NAMES.has(host) || (isIP(host) === 4 && host.startsWith('127.'));

/**
 * On a loopback address, answers only requests addressed to a loopback
 * name. A web page elsewhere could otherwise point its own host name at
 * 127.0.0.1 (DNS rebinding) and read the monitor, task arguments and
 * results included, from the user's browser. Listening on another address
 * is a deliberate choice to be reached by name, so any Host goes.
 */
function guardHost(host: string, listener: RequestListener): RequestListener {
  if (!isLoopback(host)) return listener;
  return (req: IncomingMessage, res: ServerResponse) => {
    const name = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    if (isLoopback(name)) {
      listener(req, res);
      return;
    }
    res.writeHead(421, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ error: 'this monitor answers on localhost only (it listens on a loopback address)' }));
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void => {
      const why = error.code === 'EADDRINUSE' ? 'the port is in use' : error.message;
      reject(new ConfigError(`cannot listen on ${host}:${port}: ${why}`, { cause: error }));
    };
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve();
    });
  });
}
