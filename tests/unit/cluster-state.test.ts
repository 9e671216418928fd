import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import type { TaskEvent, WorkerEvent } from '../../src/snapshot/events/types.js';
import { ClusterState } from '../../src/snapshot/state/cluster-state.js';

const T0 = 1_795_946_320; // epoch seconds
const W = 'w1@vm';

type Fields<E> = Omit<E, 'type' | 'hostname' | 'timestamp' | 'uuid'>;
let clock = 0;

function task<T extends TaskEvent['type']>(type: T, uuid: string, at: number, fields?: Fields<Extract<TaskEvent, { type: T }>>, hostname = W): TaskEvent {
  return { hostname, utcoffset: 0, pid: 1, clock: ++clock, uuid, timestamp: T0 + at, type, ...fields } as TaskEvent;
}

function worker(type: WorkerEvent['type'], at: number, fields: Fields<WorkerEvent> = {}, hostname = W): WorkerEvent {
  return { hostname, utcoffset: 0, pid: 1, clock: ++clock, timestamp: T0 + at, type, freq: 2, ...fields };
}

const received = (uuid: string, at: number) => task('task-received', uuid, at, { name: 'tasks.add', args: '(2, 3)', kwargs: '{}', retries: 0, eta: null, expires: null });

function run(state: ClusterState, events: (TaskEvent | WorkerEvent)[]): string[] {
  return events.map((e) => {
    state.apply(e, e.timestamp * 1000);
    return 'uuid' in e ? state.task(e.uuid)!.state : '';
  });
}

describe('merging task events', () => {
  it('keeps STARTED when task-received arrives after task-started, but takes its name and args', () => {
    const state = new ClusterState();
    expect(run(state, [task('task-started', 'a', 1), received('a', 0)])).toEqual(['STARTED', 'STARTED']);
    expect(state.task('a')).toMatchObject({ name: 'tasks.add', args: '(2, 3)', kwargs: '{}', retries: 0, stateTimestamp: T0 + 1, worker: W });
  });

  it('leaves a started task STARTED on task-rejected', () => {
    const state = new ClusterState();
    expect(run(state, [received('a', 0), task('task-started', 'a', 1), task('task-rejected', 'a', 2, { requeue: false })])).toEqual([
      'RECEIVED',
      'STARTED',
      'STARTED',
    ]);
    expect(state.drainChanges().tasks[0]?.tstamp).toEqual(new Date((T0 + 1) * 1000));
  });

  it('keeps RECEIVED when task-sent comes late, recording the client', () => {
    const state = new ClusterState();
    run(state, [received('a', 1), task('task-sent', 'a', 0, { name: 'tasks.add', queue: 'celery' }, 'gen7@vm')]);
    expect(state.task('a')).toMatchObject({ state: 'RECEIVED', client: 'gen7@vm', worker: W });
  });

  it('goes STARTED → RETRY → STARTED → SUCCESS on a retry, ignoring the new sent/received that overtake task-retried', () => {
    const state = new ClusterState();
    const states = run(state, [
      received('a', 0),
      task('task-started', 'a', 1),
      task('task-sent', 'a', 2, { name: 'tasks.add', retries: 1 }, 'gen9@vm'),
      task('task-received', 'a', 2, { name: 'tasks.add', retries: 1 }),
      task('task-retried', 'a', 2, { exception: "Retry('again')", traceback: 'tb' }),
      task('task-started', 'a', 3),
      task('task-succeeded', 'a', 4, { result: '5', runtime: 0.01 }),
    ]);
    expect(states).toEqual(['RECEIVED', 'STARTED', 'STARTED', 'STARTED', 'RETRY', 'STARTED', 'SUCCESS']);
    expect(state.task('a')).toMatchObject({ retries: 1, client: 'gen9@vm', result: '5', exception: "Retry('again')" });
    expect(state.drainChanges().tasks[0]).toMatchObject({ result: '5', retries: 1, runtime: 0.01 });
  });

  it('never moves a finished task back, except through RETRY', () => {
    const state = new ClusterState();
    const states = run(state, [task('task-succeeded', 'a', 3, { result: '1' }), task('task-started', 'a', 1), task('task-failed', 'a', 2), task('task-retried', 'a', 2)]);
    expect(states).toEqual(['SUCCESS', 'SUCCESS', 'SUCCESS', 'RETRY']);
  });

  it('stores failures as djcelery does: the exception repr as the result, and eta/expires as instants (naive = UTC)', () => {
    const state = new ClusterState();
    run(state, [
      task('task-received', 'a', 0, { name: 'tasks.fail', eta: '2026-11-29T11:58:41.240247+02:00', expires: '2026-11-29T09:58:46.883018' }),
      task('task-failed', 'a', 1, { exception: "ValueError('boom')", traceback: 'Traceback ...' }),
    ]);
    expect(state.drainChanges().tasks).toEqual([
      {
        taskId: 'a',
        state: 'FAILURE',
        name: 'tasks.fail',
        tstamp: new Date((T0 + 1) * 1000),
        args: null,
        kwargs: null,
        eta: new Date('2026-11-29T09:58:41.240Z'),
        expires: new Date('2026-11-29T09:58:46.883Z'),
        result: "ValueError('boom')",
        traceback: 'Traceback ...',
        runtime: null,
        retries: 0,
        worker: W,
      },
    ]);
  });
});

