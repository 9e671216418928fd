// The result backend's writes and reads on every database: every state,
// the precedence guard in SQL against its TypeScript mirror, racing
// writers, coalescing, hidden rows, groups, forget, and bad input.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ALL_STATES, READY_STATES } from '../../src/core/states.js';
import type { Database } from '../../src/db/open.js';
import {
  InvalidArgumentError,
  InvalidStateError,
  InvalidTaskIdError,
  PrismaResultBackend,
  ResultEncodeError,
  ResultTooLargeError,
  TaskFailedError,
  type BackendEvent,
} from '../../src/backend/index.js';
import { applyWrite, type StoredTask, type TaskWrite } from '../../src/backend/guard.js';
import { resolveOptions } from '../../src/backend/options.js';
import { buildWrite } from '../../src/backend/task-write.js';
import { describeEachDatabase } from '../support/databases.js';

const STATES = [...ALL_STATES, 'PROGRESS'];
const EXCEPTION_RESULT = { exc_type: 'ValueError', exc_message: ['bad', 1], exc_module: 'builtins' };

describeEachDatabase('result backend store', (testDb) => {
  let db: Database;
  let backend: PrismaResultBackend;
  const events: BackendEvent[] = [];

  beforeAll(async () => {
    db = await testDb.open();
    backend = new PrismaResultBackend(db, { maxResultBytes: 4096, onEvent: (event) => events.push(event) });
    await backend.start();
  });
  afterAll(() => backend?.close());

  const rowCount = () => db.prisma.taskMeta.count();

  it('stores and reads back every state in Celery\'s meta shape', async () => {
    for (const state of STATES) {
      const id = `state-${state}`;
      const exceptional = ['FAILURE', 'RETRY', 'REVOKED'].includes(state);
      await backend.storeResult(id, exceptional ? EXCEPTION_RESULT : { state, n: [1, 'é', null] }, state, {
        children: [['child-id', null]],
        traceback: exceptional ? 'Traceback (most recent call last): …' : undefined,
      });
      const meta = await backend.getTaskMeta(id);
      expect(meta, state).toEqual({
        task_id: id,
        status: state,
        result: exceptional ? EXCEPTION_RESULT : { state, n: [1, 'é', null] },
        traceback: exceptional ? 'Traceback (most recent call last): …' : null,
        children: [['child-id', null]],
        date_done: READY_STATES.has(state) ? expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) : null,
      });
    }
    expect(await backend.getTaskMeta('never-stored')).toEqual({
      task_id: 'never-stored', status: 'PENDING', result: null, traceback: null, children: [], date_done: null,
    });
  });

  it('records what a worker knows about a run, and reads it back whole', async () => {
    const before = new Date();
    await backend.markStarted('rich', { name: 'tasks.add', args: [2, 3], kwargs: { k: 'v' }, worker: 'w1@h', queue: 'q1', retries: 2 });
    await backend.markSucceeded('rich', 5);
    const record = await backend.getTask('rich');
    expect(record).toMatchObject({
      taskId: 'rich', status: 'SUCCESS', result: 5, name: 'tasks.add', args: [2, 3], kwargs: { k: 'v' },
      worker: 'w1@h', queue: 'q1', retries: 2,
    });
    expect(record!.dateStarted!.getTime()).toBeGreaterThanOrEqual(before.getTime() - 5);
    expect(record!.dateCreated.getTime()).toBeLessThanOrEqual(record!.dateDone.getTime());
  });

  it('creates a row and marks it done at one clock reading on the first store', async () => {
    await backend.storeResult('one-reading', 1, 'SUCCESS');
    const record = await backend.getTask('one-reading');
    expect(record!.dateCreated).toEqual(record!.dateDone);
  });

  it('applies the guard in SQL exactly as its TypeScript mirror, for every pair of states and hidden rows', async () => {
    // The mirror gets the very rows the backend builds.
    const settings = resolveOptions();
    const write = (id: string, status: string, n: number): TaskWrite =>
      buildWrite(id, status, `${status}-${n}`, n === 1 ? { name: 'first-name', worker: 'worker-1' } : { worker: 'worker-2' }, settings, new Date()).write;
    const cases = STATES.flatMap((a) => STATES.flatMap((b) => [false, true].map((hide) => ({ a, b, hide, id: `guard-${a}-${b}-${hide}` }))));
    // Different ids in one go: these become multi-row statements, so the guard is evaluated per row.
    await Promise.all(cases.map(({ id, a }) => backend.storeResult(id, `${a}-1`, a, { name: 'first-name', worker: 'worker-1' })));
    const hidden = cases.filter((c) => c.hide).map((c) => c.id);
    await db.prisma.taskMeta.updateMany({ where: { taskId: { in: hidden } }, data: { hidden: true } });
    await Promise.all(cases.map(({ id, b }) => backend.storeResult(id, `${b}-2`, b, { worker: 'worker-2' })));

    const rows = await db.prisma.taskMeta.findMany({ where: { taskId: { startsWith: 'guard-' } } });
    expect(rows).toHaveLength(cases.length);
    const byId = new Map(rows.map((r) => [r.taskId, r]));
    for (const { a, b, hide, id } of cases) {
      const first: StoredTask = { ...applyWrite(null, write(id, a, 1)), hidden: hide };
      const expected = applyWrite(first, write(id, b, 2));
      const row = byId.get(id)!;
      const label = `${a}${hide ? ' (hidden)' : ''} then ${b}`;
      expect({ status: row.status, result: row.result, name: row.name, worker: row.worker, hidden: row.hidden }, label).toEqual({
        status: expected.status, result: expected.result, name: expected.name, worker: expected.worker, hidden: false,
      });
    }
  });

  it('never regresses a finished task, and lets a retried task run again and succeed', async () => {
    await backend.markSucceeded('done', 'ok');
    const doneAt = (await backend.getTaskMeta('done')).date_done;
    for (const late of ['STARTED', 'RECEIVED', 'RETRY', 'PENDING']) await backend.storeResult('done', null, late);
    expect(await backend.getTaskMeta('done')).toMatchObject({ status: 'SUCCESS', result: 'ok', date_done: doneAt });

    await backend.markStarted('retried');
    await backend.markRetry('retried', new Error('try again'));
    expect((await backend.getTaskMeta('retried')).status).toBe('RETRY');
    await backend.markStarted('retried', { retries: 1 });
    expect((await backend.getTaskMeta('retried')).status).toBe('STARTED');
    await backend.markSucceeded('retried', 2);
    expect(await backend.getTaskMeta('retried')).toMatchObject({ status: 'SUCCESS', result: 2 });

    await backend.storeResult('rewrite', { v: 1 }, 'PROGRESS');
    await backend.storeResult('rewrite', { v: 2 }, 'PROGRESS');
    expect((await backend.getTaskMeta('rewrite')).result).toEqual({ v: 2 });
  });

  it('lets two backends race on one id without an error, ending at the highest state', async () => {
    const other = new PrismaResultBackend(testDb.url);
    try {
      const states = ['RECEIVED', 'STARTED', 'RETRY', 'SUCCESS', 'FAILURE', 'STARTED', 'REVOKED', 'RETRY', 'PROGRESS'];
      const writes = Array.from({ length: 120 }, (_, i) => {
        const writer = i % 2 === 0 ? backend : other;
        const state = states[i % states.length]!;
        return writer.storeResult('race', state === 'SUCCESS' ? 'won' : { i }, state);
      });
      await Promise.all(writes);
      expect(await backend.getTaskMeta('race')).toMatchObject({ status: 'SUCCESS', result: 'won' });
    } finally {
      await other.close();
    }
  });

  it('coalesces 64 concurrent stores into a few statements, each caller resolving once its row is committed', async () => {
    const before = backend.writeStatements;
    const ids = Array.from({ length: 64 }, (_, i) => `burst-${i}`);
    await Promise.all(
      ids.map(async (id, i) => {
        await backend.storeResult(id, i, 'SUCCESS');
        // Committed when resolved: a read on another connection sees it.
        expect((await backend.getTaskMeta(id)).result).toBe(i);
      }),
    );
    expect(backend.writeStatements - before).toBeLessThanOrEqual(3);
  });

  it('collapses writes of one id within a batch as the guard would', async () => {
    const before = backend.writeStatements;
    await Promise.all([
      backend.markStarted('dup-a', { name: 'tasks.a', worker: 'w' }),
      backend.markSucceeded('dup-a', 'a-done'),
      backend.markSucceeded('dup-b', 'b-done'),
      backend.markStarted('dup-b', { name: 'tasks.b' }),
      backend.markRetry('dup-c', new Error('again')),
      backend.storeResult('dup-c', null, 'PENDING'),
    ]);
    expect(backend.writeStatements - before).toBeLessThanOrEqual(3);
    expect(await backend.getTask('dup-a')).toMatchObject({ status: 'SUCCESS', result: 'a-done', name: 'tasks.a', worker: 'w' });
    expect(await backend.getTask('dup-b')).toMatchObject({ status: 'SUCCESS', result: 'b-done', name: 'tasks.b' });
    expect((await backend.getTask('dup-c'))?.status).toBe('PENDING');
  });

  it('never shows hidden rows: meta, record, group and wait all treat them as gone', async () => {
    await backend.markSucceeded('to-hide', 1);
    await backend.saveGroup('group-to-hide', ['to-hide']);
    await db.prisma.taskMeta.update({ where: { taskId: 'to-hide' }, data: { hidden: true } });
    await db.prisma.taskSetMeta.update({ where: { tasksetId: 'group-to-hide' }, data: { hidden: true } });
    expect((await backend.getTaskMeta('to-hide')).status).toBe('PENDING');
    expect(await backend.getTask('to-hide')).toBeNull();
    expect(await backend.restoreGroup('group-to-hide')).toBeNull();
    await expect(backend.waitFor('to-hide', { timeout: 30, interval: 10 })).rejects.toMatchObject({ code: 'E_TASK_TIMEOUT' });
    // A new write of a hidden row brings it back, replacing it whole.
    await backend.storeResult('to-hide', null, 'STARTED');
    expect((await backend.getTaskMeta('to-hide')).status).toBe('STARTED');
  });

  it('saves, restores, replaces and deletes groups', async () => {
    await backend.saveGroup('g', ['a', 'b', 'c']);
    expect(await backend.restoreGroup('g')).toMatchObject({ groupId: 'g', taskIds: ['a', 'b', 'c'] });
    await backend.saveGroup('g', ['d']);
    expect((await backend.restoreGroup('g'))?.taskIds).toEqual(['d']);
    expect(await backend.deleteGroup('g')).toBe(true);
    expect(await backend.deleteGroup('g')).toBe(false);
    expect(await backend.restoreGroup('g')).toBeNull();
    await expect(backend.saveGroup('g', ['ok', ''])).rejects.toThrow(InvalidTaskIdError);
    await expect(backend.saveGroup('', [])).rejects.toThrow(InvalidArgumentError);
  });

  it('forgets a task, even one whose write is still on its way', async () => {
    await backend.markSucceeded('forget-me', 1);
    const late = backend.markSucceeded('forget-late', 2);
    await backend.forget('forget-late');
    await late;
    await backend.forget('forget-me');
    expect(await db.prisma.taskMeta.count({ where: { taskId: { in: ['forget-me', 'forget-late'] } } })).toBe(0);
  });

  it('stores a result over the cap as a FAILURE the waiter sees, and tells the caller', async () => {
    await expect(backend.markSucceeded('huge', 'x'.repeat(5000))).rejects.toThrow(ResultTooLargeError);
    const error = await backend.waitFor('huge').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error).toMatchObject({ excType: 'ResultTooLargeError', state: 'FAILURE' });
    const stored = await db.prisma.taskMeta.findUnique({ where: { taskId: 'huge' } });
    expect(JSON.parse(stored!.result!)).toMatchObject({ exc_type: 'ResultTooLargeError' });
  });

  it('stores an unserialisable result as a FAILURE explaining it, and rejects the caller', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const [id, value] of [['bigint', 10n], ['cycle', cyclic], ['fn', { f: () => 1 }], ['holes', [1, undefined]]] as const) {
      await expect(backend.markSucceeded(id, value)).rejects.toThrow(ResultEncodeError);
      await expect(backend.waitFor(id)).rejects.toMatchObject({ excType: 'EncodeError', excModule: 'kombu.exceptions' });
    }
  });

  it('refuses bad ids, states and details with typed errors, writing nothing', async () => {
    const before = await rowCount();
    await expect(backend.storeResult('', 1, 'SUCCESS')).rejects.toThrow(InvalidTaskIdError);
    await expect(backend.storeResult('x'.repeat(256), 1, 'SUCCESS')).rejects.toThrow(InvalidTaskIdError);
    await expect(backend.storeResult(7 as unknown as string, 1, 'SUCCESS')).rejects.toThrow(InvalidTaskIdError);
    await expect(backend.storeResult('bad-state', 1, 'success')).rejects.toThrow(InvalidStateError);
    await expect(backend.storeResult('bad-state', 1, null as unknown as string)).rejects.toThrow(InvalidStateError);
    await expect(backend.markStarted('bad-args', { args: [1n] })).rejects.toThrow(InvalidArgumentError);
    await expect(backend.getTaskMeta('')).rejects.toThrow(InvalidTaskIdError);
    expect(await rowCount()).toBe(before);
    // The longest id that fits does fit, in characters of any width.
    await backend.markSucceeded('é'.repeat(255), 'long');
    expect((await backend.getTaskMeta('é'.repeat(255))).result).toBe('long');
  });

  it('keeps text that PostgreSQL cannot hold (NUL) from failing a store', async () => {
    await backend.markFailed('nul', new Error('a\u0000b'), { traceback: 'line\u0000two', name: 'n\u0000' });
    const meta = await backend.getTaskMeta('nul');
    expect(meta.result).toMatchObject({ exc_message: ['a\u0000b'] });
    expect(meta.traceback).toBe('line\uFFFDtwo');
  });

  it('reports nothing unexpected along the way', () => {
    expect(events.filter((e) => e.type !== 'retry')).toEqual([]);
  });
});
