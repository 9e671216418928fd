// The camera's SQL on every database: the precedence guard of the task
// upsert, worker rows, expiry by state and age, and reconciliation with
// the result backend's table.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import type { TaskRow } from '../../src/snapshot/state/rows.js';
import { expireTaskStates } from '../../src/snapshot/store/cleanup.js';
import { reconcileFromResults } from '../../src/snapshot/store/reconcile.js';
import { SnapshotStore } from '../../src/snapshot/store/snapshot-store.js';
import { describeEachDatabase } from '../support/databases.js';

const T0 = new Date('2026-11-29T10:00:00.000Z');
const at = (seconds: number): Date => new Date(T0.getTime() + seconds * 1000);

function row(taskId: string, state: string, fields: Partial<TaskRow> = {}): TaskRow {
  return {
    taskId,
    state,
    name: null,
    tstamp: T0,
    args: null,
    kwargs: null,
    eta: null,
    expires: null,
    result: null,
    traceback: null,
    runtime: null,
    retries: 0,
    worker: null,
    ...fields,
  };
}

async function stored(db: Database, taskId: string) {
  return db.prisma.taskState.findUnique({ where: { taskId }, include: { worker: true } });
}

async function clear(db: Database): Promise<void> {
  await db.prisma.taskState.deleteMany();
  await db.prisma.workerState.deleteMany();
  await db.prisma.taskMeta.deleteMany();
}

