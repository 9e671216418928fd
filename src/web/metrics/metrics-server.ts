/**
 * A process's own /metrics on a port of its own, for a process that serves
 * nothing else (`prisma-celery cam --metrics-port`). Every other path is 404.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../../errors.js';
import { TokenGuard } from '../http/auth.js';
import type { ErrorLog } from '../http/errors.js';
import type { Metrics } from './metrics.js';
import { metricsResponse } from './route.js';
import { toNodeListener } from '../adapters/node.js';

export interface MetricsServer extends AsyncDisposable {
  /** `http://host:port/metrics`, with the port actually bound. */
  readonly url: string;
  close(): Promise<void>;
}

export async function startMetricsServer(metrics: Metrics, options: { host: string; port: number; onError: ErrorLog }): Promise<MetricsServer> {
  const guard = new TokenGuard(undefined);
  const server = createServer(
    toNodeListener(async (request) => {
      const { pathname } = new URL(request.url);
      if (request.method === 'GET' && pathname === '/metrics') return metricsResponse(metrics, guard, request, options.onError);
      return new Response('not found: the metrics are at /metrics\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    }),
  );
  await listen(server, options.port, options.host);
  const { address, family, port } = server.address() as AddressInfo;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url: `http://${family === 'IPv6' ? `[${address}]` : address}:${port}/metrics`, close, [Symbol.asyncDispose]: close };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new ConfigError(`cannot listen on ${host}:${port}: ${error.code === 'EADDRINUSE' ? 'the port is in use' : error.message}`, { cause: error })),
    );
    server.listen(port, host, () => resolve());
  });
}
