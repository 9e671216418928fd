import { brokerUrl, controlDestination, jsonOutput, controlTimeout, logLevel } from '../../config/settings.js';
import type { Control } from '../../control/control.js';
import type { QueryTaskReply, QueueInfo, ScheduledTask, TaskInfo } from '../../control/replies.js';
import type { JsonObject } from '../../core/protocol/json-value.js';
import { defineCommand, UsageError } from '../command.js';
import { answerText, callOptions, expectArgs, printGathered, withControl, type ControlSettings, type Printer } from '../remote-control.js';

const ACTIONS = ['active', 'reserved', 'scheduled', 'registered', 'stats', 'ping', 'active-queues', 'query-task'] as const;
type Action = (typeof ACTIONS)[number];

export const inspect = defineCommand({
  usage: 'inspect <active|reserved|scheduled|registered|stats|ping|active-queues|query-task> [ID…] [options]',
  description:
    "Celery's inspect (celery inspect): asks the workers on --broker, or --destination only, and prints each answer " +
    'as a table, or with --json as one object by hostname, as Celery returns it.',
  actions: {
    active: 'Tasks running now, with their arguments',
    reserved: 'Tasks received and waiting for a pool process',
    scheduled: 'Tasks held for their ETA or countdown',
    registered: 'Task names each worker knows',
    stats: 'Pid, uptime, tasks processed, pool',
    ping: 'Each worker answers pong',
    'active-queues': 'Queues each worker consumes',
    'query-task': 'query-task ID…: where each worker holds these tasks (active, reserved, scheduled)',
  },
  settings: [brokerUrl, controlDestination, controlTimeout, jsonOutput, logLevel],

  async run({ positionals, settings, out, err, check }) {
    const [action, ...args] = positionals;
    if (action === undefined) throw new UsageError(`inspect needs a command: ${ACTIONS.join(', ')}`);
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new UsageError(`unknown inspect command "${action}" (use ${ACTIONS.join(', ')}; to act on workers use prisma-celery control)`);
    }
    if (action === 'query-task') {
      if (args.length === 0) throw new UsageError('usage: prisma-celery inspect query-task ID…');
    } else expectArgs(args, 0, 0, `inspect ${action}`);
    return withControl(check, settings, (control) => ask(control, action as Action, args, settings, { out, err }));
  },
});

const taskRows = (host: string, tasks: TaskInfo[]): string[][] =>
  tasks.map((t) => [host, t.id, t.name, JSON.stringify(t.args), JSON.stringify(t.kwargs), t.time_start === null ? '-' : new Date(t.time_start * 1000).toISOString()]);
const TASK_HEADER = ['WORKER', 'ID', 'TASK', 'ARGS', 'KWARGS', 'STARTED'];

async function ask(control: Control, action: Action, args: readonly string[], settings: ControlSettings, io: Printer): Promise<number> {
  const options = callOptions(settings);
  switch (action) {
    case 'active':
      return printGathered(await control.active(options), settings, io, { header: TASK_HEADER, rows: taskRows });
    case 'reserved':
      return printGathered(await control.reserved(options), settings, io, { header: TASK_HEADER, rows: taskRows });
    case 'scheduled':
      return printGathered(await control.scheduled(options), settings, io, {
        header: ['WORKER', 'ID', 'TASK', 'ARGS', 'ETA'],
        rows: (host, entries: ScheduledTask[]) => entries.map((e) => [host, e.request.id, e.request.name, JSON.stringify(e.request.args), e.eta]),
      });
    case 'registered':
      return printGathered(await control.registered(options), settings, io, {
        header: ['WORKER', 'TASK'],
        rows: (host, names: string[]) => names.map((name) => [host, name]),
      });
    case 'stats':
      return printGathered(await control.stats(options), settings, io, { header: ['WORKER', 'PID', 'UPTIME', 'PROCESSED', 'POOL'], rows: statsRow });
    case 'ping':
      return printGathered(await control.ping(options), settings, io, { header: ['WORKER', 'ANSWER'], rows: (host, reply) => [[host, answerText(reply)]] });
    case 'active-queues':
      return printGathered(await control.activeQueues(options), settings, io, {
        header: ['WORKER', 'QUEUE', 'EXCHANGE', 'ROUTING KEY'],
        rows: (host, queues: QueueInfo[]) => queues.map((q) => [host, q.name, exchangeName(q), q.routing_key]),
      });
    case 'query-task':
      return printGathered(await control.queryTask(args, options), settings, io, {
        header: ['WORKER', 'ID', 'STATE', 'TASK', 'ARGS'],
        rows: (host, found: QueryTaskReply) => Object.entries(found).map(([id, [state, info]]) => [host, id, state, info.name, JSON.stringify(info.args)]),
      });
  }
}

function statsRow(host: string, stats: JsonObject): string[][] {
  const total = stats.total !== null && typeof stats.total === 'object' && !Array.isArray(stats.total) ? Object.values(stats.total) : [];
  const processed = total.reduce<number>((sum, n) => sum + (typeof n === 'number' ? n : 0), 0);
  const pool = stats.pool !== null && typeof stats.pool === 'object' && !Array.isArray(stats.pool) ? stats.pool : {};
  const concurrency = pool['max-concurrency'];
  return [[host, String(stats.pid ?? '-'), `${String(stats.uptime ?? '-')}s`, String(processed), concurrency === undefined ? '-' : `${String(concurrency)} processes`]];
}

function exchangeName(queue: QueueInfo): string {
  const exchange = queue.exchange;
  return exchange !== null && typeof exchange === 'object' && !Array.isArray(exchange) && typeof exchange.name === 'string' ? exchange.name : '';
}