describe('bounded memory', () => {
  it('drops the task that finished longest ago first, then the oldest task', () => {
    const state = new ClusterState({ maxTasks: 3 });
    run(state, [
      task('task-started', 'a', 0),
      task('task-succeeded', 'b', 1),
      task('task-revoked', 'c', 2),
      task('task-started', 'd', 3), // evicts b: finished before c
      task('task-started', 'e', 4), // evicts c
      task('task-started', 'f', 5), // nothing finished: evicts a, the oldest
    ]);
    expect([...state.tasks()].map((t) => t.id)).toEqual(['d', 'e', 'f']);
    expect(state.evictedTasks).toBe(3);
  });

  it('forgets a task reopened by RETRY as finished', () => {
    const state = new ClusterState({ maxTasks: 2 });
    run(state, [task('task-succeeded', 'a', 0), task('task-retried', 'a', 1), task('task-succeeded', 'b', 2), task('task-started', 'c', 3)]);
    expect([...state.tasks()].map((t) => t.id)).toEqual(['a', 'c']);
  });

  it('still writes a changed task that was evicted before the snapshot', () => {
    const state = new ClusterState({ maxTasks: 1 });
    run(state, [task('task-succeeded', 'a', 0), task('task-started', 'b', 1)]);
    expect(state.task('a')).toBeUndefined();
    expect(state.drainChanges().tasks.map((t) => [t.taskId, t.state])).toEqual([
      ['a', 'SUCCESS'],
      ['b', 'STARTED'],
    ]);
  });

  it('drops the worker heard from longest ago', () => {
    const state = new ClusterState({ maxWorkers: 2 });
    run(state, [worker('worker-online', 0, {}, 'a@h'), worker('worker-online', 1, {}, 'b@h'), task('task-started', 't', 2, {}, 'a@h'), worker('worker-online', 3, {}, 'c@h')]);
    expect([...state.workers()].map((w) => w.hostname)).toEqual(['a@h', 'c@h']);
    expect(state.evictedWorkers).toBe(1);
  });

  it('rejects bounds outside a sane range with a ConfigError', () => {
    expect(() => new ClusterState({ maxTasks: 0 })).toThrow(ConfigError);
    expect(() => new ClusterState({ maxWorkers: 1.5 })).toThrow('maxWorkers must be an integer between 1 and 1000000, got 1.5');
  });
});