describeEachDatabase('camera store', (testDb) => {
  let db: Database;
  let store: SnapshotStore;

  beforeAll(async () => {
    db = await testDb.open();
    store = new SnapshotStore(db, { rowsPerStatement: 7 });
  });

  describe('task upsert', () => {
    it('inserts new rows with their worker, in several statements', async () => {
      await clear(db);
      const rows = Array.from({ length: 45 }, (_, i) =>
        row(`many-${String(i).padStart(2, '0')}`, 'SUCCESS', { name: 'tasks.add', result: String(i), worker: `w${i % 3}@host`, runtime: 0.5 }),
      );
      const outcome = await store.write(rows, [{ hostname: 'w0@host', lastHeartbeat: at(5) }]);
      expect(outcome.error).toBeNull();
      expect(outcome.tasksWritten).toBe(45);
      expect(await db.prisma.taskState.count()).toBe(45);
      const workers = await db.prisma.workerState.findMany({ orderBy: { hostname: 'asc' } });
      expect(workers.map((w) => w.hostname)).toEqual(['w0@host', 'w1@host', 'w2@host']);
      expect(workers[0]?.lastHeartbeat?.toISOString()).toBe(at(5).toISOString());
      expect(workers[1]?.lastHeartbeat).toBeNull();
      const seven = await stored(db, 'many-07');
      expect(seven).toMatchObject({ state: 'SUCCESS', result: '7', runtime: 0.5, hidden: false });
      expect(seven?.worker?.hostname).toBe('w1@host');
    });

    it('keeps the guard and every worker id across statements written at once, also after a stale worker id', async () => {
      await clear(db);
      const ids = Array.from({ length: 40 }, (_, i) => `par-${String(i).padStart(2, '0')}`);
      expect((await store.write(ids.map((id) => row(id, 'SUCCESS', { result: 'done', worker: 'w@par' })), [])).tasksWritten).toBe(40);
      // A worker row deleted behind the store's back: the first statement to meet its stale id clears the cache.
      await db.prisma.taskState.updateMany({ data: { workerId: null } });
      await db.prisma.workerState.deleteMany();
      // A stale picture of the stored tasks (older state) and new ones, in 12 statements of 7 rows.
      const stale = ids.map((id) => row(id, 'STARTED', { worker: 'w@par' }));
      const fresh = ids.map((id) => row(`${id}-new`, 'RECEIVED', { worker: 'w@par' }));
      const outcome = await store.write([...stale, ...fresh], []);
      expect(outcome).toMatchObject({ error: null, rejected: [], tasksWritten: 80 });
      const rows = await db.prisma.taskState.findMany({ where: { taskId: { startsWith: 'par-' } }, include: { worker: true } });
      expect(rows).toHaveLength(80);
      expect(rows.filter((r) => !r.taskId.endsWith('-new')).every((r) => r.state === 'SUCCESS' && r.result === 'done')).toBe(true);
      expect(rows.filter((r) => r.taskId.endsWith('-new')).every((r) => r.state === 'RECEIVED' && r.worker?.hostname === 'w@par')).toBe(true);
    });

    it('never moves a stored state backwards, yet merges name/args/kwargs and keeps the larger retries', async () => {
      await clear(db);
      await store.write([row('p1', 'SUCCESS', { name: 'tasks.add', args: '(2, 3)', kwargs: '{}', result: '5', tstamp: at(3), worker: 'a@h', retries: 1 })], []);
      // A stale picture: an older state, no name, other fields.
      const outcome = await store.write(
        [row('p1', 'STARTED', { tstamp: at(9), result: null, args: null, eta: at(100), worker: 'b@h', retries: 0 })],
        [],
      );
      expect(outcome.error).toBeNull();
      const after = await stored(db, 'p1');
      expect(after).toMatchObject({ state: 'SUCCESS', name: 'tasks.add', args: '(2, 3)', kwargs: '{}', result: '5', retries: 1 });
      expect(after?.tstamp.toISOString()).toBe(at(3).toISOString());
      expect(after?.eta?.toISOString()).toBe(at(100).toISOString());
      expect(after?.worker?.hostname).toBe('a@h');
    });

    it('moves forward and fills what was missing, keeping what the newer picture lacks', async () => {
      await clear(db);
      await store.write([row('f1', 'RECEIVED', { name: 'tasks.x', args: '(1,)', tstamp: at(1), worker: 'a@h' })], []);
      await store.write([row('f1', 'FAILURE', { result: "ValueError('boom')", traceback: 'Traceback…', tstamp: at(2), runtime: 0.25 })], []);
      expect(await stored(db, 'f1')).toMatchObject({
        state: 'FAILURE',
        name: 'tasks.x',
        args: '(1,)',
        result: "ValueError('boom')",
        traceback: 'Traceback…',
        runtime: 0.25,
      });
      expect((await stored(db, 'f1'))?.worker?.hostname).toBe('a@h');
      expect((await stored(db, 'f1'))?.tstamp.toISOString()).toBe(at(2).toISOString());
    });

    it('follows Celery for RETRY (replaces and is replaced) and ranks custom states between FAILURE and REVOKED', async () => {
      await clear(db);
      await store.write([row('r1', 'SUCCESS', { tstamp: at(1) }), row('c1', 'PROGRESS', { tstamp: at(1) })], []);
      await store.write([row('r1', 'RETRY', { tstamp: at(2) }), row('c1', 'REVOKED', { tstamp: at(2) })], []);
      expect((await stored(db, 'r1'))?.state).toBe('RETRY');
      expect((await stored(db, 'c1'))?.state).toBe('PROGRESS');
      await store.write([row('r1', 'PENDING', { tstamp: at(3) }), row('c1', 'FAILURE', { tstamp: at(3) })], []);
      expect((await stored(db, 'r1'))?.state).toBe('PENDING');
      expect((await stored(db, 'c1'))?.state).toBe('FAILURE');
    });

    it('stores odd values without failing the batch: long state and name, NUL, dates out of range', async () => {
      await clear(db);
      const long = 'S'.repeat(300);
      const outcome = await store.write(
        [
          row('odd-1', long, { name: 'n'.repeat(400), traceback: 'a\0b', eta: new Date('0001-01-01T00:00:00Z'), runtime: Number.NaN }),
          row('x'.repeat(300), 'SUCCESS'),
          row('odd-2', 'SUCCESS', { worker: 'h'.repeat(300) }),
        ],
        [],
      );
      expect(outcome.error).toBeNull();
      expect(outcome.rejected).toEqual([{ taskId: 'x'.repeat(300), reason: 'task-id-too-long' }]);
      const odd = await stored(db, 'odd-1');
      expect(odd?.state).toBe('S'.repeat(255));
      expect(odd?.name).toBe('n'.repeat(255));
      expect(odd?.eta).toBeNull();
      expect(odd?.runtime).toBeNull();
      expect((await stored(db, 'odd-2'))?.worker?.hostname).toBe('h'.repeat(255));
    });

    it('stores text and numbers exactly as given: quotes, backslashes, newlines, emoji, JSON look-alikes', async () => {
      await clear(db);
      const text = `it's "quoted" \\ back\nslash\t\u00e9 😀 {"i": null} $.i`;
      const when = new Date(Date.UTC(2026, 5, 7, 8, 9, 10, 11));
      await store.write([row('exact-1', 'SUCCESS', { name: 'tasks.ü', args: text, kwargs: '{}', result: 'null', traceback: text, runtime: 0.1 + 0.2, retries: 3, eta: when, expires: when })], []);
      const exact = await stored(db, 'exact-1');
      expect(exact).toMatchObject({ name: 'tasks.ü', args: text, kwargs: '{}', result: 'null', traceback: text, runtime: 0.1 + 0.2, retries: 3 });
      expect(exact?.eta?.toISOString()).toBe(when.toISOString());
      expect(exact?.expires?.toISOString()).toBe(when.toISOString());
      expect(exact?.tstamp.toISOString()).toBe(T0.toISOString());
    });

    it('keeps rows it could not write for the next snapshot when the statement fails', async () => {
      await clear(db);
      // A worker row deleted behind the store's back leaves a stale cached id: the store must recover.
      await store.write([row('s1', 'SUCCESS', { worker: 'gone@h' })], []);
      await db.prisma.taskState.deleteMany();
      await db.prisma.workerState.deleteMany();
      const outcome = await store.write([row('s2', 'SUCCESS', { worker: 'gone@h' })], []);
      expect(outcome.error).toBeNull();
      expect(outcome.rejected).toEqual([]);
      expect((await stored(db, 's2'))?.worker?.hostname).toBe('gone@h');
    });
  });

  describe('cleanup', () => {
    const now = at(10 * 86_400).getTime();
    const ago = (days: number): Date => new Date(now - days * 86_400_000);

    async function seed(): Promise<void> {
      await clear(db);
      await store.write(
        [
          row('success-old', 'SUCCESS', { tstamp: ago(1.5) }),
          row('success-new', 'SUCCESS', { tstamp: ago(0.5) }),
          row('failure-old', 'FAILURE', { tstamp: ago(3.5) }),
          row('failure-mid', 'FAILURE', { tstamp: ago(2) }),
          row('revoked-old', 'REVOKED', { tstamp: ago(4) }),
          row('rejected-old', 'REJECTED', { tstamp: ago(4) }),
          row('retry-old', 'RETRY', { tstamp: ago(4) }),
          row('started-old', 'STARTED', { tstamp: ago(6) }),
          row('pending-old', 'PENDING', { tstamp: ago(5.5) }),
          row('received-mid', 'RECEIVED', { tstamp: ago(4) }),
          row('custom-old', 'PROGRESS', { tstamp: ago(6) }),
        ],
        [],
      );
    }

    const remaining = async (): Promise<string[]> =>
      (await db.prisma.taskState.findMany({ orderBy: { taskId: 'asc' } })).map((t) => t.taskId);

    it('deletes each state group past its age, in batches of ids', async () => {
      await seed();
      const result = await expireTaskStates(db, { success: 86_400, error: 3 * 86_400, pending: 5 * 86_400 }, { batchSize: 2, now });
      // success-old; failure-old, revoked-old; started-old, pending-old, custom-old.
      expect(result.deleted).toBe(6);
      // The id bounds, then 11 ids in batches from 2 ids, doubling while statements are quick: 2 + 4 + 8 at least.
      expect(result.statements).toBeGreaterThanOrEqual(1 + 3);
      expect(result.longestStatementMs).toBeGreaterThan(0);
      // RETRY and REJECTED are unfinished: they wait for the pending limit, as STARTED does.
      expect(await remaining()).toEqual(['failure-mid', 'received-mid', 'rejected-old', 'retry-old', 'success-new']);
    });

    it('keeps a group whose limit is turned off', async () => {
      await seed();
      const result = await expireTaskStates(db, { success: null, error: null, pending: 5 * 86_400 }, { batchSize: 1000, now });
      expect(result.deleted).toBe(3);
      expect(await remaining()).not.toContain('started-old');
      expect(await remaining()).toContain('success-old');
      expect(await remaining()).toContain('failure-old');
    });

    it('also deletes rows an interrupted run left hidden', async () => {
      await seed();
      await db.prisma.taskState.update({ where: { taskId: 'success-new' }, data: { hidden: true } });
      const result = await expireTaskStates(db, { success: null, error: null, pending: null }, { batchSize: 10, now });
      expect(result.deleted).toBe(1);
      expect(await remaining()).not.toContain('success-new');
    });
  });

  describe('reconciliation with celery_taskmeta', () => {
    it('completes unready rows whose result is ready, and nothing else', async () => {
      await clear(db);
      await store.write(
        [
          row('missed-success', 'STARTED', { name: 'tasks.add', tstamp: at(1) }),
          row('missed-failure', 'RECEIVED', { tstamp: at(1) }),
          row('still-running', 'STARTED', { tstamp: at(1) }),
          row('already-done', 'SUCCESS', { result: '5', tstamp: at(1) }),
        ],
        [],
      );
      await db.prisma.taskMeta.createMany({
        data: [
          { taskId: 'missed-success', status: 'SUCCESS', result: '5', dateDone: at(4), name: 'other.name' },
          { taskId: 'missed-failure', status: 'FAILURE', result: '{"exc_type": "ValueError"}', traceback: 'tb', dateDone: at(5), name: 'tasks.fail' },
          { taskId: 'still-running', status: 'STARTED', dateDone: at(5) },
          { taskId: 'already-done', status: 'FAILURE', result: 'x', dateDone: at(6) },
        ],
      });
      expect(await reconcileFromResults(db)).toBe(2);
      const success = await stored(db, 'missed-success');
      expect(success).toMatchObject({ state: 'SUCCESS', result: '5', name: 'tasks.add' });
      expect(success?.tstamp.toISOString()).toBe(at(4).toISOString());
      expect(await stored(db, 'missed-failure')).toMatchObject({ state: 'FAILURE', traceback: 'tb', name: 'tasks.fail' });
      expect((await stored(db, 'still-running'))?.state).toBe('STARTED');
      expect(await stored(db, 'already-done')).toMatchObject({ state: 'SUCCESS', result: '5' });
      expect(await reconcileFromResults(db)).toBe(0);
    });
  });
});
