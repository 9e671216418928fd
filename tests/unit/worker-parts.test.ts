// The worker's pure parts: task names from modules, node names, which
// pidbox requests it acts on (a captured one among them) and its replies,
// the pool, and the answers to remote control.
import { describe, expect, it } from 'vitest';
import { parseRequest, replyMessage } from '../../src/control/pidbox.js';
import type { JsonObject } from '../../src/core/protocol/json-value.js';
import { addressedTo } from '../../src/snapshot/node-events/dispatcher.js';
import { celeryNodeImportError } from '../../src/worker/celery-node.js';
import { expandHostname } from '../../src/worker/hostname.js';
import { TaskPool, TerminatedError, type PoolEvent, type TaskContext, type TaskRequest } from '../../src/worker/pool.js';
import { answerControl, type ControlledWorker } from '../../src/worker/remote-control.js';
import { taskTable, tasksOfModule } from '../../src/worker/task-table.js';
import { readFixture } from '../support/celery-fixtures.js';

const add = (a: number, b: number): number => a + b;
const mul = (a: number, b: number): number => a * b;

describe('task names', () => {
  it('names each exported function <file base name>.<export name>, skipping other exports', () => {
    const entries = tasksOfModule('lib/tasks.mjs', { add, mul, VERSION: '1', default: add });
    expect(entries.map((e) => e.name)).toEqual(['tasks.add', 'tasks.mul']);
    expect(entries[0]).toMatchObject({ fn: add, file: 'lib/tasks.mjs' });
  });

  it('takes a tasks object under its own full names instead', () => {
    expect(tasksOfModule('t.mjs', { tasks: { 'app.add': add }, mul }).map((e) => e.name)).toEqual(['app.add']);
  });

  it('refuses a module with no functions, and a tasks object that is not one of functions, naming the file', () => {
    expect(() => tasksOfModule('empty.mjs', { answer: 42 })).toThrow(/^task module empty\.mjs exports no functions: /);
    expect(() => tasksOfModule('bad.mjs', { tasks: { 'a.b': 1 } })).toThrow('task module bad.mjs: tasks["a.b"] is not a function');
    expect(() => tasksOfModule('bad.mjs', { tasks: [add] })).toThrow(/"tasks" export must be an object/);
    expect(() => tasksOfModule('bad.mjs', { tasks: {} })).toThrow(/"tasks" export is empty/);
  });

  it('refuses a name registered twice, naming both files', () => {
    const one = tasksOfModule('a/tasks.mjs', { add });
    const two = tasksOfModule('b/tasks.mjs', { add });
    expect(() => taskTable([...one, ...two])).toThrow('task tasks.add is registered twice: by a/tasks.mjs and by b/tasks.mjs; rename one');
    expect([...taskTable([...one, ...tasksOfModule('m.mjs', { mul })]).keys()]).toEqual(['tasks.add', 'm.mul']);
  });
});

describe('celery-node missing', () => {
  it('is one line saying how to install it; other import failures stay as they are', () => {
    const missing = Object.assign(new Error("Cannot find package 'celery-node' imported from /app/dist/worker/celery-node.js"), { code: 'ERR_MODULE_NOT_FOUND' });
    expect(celeryNodeImportError(missing)).toMatchObject({ code: 'E_WORKER_PEER', message: 'the worker runs on celery-node, which is not installed: npm install celery-node@0.5' });
    const inner = Object.assign(new Error("Cannot find module 'uuid'"), { code: 'MODULE_NOT_FOUND' });
    expect(celeryNodeImportError(inner)).toBe(inner);
  });
});

describe('node names', () => {
  it('expands %h, %n, %d and %% as Celery does', () => {
    expect(expandHostname('w1@%h', 'box.example.com')).toBe('w1@box.example.com');
    expect(expandHostname('%n-%d@x', 'box.example.com')).toBe('box-example.com@x');
    expect(expandHostname('w@%n%d', 'box')).toBe('w@box');
    expect(expandHostname('100%%@%h', 'h')).toBe('100%@h');
  });
});

