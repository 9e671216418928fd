/**
 * The monitor: its page and files, and the JSON API the page reads.
 *
 *   GET  /                          the page
 *   GET  /assets/:file              its script, helpers and styles
 *   GET  /api/config                what this server allows (read-only or not, run now, apply, live updates)
 *   GET  /api/live                  text/event-stream of what changed (with a LiveFeed): results, tasks, workers, periodic
 *   POST /api/token                 204 when the bearer token is right (the page's unlock)
 *   GET  /api/workers               workers, online or not
 *   GET  /api/beats                 beats, alive, late or gone (their heartbeat rows)
 *   GET  /api/queues                queues the tables and options name, with messages and consumers
 *   GET  /api/tasks[?state&name&worker&limit&cursor]    tasks the camera saw, newest first
 *   GET  /api/tasks/:id
 *   GET  /api/results[?status&name&worker&limit&cursor] task results, newest first
 *   GET  /api/results/:id
 *   GET  /api/history[?range=hour|week&worker]     task counts per minute (hour) or hour (week), zero-filled
 *   GET  /api/history/runtimes      runtime percentiles per task name over the last day
 *   POST /api/results/:id/retry     send a failed task again under a new id (token)
 *   and the periodic tasks' routes (periodic-routes.ts), and remote control's (control-routes.ts).
 */
import { HttpError, json } from '../http/responses.js';
import type { Router } from '../http/router.js';
import { StaticFiles } from '../static-files.js';
import { addControlRoutes } from './control-routes.js';
import { addPeriodicRoutes } from './periodic-routes.js';
import { listBeats } from './beats.js';
import { listQueues } from './queues.js';
import { runtimePercentiles, taskHistory } from './history.js';
import { FinishedHours } from './history-cache.js';
import { historyRange } from './history-series.js';
import { getResult, listResults } from './results.js';
import { retryLinks, retryTask } from './retry.js';
import { getTask, listTasks } from './tasks.js';
import { listWorkers } from './workers.js';
import { filterValue } from './paging.js';
import type { MonitorContext } from './context.js';

function found<T>(value: T | null, what: string, id: string): T {
  if (value === null) throw new HttpError(404, `no ${what} ${JSON.stringify(id)}`);
  return value;
}

export function addMonitorRoutes(router: Router, context: MonitorContext): void {
  const { database, liveness, guard } = context;
  const files = new StaticFiles();
  const asset = async (request: Request, name: string): Promise<Response> => found(await files.serve(request, name), 'asset', name);
  const query = (request: Request): URLSearchParams => new URL(request.url).searchParams;
  const finishedHours = new FinishedHours();

  router
    .add('GET', '/', (request) => asset(request, 'index.html'))
    .add('GET', '/assets/:file', (request, { file = '' }) => asset(request, file))
    .add('GET', '/api/config', () =>
      json({
        readOnly: !guard.configured,
        canRun: context.publisher !== undefined,
        canControl: context.control !== undefined,
        live: context.live !== undefined,
        apply: [...context.allowed].sort(),
        heartbeatFreq: liveness.heartbeatFreq,
        cameraFreq: liveness.cameraFreq,
        now: context.now().toISOString(),
      }),
    )
    // A read like the other GETs: what changed names no more than the lists show.
    .add('GET', '/api/live', (request) => {
      if (context.live === undefined) throw new HttpError(404, 'live updates are off here: the page refreshes on its timer');
      return context.live.stream(request);
    })
    .add('POST', '/api/token', (request) => {
      guard.check(request);
      return new Response(null, { status: 204 });
    })
    .add('GET', '/api/workers', async () => {
      const now = context.now();
      return json({ ...(await listWorkers(database, now, liveness)), now: now.toISOString() });
    })
    .add('GET', '/api/beats', async () => {
      const now = context.now();
      return json({ ...(await listBeats(database, now)), now: now.toISOString() });
    })
    .add('GET', '/api/queues', async () =>
      json({ ...(await listQueues(database, context.queueStats, context.monitorQueues, context.layout)), now: context.now().toISOString() }),
    )
    .add('GET', '/api/tasks', async (request) => json({ ...(await listTasks(database, query(request))), now: context.now().toISOString() }))
    .add('GET', '/api/tasks/:id', async (_, { id = '' }) => json({ ...found(await getTask(database, id), 'task', id), ...(await retryLinks(database, id)) }))
    .add('GET', '/api/results', async (request) => json({ ...(await listResults(database, query(request), context.layout)), now: context.now().toISOString() }))
    .add('GET', '/api/results/:id', async (_, { id = '' }) =>
      json({ ...found(await getResult(context.backend, id), 'result for task', id), ...(await retryLinks(database, id)) }),
    )
    .add('GET', '/api/history', async (request) => {
      const params = query(request);
      const now = context.now();
      return json({ ...(await taskHistory(database, historyRange(params.get('range')), now, filterValue(params, 'worker'), finishedHours)), now: now.toISOString() });
    })
    .add('GET', '/api/history/runtimes', async () => {
      const now = context.now();
      return json({ ...(await runtimePercentiles(database, now)), now: now.toISOString() });
    })
    .add('POST', '/api/results/:id/retry', async (request, { id = '' }) => {
      guard.check(request);
      const retried = await retryTask(context, id);
      context.onAction(`retry: ${retried.name}[${retried.retryOf}] sent again as ${retried.taskId}${retried.queue === undefined ? '' : ` to queue ${retried.queue}`}`);
      return json(retried, 201);
    });
  addPeriodicRoutes(router, context);
  addControlRoutes(router, context);
}