describe('worker liveness, by the injected clock', () => {
  const ms = (at: number) => (T0 + at) * 1000;

  it('is alive until 2 × freq after the last arrival, which task events refresh too', () => {
    let now = ms(0);
    const state = new ClusterState({ now: () => now });
    state.apply(worker('worker-online', 0, { freq: 2 }));
    now = ms(3.9);
    expect(state.isAlive(W)).toBe(true);
    now = ms(4);
    expect(state.isAlive(W)).toBe(false);
    state.apply(task('task-started', 'a', 4));
    now = ms(7.9);
    expect(state.isAlive(W)).toBe(true);
    expect(state.drainChanges().workers).toEqual([{ hostname: W, lastHeartbeat: new Date(ms(4)) }]);
  });

  it('keeps the last 4 arrivals in order, even when they arrive out of order', () => {
    const state = new ClusterState();
    // Like Celery: when full, the oldest goes before the newcomer is placed, even a newcomer older than all.
    for (const at of [1, 2, 3, 5, 4, 0]) state.apply(worker('worker-heartbeat', at), ms(at));
    expect(state.worker(W)?.heartbeats).toEqual([ms(0), ms(3), ms(4), ms(5)]);
  });

  it('keeps active/processed/loadavg through a heartbeat that lacks them, and takes its freq', () => {
    const state = new ClusterState();
    run(state, [worker('worker-online', 0, { active: 1, processed: 7, loadavg: [0.1, 0.2, 0.3] }), { ...worker('worker-heartbeat', 1), freq: 5 }]);
    expect(state.worker(W)).toMatchObject({ freq: 5, active: 1, processed: 7, loadavg: [0.1, 0.2, 0.3], pid: 1 });
  });

  it('is dead at once after worker-offline, and a stranger going offline is not recorded', () => {
    const state = new ClusterState({ now: () => ms(1) });
    run(state, [worker('worker-online', 0), worker('worker-offline', 1), worker('worker-offline', 1, {}, 'ghost@h')]);
    expect(state.isAlive(W)).toBe(false);
    expect(state.worker('ghost@h')).toBeUndefined();
    expect(state.drainChanges().workers).toEqual([{ hostname: W, lastHeartbeat: null }]);
  });
});

