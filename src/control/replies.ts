/**
 * What Celery 5.2.6 workers answer to each command, as captured in
 * tests/fixtures/celery-5.2.6/control-commands.json. Types only; a worker
 * of another version may add fields.
 */
import type { JsonObject, JsonValue } from '../core/protocol/json-value.js';

/** The answer to commands that act: `{ok: 'pong'}`, `{ok: 'new rate limit set successfully'}`, or the error the handler raised. */
export type ActionReply = { ok: string } | { error: string };

/** A task as `active`, `reserved` and `query_task` describe it (celery.worker.request.Request.info). */
export interface TaskInfo {
  id: string;
  name: string;
  args: JsonValue;
  kwargs: JsonValue;
  type: string;
  hostname: string;
  /** Epoch seconds the task started; null while waiting. */
  time_start: number | null;
  acknowledged: boolean;
  delivery_info: { exchange: string; routing_key: string; priority: number | null; redelivered: boolean | null };
  /** The pool process running it; null while waiting. */
  worker_pid: number | null;
}

/** An `scheduled` entry: a task held for its ETA or countdown. */
export interface ScheduledTask {
  /** ISO 8601. */
  eta: string;
  priority: number;
  request: TaskInfo;
}

/** An `active_queues` entry: a queue the worker consumes (kombu's Queue.as_dict). */
export interface QueueInfo extends JsonObject {
  name: string;
  routing_key: string;
}

/** `query_task`: per id, the state the worker holds it in (`active`, `reserved`, `scheduled`) and its info. */
export type QueryTaskReply = Record<string, [string, TaskInfo]>;