describe('pidbox requests a worker acts on', () => {
  const revoke = readFixture<{ body_text: string; headers: Record<string, unknown> }[]>('celery-5.2.6/control-messages.json').find((r) => r.body_text.includes('"revoke"'));
  const inbound = (body: object, headers: Record<string, unknown> = {}) => ({ routingKey: '', body: Buffer.from(JSON.stringify(body)), contentType: 'application/json', contentEncoding: 'utf-8', headers });

  it('follows the destination, acts on a broadcast until it expires, and drops it after', () => {
    const request = parseRequest(inbound(JSON.parse(revoke?.body_text ?? '{}') as object, revoke?.headers));
    const sentAt = (request.expiresMs ?? 0) - 1000;
    expect(addressedTo(request, 'w1@vm', sentAt)).toBe(true);
    expect(addressedTo(request, 'w1@vm', sentAt + 2000)).toBe(false);
    expect(addressedTo(parseRequest(inbound({ method: 'ping', destination: ['a@h', 'b@h'] })), 'b@h', 0)).toBe(true);
    expect(addressedTo(parseRequest(inbound({ method: 'ping', destination: ['a@h'] })), 'b@h', 0)).toBe(false);
    expect(addressedTo(parseRequest(inbound({ method: 'ping', destination: [] })), 'b@h', 0)).toBe(true);
  });

  it('replies onto the lists bound to the reply exchange on Redis, not on a channel', () => {
    const request = parseRequest(inbound({ method: 'ping', ticket: 't-1', reply_to: { exchange: 'reply.celery.pidbox', routing_key: 'oid' } }));
    expect(replyMessage(request, 'w@h', { ok: 'pong' }, 7)).toMatchObject({ exchange: 'reply.celery.pidbox', routingKey: 'oid', toQueues: true, headers: { ticket: 't-1' } });
  });
});

/** A request whose run settles when the test says so. */
function request(id: string, name = 'tasks.add'): TaskRequest & { acked: number; finish(): void; context: TaskContext | null } {
  let finish: () => void = () => {};
  const made = {
    id,
    name,
    args: [1, 2],
    kwargs: {},
    deliveryInfo: { exchange: '', routing_key: 'celery', priority: null, redelivered: false },
    acked: 0,
    context: null as TaskContext | null,
    finish: () => finish(),
    ack: () => {
      made.acked++;
    },
    run: (context: TaskContext) => {
      made.context = context;
      return new Promise<unknown>((resolve) => (finish = () => resolve(undefined)));
    },
  };
  return made;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the pool', () => {
  it('runs at most concurrency tasks, acking each as it starts, and counts them by name', async () => {
    const events: PoolEvent[] = [];
    const pool = new TaskPool({ concurrency: 2, prefetch: 8, onEvent: (e) => events.push(e) });
    const [a, b, c] = [request('a'), request('b'), request('c', 'tasks.mul')];
    for (const r of [a, b, c]) pool.receive(r);
    expect(pool.active.map((t) => t.request.id)).toEqual(['a', 'b']);
    expect(pool.reserved.map((r) => r.id)).toEqual(['c']);
    expect([a.acked, b.acked, c.acked]).toEqual([1, 1, 0]);
    a.finish();
    await tick();
    expect(pool.active.map((t) => t.request.id)).toEqual(['b', 'c']);
    b.finish();
    c.finish();
    await pool.drain(false);
    expect(Object.fromEntries(pool.processed)).toEqual({ 'tasks.add': 2, 'tasks.mul': 1 });
    expect(events.filter((e) => e.type === 'finished')).toHaveLength(3);
  });

  it('skips a revoked reserved task (acked, reported, never run) and one revoked before it came', () => {
    const events: PoolEvent[] = [];
    const pool = new TaskPool({ concurrency: 1, prefetch: 4, onEvent: (e) => events.push(e) });
    const [running, waiting, later] = [request('r'), request('w'), request('l')];
    pool.receive(running);
    pool.receive(waiting);
    expect(pool.revoke(['w', 'l'], false)).toEqual([]);
    pool.receive(later);
    expect(pool.reserved).toEqual([]);
    expect([waiting.acked, waiting.context, later.acked, later.context]).toEqual([1, null, 1, null]);
    expect(events.filter((e) => e.type === 'revoked').map((e) => e.request.id)).toEqual(['w', 'l']);
    expect(pool.revoked).toEqual(['w', 'l']);
  });

  it('aborts a running task on terminate, and remembers it was terminated', () => {
    const pool = new TaskPool({ concurrency: 1, prefetch: 4, onEvent: () => {} });
    const running = request('r');
    pool.receive(running);
    expect(pool.revoke(['r'], true)).toEqual(['r']);
    expect(running.context?.signal.aborted).toBe(true);
    expect(running.context?.signal.reason).toBeInstanceOf(TerminatedError);
    expect(pool.wasTerminated('r')).toBe(true);
    expect(pool.revoke(['r'], true)).toEqual([]);
  });

  it('holds a task back by its rate limit, a token bucket of one', async () => {
    let now = 0;
    const pool = new TaskPool({ concurrency: 5, prefetch: 20, onEvent: () => {}, now: () => now });
    pool.setRateLimit('tasks.add', { text: '1/s', perSecond: 1 });
    const [a, b] = [request('a'), request('b')];
    pool.receive(a);
    pool.receive(b);
    expect(pool.active.map((t) => t.request.id)).toEqual(['a']);
    now = 1000;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(pool.active.map((t) => t.request.id)).toEqual(['a', 'b']);
    expect(pool.rateLimitOf('tasks.add')).toBe('1/s');
  });

  it('makes a consumer wait for room past the prefetch count', async () => {
    const pool = new TaskPool({ concurrency: 1, prefetch: 2, onEvent: () => {} });
    const a = request('a');
    pool.receive(a);
    pool.receive(request('b'));
    let roomy = false;
    void pool.room().then(() => (roomy = true));
    await tick();
    expect(roomy).toBe(false);
    a.finish();
    await tick();
    expect(roomy).toBe(true);
  });
});