describe('draining and restoring snapshot changes', () => {
  it('drains what changed since the last drain, once', () => {
    const state = new ClusterState();
    run(state, [received('a', 0), received('b', 0)]);
    expect(state.drainChanges().tasks.map((t) => t.taskId)).toEqual(['a', 'b']);
    run(state, [task('task-started', 'b', 1)]);
    const second = state.drainChanges();
    expect(second.tasks.map((t) => [t.taskId, t.state])).toEqual([['b', 'STARTED']]);
    expect(second.workers.map((w) => w.hostname)).toEqual([W]);
    expect(state.drainChanges()).toMatchObject({ tasks: [], workers: [] });
  });

  it('drains at most the tasks asked for, those pending longest (handed back first), and keeps the rest', () => {
    let clock = 1000;
    const state = new ClusterState({ now: () => clock });
    run(state, [received('a', 0)]);
    const failed = state.drainChanges();
    clock = 2000;
    run(state, [received('b', 0), received('c', 0), received('d', 0)]);
    state.restoreChanges(failed);
    run(state, [task('task-started', 'b', 1)]); // still pending since 2000, now STARTED
    const first = state.drainChanges(2);
    expect(first.tasks.map((t) => [t.taskId, t.state])).toEqual([
      ['a', 'RECEIVED'],
      ['b', 'STARTED'],
    ]);
    expect(first.since).toBe(1000);
    expect(state.pendingTaskCount).toBe(2);
    expect(state.oldestPendingTaskSince).toBe(2000);
    expect(state.drainChanges(2).tasks.map((t) => t.taskId)).toEqual(['c', 'd']);
    expect(state.pendingTaskCount).toBe(0);
  });

  it('drains a changed task once, not also its older handed-back row, under a limit', () => {
    const state = new ClusterState();
    run(state, [received('a', 0), received('b', 0)]);
    const failed = state.drainChanges();
    run(state, [received('c', 0)]);
    state.restoreChanges(failed);
    run(state, [task('task-started', 'a', 1)]);
    // a's handed-back RECEIVED is superseded by its pending STARTED.
    expect(state.drainChanges(2).tasks.map((t) => [t.taskId, t.state])).toEqual([
      ['b', 'RECEIVED'],
      ['c', 'RECEIVED'],
    ]);
    expect(state.drainChanges().tasks.map((t) => [t.taskId, t.state])).toEqual([['a', 'STARTED']]);
  });

  it('writes a failed drain again on the next one', () => {
    const state = new ClusterState();
    run(state, [received('a', 0)]);
    const failed = state.drainChanges();
    state.restoreChanges(failed);
    const again = state.drainChanges();
    expect(again.tasks).toEqual(failed.tasks);
    expect(again.workers).toEqual(failed.workers);
  });

  it('prefers newer data to a restored row, whether still pending or already drained', () => {
    const state = new ClusterState();
    run(state, [received('a', 0), received('b', 0)]);
    const older = state.drainChanges();
    run(state, [task('task-started', 'a', 1)]);
    state.restoreChanges(older); // a changed since: its pending STARTED wins; b comes back
    expect(state.drainChanges().tasks.map((t) => [t.taskId, t.state])).toEqual([
      ['a', 'STARTED'],
      ['b', 'RECEIVED'],
    ]);

    run(state, [task('task-succeeded', 'b', 2)]);
    const newer = state.drainChanges();
    state.restoreChanges(newer);
    state.restoreChanges(older); // late hand-back of an older drain: loses to the newer one
    expect(state.drainChanges().tasks.map((t) => [t.taskId, t.state])).toEqual([['b', 'SUCCESS']]);
  });

  it('keeps a restored row of a task evicted meanwhile', () => {
    const state = new ClusterState({ maxTasks: 1 });
    run(state, [task('task-succeeded', 'a', 0)]);
    const failed = state.drainChanges();
    run(state, [task('task-started', 'b', 1)]);
    state.restoreChanges(failed);
    expect(state.drainChanges().tasks.map((t) => [t.taskId, t.state])).toEqual([
      ['b', 'STARTED'],
      ['a', 'SUCCESS'],
    ]);
  });

  it('drops the changes whose loss costs least first: unfinished before finished, never written before written', () => {
    let clock = 1000;
    const state = new ClusterState({ now: () => clock });
    // Written once as RECEIVED, then finished: dropping its SUCCESS would leave it stuck.
    state.apply(received('stuck', T0));
    state.markWritten(state.drainChanges().tasks);
    state.apply(task('task-succeeded', 'stuck', T0 + 1, { result: '5', runtime: 0.1 }));
    clock = 2000;
    state.apply(received('new-unfinished', T0 + 2));
    state.apply(received('new-finished', T0 + 3));
    state.apply(task('task-succeeded', 'new-finished', T0 + 4, { result: '5', runtime: 0.1 }));
    expect(state.oldestPendingTaskSince).toBe(1000);
    expect(state.dropTaskChanges(1)).toEqual({ unfinished: 1, unfinishedWritten: 0, finished: 0, finishedWritten: 0 });
    expect(state.dropTaskChanges(1)).toEqual({ unfinished: 0, unfinishedWritten: 0, finished: 1, finishedWritten: 0 });
    expect(state.drainChanges().tasks.map((t) => [t.taskId, t.state])).toEqual([['stuck', 'SUCCESS']]);
    expect(state.oldestPendingTaskSince).toBeNull();
  });

  it('keeps one pending change per task however often it changes, dated by its first', () => {
    let clock = 5000;
    const state = new ClusterState({ now: () => clock });
    state.apply(received('a', T0));
    clock = 6000;
    state.apply(task('task-started', 'a', T0 + 1));
    expect(state.pendingTaskCount).toBe(1);
    expect(state.oldestPendingTaskSince).toBe(5000);
    const failed = state.drainChanges();
    expect(failed.since).toBe(5000);
    state.restoreChanges(failed);
    expect(state.oldestPendingTaskSince).toBe(5000);
  });
});
