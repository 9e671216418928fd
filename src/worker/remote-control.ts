/**
 * What the worker answers to Celery's remote-control commands, in the
 * shapes a Python worker's celery/worker/control.py gives, so `celery
 * inspect` and `celery control` read them as they read a Python worker's.
 * Commands outside this set are answered as kombu answers a method its
 * worker lacks: `{"error": "KeyError('<method>')"}`.
 */
import { resourceUsage } from 'node:process';
import type { JsonObject, JsonValue } from '../core/protocol/json-value.js';
import { parseRate } from '../snapshot/camera/rate-limit.js';
import type { TaskPool, TaskRequest } from './pool.js';

export interface ControlledWorker {
  readonly hostname: string;
  readonly pool: TaskPool;
  /** Registered task names. */
  readonly taskNames: readonly string[];
  readonly queues: readonly string[];
  /** Epoch ms. */
  readonly startedAt: number;
  /** Broker transport and host, for stats. */
  readonly broker: { transport: string; hostname: string; port: number | null; virtual_host: string };
  setTaskEvents(on: boolean): boolean;
  /** Starts the graceful stop. */
  shutdown(reason: string): void;
}

/** A reply to send, or none (shutdown, as Python's worker leaves it unanswered). */
export type ControlOutcome = { reply: JsonValue } | { reply?: undefined };

const ok = (value: string) => ({ reply: { ok: value } });
const nok = (value: string) => ({ reply: { error: value } });

const idList = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).filter((id): id is string => typeof id === 'string' && id !== '');

function requestInfo(worker: ControlledWorker, request: TaskRequest, started: number | null): JsonObject {
  return {
    id: request.id,
    name: request.name,
    // As they came in a JSON message.
    args: request.args as JsonValue,
    kwargs: request.kwargs as JsonValue,
    type: request.name,
    hostname: worker.hostname,
    time_start: started,
    acknowledged: started !== null,
    delivery_info: { ...request.deliveryInfo },
    worker_pid: started === null ? null : process.pid,
  };
}

function stats(worker: ControlledWorker, nowMs: number): JsonObject {
  const usage = resourceUsage();
  return {
    total: Object.fromEntries(worker.pool.processed),
    pid: process.pid,
    uptime: Math.round((nowMs - worker.startedAt) / 1000),
    pool: {
      'max-concurrency': worker.pool.concurrency,
      processes: [process.pid],
      'max-tasks-per-child': 'N/A',
      'put-guarded-by-semaphore': false,
      timeouts: [0, 0],
      implementation: 'celery-node (event loop)',
    },
    prefetch_count: worker.pool.prefetch,
    broker: {
      hostname: worker.broker.hostname,
      userid: null,
      virtual_host: worker.broker.virtual_host,
      port: worker.broker.port,
      insist: false,
      ssl: false,
      transport: worker.broker.transport,
      connect_timeout: 4,
      transport_options: {},
      login_method: null,
      uri_prefix: null,
      heartbeat: 120.0,
      failover_strategy: 'round-robin',
      alternates: [],
    },
    rusage: {
      utime: usage.userCPUTime / 1e6,
      stime: usage.systemCPUTime / 1e6,
      maxrss: usage.maxRSS,
      ixrss: usage.sharedMemorySize,
      idrss: usage.unsharedDataSize,
      isrss: usage.unsharedStackSize,
      minflt: usage.minorPageFault,
      majflt: usage.majorPageFault,
      nswap: usage.swappedOut,
      inblock: usage.fsRead,
      oublock: usage.fsWrite,
      msgsnd: usage.ipcSent,
      msgrcv: usage.ipcReceived,
      nsignals: usage.signalsCount,
      nvcsw: usage.voluntaryContextSwitches,
      nivcsw: usage.involuntaryContextSwitches,
    },
  };
}

