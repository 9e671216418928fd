// Celery's Redis result layout as plain data: the JSON a write stores, the
// guard on a stored value (checked against the SQL backend's mirror for
// every pair of states), and values other writers left.
import { describe, expect, it } from 'vitest';
import { ALL_STATES } from '../../src/core/states.js';
import { StoredDataError } from '../../src/backend/errors.js';
import { applyWrite, type TaskWrite } from '../../src/backend/guard.js';
import { decodeGroup, decodeStored, encodeGroup, encodeTask, metaFromStored, nextValue, taskIdOfChannel } from '../../src/backend/redis-layout.js';

const at = new Date('2026-05-06T07:08:09.000Z');

const write = (status: string, fields: Partial<TaskWrite> = {}): TaskWrite => ({
  taskId: 't1', status, result: 'null', traceback: null, meta: null, dateDone: at,
  name: null, args: null, kwargs: null, worker: null, queue: null, retries: null, dateStarted: null, ...fields,
});

describe("Celery's Redis result layout", () => {
  it("writes Celery's fields in Celery's order, the result's JSON as encoded", () => {
    expect(encodeTask(write('SUCCESS', { result: '{"big": 12345678901234567890}', meta: '{"children":[["c",null]]}' }))).toBe(
      '{"status": "SUCCESS", "result": {"big": 12345678901234567890}, "traceback": null, "children": [["c",null]], ' +
        '"date_done": "2026-05-06T07:08:09.000Z", "task_id": "t1"}',
    );
    expect(JSON.parse(encodeTask(write('STARTED', { worker: 'w@h', dateStarted: at })))).toEqual({
      status: 'STARTED', result: null, traceback: null, children: [], date_done: null,
      name: null, args: null, kwargs: null, worker: 'w@h', retries: null, queue: null, date_started: at.toISOString(), task_id: 't1',
    });
  });

  it('decides the stored state as the SQL guard does, for every pair of states', () => {
    const states = [...ALL_STATES, 'PROGRESS'];
    for (const first of states) {
      for (const second of states) {
        const stored = decodeStored('t1', Buffer.from(nextValue(null, write(first))!));
        const next = nextValue(stored, write(second));
        const status = next === null ? first : (JSON.parse(next) as { status: string }).status;
        const mirror = applyWrite(applyWrite(null, write(first)), write(second));
        expect(status, `${first} then ${second}`).toBe(mirror.status);
      }
    }
  });

  it('keeps what other writers knew, and writes nothing when a losing write adds nothing', () => {
    const stored = { status: 'SUCCESS', result: 1, traceback: null, children: [], date_done: '2026-01-01T00:00:00', group_id: 'g', task_id: 't1' };
    expect(nextValue(stored, write('STARTED'))).toBeNull();
    expect(JSON.parse(nextValue(stored, write('STARTED', { worker: 'late' }))!)).toEqual({ ...stored, worker: 'late' });
    const started = { status: 'STARTED', result: null, group_id: 'g', name: 'tasks.x', args: [1], task_id: 't1' };
    expect(JSON.parse(nextValue(started, write('SUCCESS', { result: '2' }))!)).toMatchObject({ status: 'SUCCESS', result: 2, group_id: 'g', name: 'tasks.x', args: [1] });
  });

  it('reads naive dates as UTC and a missing status as an error', () => {
    expect(metaFromStored('t1', { status: 'SUCCESS', result: 3, date_done: '2026-03-04T05:06:07.123456' }).date_done).toBe('2026-03-04T05:06:07.123Z');
    expect(metaFromStored('t1', { status: 'STARTED', date_done: '2026-03-04T05:06:07' }).date_done).toBeNull();
    expect(() => metaFromStored('t1', { result: 3 })).toThrow(StoredDataError);
    expect(() => decodeStored('task t1', Buffer.from('[1]'))).toThrow(/task t1: the stored value is not Celery's JSON/);
  });

  it("saves groups as GroupResult.as_tuple() and reads Python's, nested groups by their id", () => {
    expect(JSON.parse(encodeGroup('g', ['a', 'b'], at))).toEqual({ result: [['g', null], [[['a', null], null], [['b', null], null]]], date_done: at.toISOString() });
    const nested = { result: [['g', null], [[['a', null], null], [['sub', null], [[['x', null], null]]]]] };
    expect(decodeGroup('g', Buffer.from(JSON.stringify(nested)))).toEqual({ groupId: 'g', taskIds: ['a', 'sub'], dateDone: null });
    expect(() => decodeGroup('g', Buffer.from('{"result": 5}'))).toThrow(StoredDataError);
  });

  it('tells task channels from others', () => {
    expect(taskIdOfChannel('celery-task-meta-abc')).toBe('abc');
    expect(taskIdOfChannel('celery-taskset-meta-abc')).toBeUndefined();
  });
});
