/**
 * The monitor's remote control (Celery's pidbox, src/control): a worker in
 * detail, from its own answers (stats, active, registered, active_queues)
 * and the camera's history; and, with the token, revoking a task and
 * acting on a worker (events on or off, pool grow or shrink, rate limit).
 * Every action is logged.
 *
 *   GET  /api/workers/:hostname                     the worker in detail
 *   POST /api/workers/:hostname/enable-events|disable-events
 *   POST /api/workers/:hostname/pool-grow|pool-shrink       {"n": 1}
 *   POST /api/workers/:hostname/rate-limit                  {"task": "tasks.add", "rate": "10/m"} (null lifts it)
 *   POST /api/tasks/:id/revoke                              {"terminate": false, "signal": "SIGTERM"}
 */
import type { Control, Gathered } from '../../control/index.js';
import { ControlError, replyError } from '../../control/index.js';
import type { JsonValue } from '../../core/protocol/json-value.js';
import { READY_STATES } from '../../core/states.js';
import type { Database } from '../../db/open.js';
import { readOptions } from '../http/body.js';
import { HttpError, json } from '../http/responses.js';
import type { Router } from '../http/router.js';
import type { MonitorContext } from './context.js';
import { isOnline } from './workers.js';

/** The signals Celery's terminate accepts by name; anything else is refused before it reaches a worker. */
const SIGNALS = new Set(['SIGTERM', 'SIGKILL', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']);

async function controlOf(context: MonitorContext): Promise<Control> {
  const source = context.control;
  if (source === undefined) throw new HttpError(503, 'remote control: no broker is configured');
  try {
    return typeof source === 'function' ? await source() : source;
  } catch (error) {
    throw new HttpError(502, `remote control: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A call's answer from one worker, or the HTTP error that says why there is none. */
function answerOf<T>(gathered: Gathered<T>, hostname: string, timeoutMs: number): T {
  if (!(hostname in gathered.replies)) {
    throw new HttpError(504, `${hostname} did not answer within ${timeoutMs / 1000} s (is it running, on this broker?)`);
  }
  const reply = gathered.replies[hostname] as T;
  const error = replyError(reply as JsonValue);
  if (error !== null) throw new HttpError(409, `${hostname}: ${error}`);
  return reply;
}

async function sent<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof ControlError) throw new HttpError(502, `remote control: ${error.message}`);
    throw error;
  }
}

/** The camera's record of a worker: its last heartbeat, and its tasks finished and failed. */
async function storedHistory(database: Database, hostname: string) {
  const worker = await database.prisma.workerState.findUnique({ where: { hostname }, select: { id: true, lastHeartbeat: true } });
  if (worker === null) return null;
  const states = await database.prisma.taskState.groupBy({ by: ['state'], where: { workerId: worker.id }, _count: { _all: true } });
  const count = (match: (state: string) => boolean): number =>
    states.filter((row) => match(row.state)).reduce((sum, row) => sum + row._count._all, 0);
  return {
    lastHeartbeat: worker.lastHeartbeat,
    processed: count((state) => READY_STATES.has(state)),
    failed: count((state) => state === 'FAILURE'),
  };
}

function whole(value: unknown, field: string): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 1000) {
    throw new HttpError(400, `${field} must be a whole number from 1 to 1000, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function addControlRoutes(router: Router, context: MonitorContext): void {
  const { database, guard, maxBodyBytes } = context;
  const timeoutMs = context.controlTimeoutMs;
  const acting =
    (work: (request: Request, params: Readonly<Record<string, string>>, control: Control) => Promise<Response>) =>
    async (request: Request, params: Readonly<Record<string, string>>): Promise<Response> => {
      guard.check(request);
      return work(request, params, await controlOf(context));
    };
  const workerAction = (
    describe: string,
    call: (control: Control, hostname: string, body: Record<string, unknown>) => Promise<Gathered<JsonValue>>,
    withBody = false,
  ) =>
    acting(async (request, { hostname = '' }, control) => {
      const body = withBody ? await readOptions(request, maxBodyBytes) : {};
      const gathered = await sent(() => call(control, hostname, body));
      const reply = answerOf(gathered, hostname, timeoutMs);
      const said = typeof reply === 'object' && reply !== null && !Array.isArray(reply) && typeof reply.ok === 'string' ? reply.ok : JSON.stringify(reply);
      context.onAction(`${describe}${withBody ? ` ${JSON.stringify(body)}` : ''} on ${hostname}: ${said}`);
      return json({ hostname, reply });
    });
  const to = (hostname: string) => ({ destination: [hostname], timeoutMs });

  router
    .add('GET', '/api/workers/:hostname', async (_, { hostname = '' }) => {
      const now = context.now();
      const history = await storedHistory(database, hostname);
      const base = {
        hostname,
        lastHeartbeat: history?.lastHeartbeat?.toISOString() ?? null,
        online: isOnline(history?.lastHeartbeat ?? null, now, context.liveness),
        processed: history?.processed ?? 0,
        failed: history?.failed ?? 0,
        seenByCamera: history !== null,
        now: now.toISOString(),
      };
      let answers;
      try {
        const control = await controlOf(context);
        answers = await Promise.all([
          sent(() => control.stats(to(hostname))),
          sent(() => control.active(to(hostname))),
          sent(() => control.registered(to(hostname))),
          sent(() => control.activeQueues(to(hostname))),
        ]);
      } catch (error) {
        // The camera's part still shows while the broker is away.
        if (!(error instanceof HttpError) || history === null) throw error;
        return json({ ...base, inspect: null, error: error.message });
      }
      const [stats, active, registered, queues] = answers;
      const answered = hostname in stats.replies;
      if (!answered && history === null) throw new HttpError(404, `no worker ${JSON.stringify(hostname)}: the camera never saw it and it does not answer`);
      return json({
        ...base,
        inspect: answered
          ? {
              stats: stats.replies[hostname] ?? null,
              active: active.replies[hostname] ?? [],
              registered: registered.replies[hostname] ?? [],
              activeQueues: queues.replies[hostname] ?? [],
            }
          : null,
        error: answered ? null : `${hostname} did not answer within ${timeoutMs / 1000} s`,
      });
    })
    .add('POST', '/api/workers/:hostname/enable-events', workerAction('enable events', (c, h) => c.enableEvents(to(h))))
    .add('POST', '/api/workers/:hostname/disable-events', workerAction('disable events', (c, h) => c.disableEvents(to(h))))
    .add('POST', '/api/workers/:hostname/pool-grow', workerAction('pool grow', (c, h, body) => c.poolGrow(whole(body.n, 'n'), to(h)), true))
    .add('POST', '/api/workers/:hostname/pool-shrink', workerAction('pool shrink', (c, h, body) => c.poolShrink(whole(body.n, 'n'), to(h)), true))
    .add(
      'POST',
      '/api/workers/:hostname/rate-limit',
      workerAction(
        'rate limit',
        (c, h, body) => {
          const { task, rate } = body;
          if (typeof task !== 'string' || task === '') throw new HttpError(400, 'rate-limit: task must be a task name, e.g. "tasks.add"');
          if (rate !== null && !(typeof rate === 'string' && /^\d+(\.\d+)?(\/[smh])?$/.test(rate.trim())) && !(typeof rate === 'number' && rate >= 0)) {
            throw new HttpError(400, `rate-limit: rate must be like "10/m", "5/s", "100/h", a number per second, or null to lift it; got ${JSON.stringify(rate)}`);
          }
          return c.rateLimit(task, typeof rate === 'string' ? rate.trim() : rate, to(h));
        },
        true,
      ),
    )
    .add(
      'POST',
      '/api/tasks/:id/revoke',
      acting(async (request, { id = '' }, control) => {
        const body = await readOptions(request, maxBodyBytes);
        const terminate = body.terminate ?? false;
        if (typeof terminate !== 'boolean') throw new HttpError(400, `revoke: terminate must be true or false, got ${JSON.stringify(terminate)}`);
        const signal = body.signal ?? 'SIGTERM';
        if (typeof signal !== 'string' || !SIGNALS.has(signal)) {
          throw new HttpError(400, `revoke: signal must be one of ${[...SIGNALS].join(', ')}; got ${JSON.stringify(signal)}`);
        }
        const gathered = await sent(() => control.revoke(id, { terminate, signal, timeoutMs }));
        const hosts = Object.keys(gathered.replies).sort();
        context.onAction(`revoke${terminate ? ` (terminate, ${signal})` : ''}: task ${id}; ${hosts.length} worker(s) answered${hosts.length > 0 ? `: ${hosts.join(', ')}` : ''}`);
        return json({ taskId: id, terminate, signal: terminate ? signal : null, replies: gathered.replies });
      }),
    );
}