function revoke(worker: ControlledWorker, args: Readonly<JsonObject>): ControlOutcome {
  const ids = idList(args.task_id);
  const terminate = args.terminate === true;
  const terminated = worker.pool.revoke(ids, terminate);
  if (terminate) return ok(terminated.length === 0 ? 'terminate: tasks unknown' : `terminate: ${terminated.join(', ')}`);
  return ok(`tasks ${ids.join(', ')} flagged as revoked`);
}

function rateLimit(worker: ControlledWorker, args: Readonly<JsonObject>): ControlOutcome {
  const name = args.task_name;
  const raw = args.rate_limit;
  const text = raw === null || raw === undefined ? '' : String(raw).trim();
  let perSecond: number | null = null;
  if (text !== '' && text !== '0') {
    try {
      perSecond = parseRate(text);
    } catch (error) {
      return nok(`Invalid rate limit string: ${(error as Error).message}`);
    }
  }
  if (typeof name !== 'string' || !worker.taskNames.includes(name)) return nok('unknown task');
  worker.pool.setRateLimit(name, perSecond === null ? null : { text, perSecond });
  return ok(perSecond === null ? 'rate limit disabled successfully' : 'new rate limit set successfully');
}

export function answerControl(worker: ControlledWorker, method: string, args: Readonly<JsonObject>, nowMs: number): ControlOutcome {
  switch (method) {
    case 'ping':
      return ok('pong');
    case 'stats':
      return { reply: stats(worker, nowMs) };
    case 'registered':
      return { reply: [...worker.taskNames].sort().map((name) => {
        const limit = worker.pool.rateLimitOf(name);
        return Array.isArray(args.taskinfoitems) && args.taskinfoitems.includes('rate_limit') && limit !== undefined ? `${name} [rate_limit=${limit}]` : name;
      }) };
    case 'active':
      return { reply: worker.pool.active.map((task) => requestInfo(worker, task.request, task.started)) };
    case 'reserved':
      return { reply: worker.pool.reserved.map((request) => requestInfo(worker, request, null)) };
    case 'scheduled':
      // Tasks with an ETA run when received here: nothing waits on a timer.
      return { reply: [] };
    case 'query_task': {
      // Where each of these ids is held: {id: [state, info]}, as Celery's query_task.
      const wanted = new Set(idList(args.ids));
      const found: JsonObject = {};
      for (const task of worker.pool.active) if (wanted.has(task.request.id)) found[task.request.id] = ['active', requestInfo(worker, task.request, task.started)];
      for (const request of worker.pool.reserved) if (wanted.has(request.id)) found[request.id] = ['reserved', requestInfo(worker, request, null)];
      return { reply: found };
    }
    case 'revoked':
      return { reply: [...worker.pool.revoked] };
    case 'revoke':
      return revoke(worker, args);
    case 'terminate':
      return revoke(worker, { ...args, terminate: true });
    case 'rate_limit':
      return rateLimit(worker, args);
    case 'enable_events':
      return ok(worker.setTaskEvents(true) ? 'task events enabled' : 'task events already enabled');
    case 'disable_events':
      return ok(worker.setTaskEvents(false) ? 'task events disabled' : 'task events already disabled');
    case 'active_queues':
      return {
        reply: worker.queues.map((queue) => ({
          name: queue,
          exchange: { name: queue, type: 'direct', arguments: null, durable: true, passive: false, auto_delete: false, delivery_mode: null, no_declare: false },
          routing_key: queue,
          queue_arguments: null,
          binding_arguments: null,
          consumer_arguments: null,
          durable: true,
          exclusive: false,
          auto_delete: false,
          no_ack: false,
          alias: null,
          bindings: [],
          no_declare: null,
          expires: null,
          message_ttl: null,
          max_length: null,
          max_length_bytes: null,
          max_priority: null,
        })),
      };
    case 'shutdown':
      worker.shutdown(typeof args.msg === 'string' ? args.msg : 'Got shutdown from remote');
      return {};
    default:
      return { reply: { error: `KeyError('${method}')` } };
  }
}