describe('remote control answers', () => {
  const pool = new TaskPool({ concurrency: 1, prefetch: 4, onEvent: () => {} });
  let events = true;
  let shutdown: string | null = null;
  const worker: ControlledWorker = {
    hostname: 'w@h',
    pool,
    taskNames: ['tasks.mul', 'tasks.add'],
    queues: ['celery'],
    startedAt: 0,
    broker: { transport: 'amqp', hostname: '127.0.0.1', port: 5672, virtual_host: '/' },
    setTaskEvents: (on) => {
      const changed = events !== on;
      events = on;
      return changed;
    },
    shutdown: (reason) => {
      shutdown = reason;
    },
  };
  const answer = (method: string, args: JsonObject = {}) => answerControl(worker, method, args, 65_000);

  it('answers ping, registered (sorted), active and reserved as a Python worker', () => {
    expect(answer('ping')).toEqual({ reply: { ok: 'pong' } });
    expect(answer('registered')).toEqual({ reply: ['tasks.add', 'tasks.mul'] });
    pool.receive(request('r'));
    pool.receive(request('q'));
    expect(answer('active').reply).toEqual([expect.objectContaining({ id: 'r', name: 'tasks.add', args: [1, 2], kwargs: {}, hostname: 'w@h', acknowledged: true, worker_pid: process.pid })]);
    expect(answer('reserved').reply).toEqual([expect.objectContaining({ id: 'q', time_start: null, acknowledged: false })]);
    expect(answer('query_task', { ids: ['q', 'r', 'gone'] }).reply).toEqual({
      r: ['active', expect.objectContaining({ id: 'r' })],
      q: ['reserved', expect.objectContaining({ id: 'q' })],
    });
  });

  it('answers stats with pid, uptime, processed per task and the pool', () => {
    expect(answer('stats').reply).toMatchObject({ pid: process.pid, uptime: 65, total: {}, pool: { 'max-concurrency': 1, processes: [process.pid] }, prefetch_count: 4 });
  });

  it('answers revoke and terminate with the words of Celery', () => {
    expect(answer('revoke', { task_id: 'q' })).toEqual({ reply: { ok: 'tasks q flagged as revoked' } });
    expect(answer('revoke', { task_id: ['x'], terminate: true })).toEqual({ reply: { ok: 'terminate: tasks unknown' } });
    expect(answer('terminate', { task_id: 'r', signal: 'SIGTERM' })).toEqual({ reply: { ok: 'terminate: r' } });
  });

  it('answers rate_limit, enable_events and disable_events, and an unknown method as kombu does', () => {
    expect(answer('rate_limit', { task_name: 'tasks.add', rate_limit: '10/m' })).toEqual({ reply: { ok: 'new rate limit set successfully' } });
    expect(answer('registered', { taskinfoitems: ['rate_limit'] }).reply).toEqual(['tasks.add [rate_limit=10/m]', 'tasks.mul']);
    expect(answer('rate_limit', { task_name: 'tasks.add', rate_limit: null })).toEqual({ reply: { ok: 'rate limit disabled successfully' } });
    expect(answer('rate_limit', { task_name: 'tasks.nope', rate_limit: '1/s' })).toEqual({ reply: { error: 'unknown task' } });
    expect(answer('rate_limit', { task_name: 'tasks.add', rate_limit: 'often' }).reply).toMatchObject({ error: expect.stringMatching(/^Invalid rate limit string: /) });
    expect(answer('enable_events')).toEqual({ reply: { ok: 'task events already enabled' } });
    expect(answer('disable_events')).toEqual({ reply: { ok: 'task events disabled' } });
    expect(answer('nonsense')).toEqual({ reply: { error: "KeyError('nonsense')" } });
  });

  it('leaves shutdown unanswered, as a Python worker exits on it', () => {
    expect(answer('shutdown')).toEqual({});
    expect(shutdown).toBe('Got shutdown from remote');
  });
});
