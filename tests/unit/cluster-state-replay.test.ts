// events.json (a real Celery 5.2.6 worker run) through decode and ClusterState,
// checked against the same messages replayed through Python's
// celery.events.state.State (events-state-replay.json).
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeEvents } from '../../src/snapshot/events/decode.js';
import { ClusterState } from '../../src/snapshot/state/cluster-state.js';
import { readCeleryFixture, SUBJECT_OF_STATE } from '../support/celery-fixtures.js';


interface MessageRecord {
  case: string;
  properties: { content_type: string; content_encoding: string };
  body_b64: string;
}

interface ReplayTask {
  uuid: string;
  state: string;
  name: string | null;
  args: string | null;
  kwargs: string | null;
  eta: string | null;
  expires: string | null;
  retries: number | null;
  worker: string | null;
  client: string | null;
  result: string | null;
  exception: string | null;
  traceback: string | null;
  runtime: number | null;
  [subject: string]: unknown;
}

interface TimelineStep {
  message: string;
  event: string;
  state_after: string;
}

interface Replay {
  events: number;
  state_event_count: number;
  tasks: Record<string, ReplayTask>;
  task_timelines: Record<string, (TimelineStep & { event_clock: number })[]>;
  workers: Record<string, Record<string, unknown>>;
}



describe('replaying a real worker run', () => {
  const replay = readCeleryFixture<Replay>('events-state-replay.json');
  const state = new ClusterState({ now: () => 0 });
  const timelines = new Map<string, TimelineStep[]>();
  let problems = 0;

  beforeAll(() => {
    for (const record of readCeleryFixture<MessageRecord[]>('events.json')) {
      const decoded = decodeEvents(Buffer.from(record.body_b64, 'base64'), {
        contentType: record.properties.content_type,
        contentEncoding: record.properties.content_encoding,
      });
      problems += decoded.problems.length;
      for (const event of decoded.events) {
        // As tools/replay_state.py does: the arrival time is the event's own timestamp.
        state.apply(event, event.timestamp * 1000);
        if (event.type.startsWith('task-') && 'uuid' in event) {
          const steps = timelines.get(event.uuid) ?? [];
          steps.push({ message: record.case, event: event.type, state_after: state.task(event.uuid)!.state });
          timelines.set(event.uuid, steps);
        }
      }
    }
  });

  it('decodes every event and counts them as State does', () => {
    expect(problems).toBe(0);
    expect(state.eventCount).toBe(replay.events);
    expect(state.eventCount).toBe(replay.state_event_count);
  });

  it('passes through the same state after every event of every task', () => {
    const expected = Object.fromEntries(
      Object.entries(replay.task_timelines).map(([uuid, steps]) => [uuid, steps.map(({ message, event, state_after }) => ({ message, event, state_after }))]),
    );
    expect(Object.fromEntries(timelines)).toEqual(expected);
    expect(timelines.size).toBe(38);
  });

  it('ends with the same tasks, fields and all', () => {
    const ours = [...state.tasks()];
    expect(ours.map((t) => t.id).sort()).toEqual(Object.keys(replay.tasks).sort());
    for (const task of ours) {
      const py = replay.tasks[task.id]!;
      expect({
        state: task.state,
        name: task.name,
        args: task.args,
        kwargs: task.kwargs,
        eta: task.eta,
        expires: task.expires,
        retries: task.retries,
        worker: task.worker,
        client: task.client,
        result: task.result,
        exception: task.exception,
        traceback: task.traceback,
        runtime: task.runtime,
        stateTimestamp: task.stateTimestamp,
      }).toEqual({
        state: py.state,
        name: py.name,
        args: py.args,
        kwargs: py.kwargs,
        eta: py.eta,
        expires: py.expires,
        retries: py.retries,
        worker: py.worker,
        client: py.client,
        result: py.result,
        exception: py.exception,
        traceback: py.traceback,
        runtime: py.runtime,
        stateTimestamp: py[SUBJECT_OF_STATE[py.state]!],
      });
    }
  });

  it('differs from Celery’s Task.timestamp only where an older event came last (task-rejected after task-started)', () => {
    const differing = [...state.tasks()].filter((t) => t.stateTimestamp !== replay.tasks[t.id]!.timestamp);
    const ids = readCeleryFixture<Record<string, string>>('events-task-ids.json');
    expect(differing.map((t) => t.id)).toEqual([ids.reject]);
  });

  it('ends with the same worker, offline', () => {
    const ours = [...state.workers()];
    expect(ours.map((w) => w.hostname)).toEqual(Object.keys(replay.workers));
    const w = ours[0]!;
    const py = replay.workers[w.hostname]!;
    expect({
      pid: w.pid,
      freq: w.freq,
      clock: w.clock,
      active: w.active,
      processed: w.processed,
      loadavg: w.loadavg,
      sw_ident: w.swIdent,
      sw_ver: w.swVer,
      sw_sys: w.swSys,
      heartbeats: w.heartbeats,
    }).toEqual({
      pid: py.pid,
      freq: py.freq,
      clock: py.clock,
      active: py.active,
      processed: py.processed,
      loadavg: py.loadavg,
      sw_ident: py.sw_ident,
      sw_ver: py.sw_ver,
      sw_sys: py.sw_sys,
      heartbeats: py['heartbeats_kept(local_received)'],
    });
    expect(state.isAlive(w.hostname, Number.MAX_SAFE_INTEGER - 1)).toBe(false);
  });

  it('drains one row per task and worker, shaped for djcelery_taskstate', () => {
    const ids = readCeleryFixture<Record<string, string>>('events-task-ids.json');
    const changes = state.drainChanges();
    expect(changes.tasks).toHaveLength(38);
    expect(changes.workers).toEqual([{ hostname: 'w1@vm', lastHeartbeat: null }]);
    const row = (id: string | undefined) => changes.tasks.find((t) => t.taskId === id)!;
    expect(row(ids.add)).toMatchObject({ state: 'SUCCESS', name: 'tasks.add', args: '(2, 3)', kwargs: '{}', result: '5', retries: 0, worker: 'w1@vm' });
    expect(row(ids.add).tstamp).toEqual(new Date(replay.tasks[ids.add!]!.succeeded as number * 1000));
    expect(row(ids.fail)).toMatchObject({ state: 'FAILURE', result: "ValueError('boom')" });
    expect(row(ids.fail).traceback).toContain('ValueError: boom');
    expect(row(ids.retry_once)).toMatchObject({ state: 'SUCCESS', retries: 1 });
    expect(row(ids.expired).expires).toEqual(new Date(replay.tasks[ids.expired!]!.expires as string));
    expect(state.drainChanges()).toMatchObject({ tasks: [], workers: [] });
  });
});
