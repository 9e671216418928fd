/**
 * createHandler: djcelery's views (and, when asked, the monitor) as one
 * function from a standard Fetch Request to a Response, to mount in Node's
 * http server (adapters/node.ts), Express, Hono, Next.js route handlers or
 * anything else that speaks Request and Response.
 *
 * Routes, under basePath:
 *   GET       /tasks               registered task names (regular, periodic)
 *   GET       /tasks/:id/status    task status and result
 *   GET       /tasks/:id/done      whether the task succeeded
 *   POST      /apply/:name         send a task (only the names allowed, with the token;
 *                                  GET too, and no token, with apply.unsafeOpen)
 *   GET       /metrics             Prometheus text, with `metrics` (metrics/route.ts)
 *   and with `monitor`, the page at / and its API (monitor/routes.ts).
 */
import { PrismaResultBackend } from '../backend/index.js';
import { ConfigError } from '../errors.js';
import { errorResponse } from './http/errors.js';
import { TokenGuard } from './http/auth.js';
import { jsonError } from './http/responses.js';
import { Router } from './http/router.js';
import { Metrics } from './metrics/metrics.js';
import { metricsResponse } from './metrics/route.js';
import { addMonitorRoutes } from './monitor/routes.js';
import { resolveWebOptions, type ResolvedWebOptions, type WebHandlerOptions } from './options.js';
import { applyTask } from './views/apply.js';
import { registeredTasks } from './views/registered.js';
import { isTaskSuccessful, taskStatus } from './views/task-status.js';

export type WebHandler = (request: Request) => Promise<Response>;

export function createHandler(options: WebHandlerOptions): WebHandler {
  const resolved = resolveWebOptions(options);
  const { database, basePath } = resolved;
  // Reads only, through a database the caller owns: nothing to close.
  const backend = new PrismaResultBackend(database, { layout: resolved.layout });
  const results = resolved.resultBackend ?? backend;
  const guard = new TokenGuard(resolved.token);

  const router = new Router()
    .add('GET', '/tasks', () => registeredTasks(database, resolved.tasks))
    .add('GET', '/tasks/:id/status', (_, { id = '' }) => taskStatus(results, id))
    .add('GET', '/tasks/:id/done', (_, { id = '' }) => isTaskSuccessful(results, id));
  // A browser sends a cross-site GET, or a form's POST, without asking; it cannot add the token's header.
  for (const method of resolved.applyOpen ? ['GET', 'POST'] : ['POST']) {
    router.add(method, '/apply/:name', (request, { name = '' }) => {
      if (!resolved.applyOpen || guard.configured) guard.check(request);
      return applyTask(resolved, request, name);
    });
  }
  const metrics = metricsOf(options, resolved);
  if (metrics !== undefined) router.add('GET', '/metrics', (request) => metricsResponse(metrics, guard, request, resolved.onError));
  if (resolved.monitor !== null) addMonitorRoutes(router, { ...resolved, liveness: resolved.monitor, backend, guard });

  return async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname !== basePath && !pathname.startsWith(`${basePath}/`)) return jsonError(404, 'not found');
    // The page links its files relatively, which resolves right only below a trailing slash.
    if (resolved.monitor !== null && pathname === basePath && basePath !== '') {
      return new Response(null, { status: 308, headers: { location: `${basePath}/` } });
    }
    try {
      const response = await router.dispatch(request, pathname.slice(basePath.length) || '/');
      return response ?? jsonError(404, 'not found');
    } catch (error) {
      return errorResponse(error, resolved.onError);
    }
  };
}

/** The handler's Metrics: the one given, or with `true` one over its own database, queues and liveness. */
function metricsOf(options: WebHandlerOptions, resolved: ResolvedWebOptions): Metrics | undefined {
  if (options.metrics instanceof Metrics) return options.metrics;
  if (options.metrics === undefined || options.metrics === false) return undefined;
  if (options.metrics !== true) throw new ConfigError('metrics must be true, false or a Metrics');
  return new Metrics({
    database: resolved.database,
    queueStats: resolved.queueStats,
    queues: resolved.monitorQueues,
    ...(resolved.monitor ?? {}),
    now: resolved.now,
  });
}
