// A real Python Celery 5.2.6 worker started with -E, on the broker a test
// gives, runs add, fail, retry_once, a terminated slow task and a revoked
// ETA task; the camera's rows end as Celery's State ends them (see the
// merge rules in tests/fixtures/README.md and events-state-replay.json for
// the same scenarios). Tasks are sent by the Python client with send_task,
// whose args are a list: the argsrepr the worker echoes in its events is
// `[2, 3]`, not `(2, 3)` (no args at all is still `()`).
// One worker is watched by a camera per database, each writing its own
// rows: the worker's run (and the wait for the ETA) is the same for all.
// camera-python.test.ts runs it on RabbitMQ, camera-redis-python.test.ts on Redis.
import { expect } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import { PythonWorker } from './python-worker.js';
import { waitFor } from './wait.js';

const polling = { intervalMs: 100 };

const taskRow = (db: Database, taskId: string) => db.prisma.taskState.findUnique({ where: { taskId }, include: { worker: true } });
/** Each database's row of a task, in the order of the databases. */
type Rows = NonNullable<Awaited<ReturnType<typeof taskRow>>>[];

export async function pythonWorkerSeenByCamera(databases: readonly Database[], brokerUrl: string): Promise<void> {
  expect(databases.length).toBeGreaterThan(0);
  const cameras = databases.map((database) => new Camera({ database, brokerUrl, freq: 0.2, workerWriteInterval: 0 }));
  await Promise.all(cameras.map((camera) => camera.start()));
  await using worker = new PythonWorker({ brokerUrl });
  /** Every database's row of the task, once each has it (in `state`, if given). */
  const task = (id: string, state?: string) => async (): Promise<Rows | null> => {
    const rows = await Promise.all(databases.map((db) => taskRow(db, id)));
    return rows.every((row) => row !== null && (state === undefined || row.state === state)) ? (rows as Rows) : null;
  };
  /** Checks each database's row, naming the database when one is wrong. */
  const eachRow = (rows: Rows, check: (row: Rows[number], provider: string) => void): void => {
    rows.forEach((row, i) => check(row, databases[i]?.provider ?? '?'));
  };
  try {
    await worker.start();
    const add = await worker.publish('tasks.add', [2, 3]);
    const fail = await worker.publish('tasks.fail');
    const retry = await worker.publish('tasks.retry_once', [42]);

    eachRow(await waitFor('add SUCCESS', task(add, 'SUCCESS'), polling), (added, provider) => {
      expect(added, provider).toMatchObject({ name: 'tasks.add', args: '[2, 3]', kwargs: '{}', result: '5', retries: 0, traceback: null, hidden: false });
      expect(added.runtime, provider).toBeGreaterThan(0);
      expect(added.worker?.hostname, provider).toBe(worker.name);
    });

    eachRow(await waitFor('fail FAILURE', task(fail, 'FAILURE'), polling), (failed, provider) => {
      expect(failed, provider).toMatchObject({ name: 'tasks.fail', args: '()', result: "ValueError('boom')" });
      expect(failed.traceback, provider).toContain('ValueError: boom');
    });

    // STARTED → RETRY → STARTED → SUCCESS; the retry's exception and traceback stay, retries is 1,
    // and the args are the retry message's, which the worker sends as a tuple.
    eachRow(await waitFor('retry_once SUCCESS', task(retry, 'SUCCESS'), polling), (retried, provider) => {
      expect(retried, provider).toMatchObject({ name: 'tasks.retry_once', args: '(42,)', result: '42', retries: 1 });
      expect(retried.traceback, provider).toContain('first attempt fails');
      expect(retried.eta, provider).not.toBeNull();
    });

    // A running task terminated by revoke.
    const slow = await worker.publish('tasks.slow', [30]);
    const sent = Date.now();
    await waitFor('slow STARTED', task(slow, 'STARTED'), polling);
    const seenMs = Date.now() - sent;
    await worker.revoke(slow, true);
    eachRow(await waitFor('slow REVOKED', task(slow, 'REVOKED'), polling), (terminated, provider) => {
      expect(terminated, provider).toMatchObject({ name: 'tasks.slow', args: '[30]' });
    });

    // An ETA task revoked before it runs: received, then revoked when due.
    // Celery 5.2.6's revoke only flags the id; the worker announces
    // task-revoked when the ETA comes and it discards the task. A revoke
    // that reaches the worker after the ETA finds the task run already, so
    // it must come within the countdown: from a Python client started
    // beforehand (starting one takes seconds on a loaded machine), as soon
    // as the cameras have the task, which took seenMs for the task above
    // (one sample: at least 8 s, as a loaded machine took 6 s to get there).
    await using revoker = await worker.revoker();
    const countdown = Math.min(30, Math.max(8, Math.ceil((3 * seenMs) / 1000)));
    const dueBy = Date.now() + countdown * 1000;
    const later = await worker.publish('tasks.add', [5, 5], { countdown });
    await waitFor('ETA task RECEIVED', task(later, 'RECEIVED'), polling);
    await revoker.revoke(later);
    expect(Date.now(), `the revoke was not sent before the ETA (countdown ${countdown} s)`).toBeLessThan(dueBy);
    eachRow(await waitFor('ETA task REVOKED', task(later, 'REVOKED'), { ...polling, timeoutMs: countdown * 1000 + 30_000 }), (revoked, provider) => {
      expect(revoked, provider).toMatchObject({ name: 'tasks.add', args: '[5, 5]', result: null });
      expect(revoked.eta, provider).not.toBeNull();
    });

    for (const [i, db] of databases.entries()) {
      const alive = await db.prisma.workerState.findUnique({ where: { hostname: worker.name } });
      expect(alive?.lastHeartbeat, db.provider).not.toBeNull();
      expect(cameras[i]?.state.worker(worker.name), db.provider).toMatchObject({ swIdent: 'py-celery', swVer: '5.2.6' });
    }
  } finally {
    await worker.stop();
  }
  // Warm shutdown sends worker-offline.
  for (const db of databases) {
    await waitFor(`worker offline on ${db.provider}`, async () => (await db.prisma.workerState.findUnique({ where: { hostname: worker.name } }))?.lastHeartbeat === null, polling);
  }
  await Promise.all(cameras.map((camera) => camera.close()));
  for (const [i, camera] of cameras.entries()) {
    expect(camera.stats(), databases[i]?.provider).toMatchObject({ decodeProblems: 0, snapshotFailures: 0, rowsRejected: 0 });
  }
}
