// Every route of the web handler against each real database: djcelery's
// views over rows the result backend wrote, and the monitor's API over rows
// the camera's store and the scheduler's store wrote, with filters, paging,
// the token, and the periodic-task actions.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PrismaResultBackend } from '../../src/backend/index.js';
import type { TaskMessage } from '../../src/core/protocol/index.js';
import type { Database } from '../../src/db/open.js';
import { entryFromRow, messageOptionsFor, PeriodicTaskStore } from '../../src/scheduler/index.js';
import { SnapshotStore, type TaskRow } from '../../src/snapshot/index.js';
import { createHandler, type WebHandler } from '../../src/web/index.js';
import { describeEachDatabase } from '../support/databases.js';

const TOKEN = 'integration-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}` };
const NOW = Date.now();
const ago = (seconds: number): Date => new Date(NOW - seconds * 1000);

class RecordingPublisher {
  readonly sent: TaskMessage[] = [];
  async publish(message: TaskMessage): Promise<void> {
    this.sent.push(message);
  }
}

// Whatever JSON.parse gives: the answers are checked by value, not by type.
type Json = ReturnType<typeof JSON.parse>;

async function call(handler: WebHandler, path: string, init: RequestInit & { json?: unknown } = {}): Promise<{ status: number; body: Json }> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('content-type', 'application/json');
  const response = await handler(new Request(`http://monitor${path}`, { ...rest, headers, body: json === undefined ? rest.body : JSON.stringify(json) }));
  const text = await response.text();
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

const taskRow = (taskId: string, state: string, name: string, worker: string, secondsAgo: number, extra: Partial<TaskRow> = {}): TaskRow => ({
  taskId,
  state,
  name,
  tstamp: ago(secondsAgo),
  args: '(2, 3)',
  kwargs: '{}',
  eta: null,
  expires: null,
  result: null,
  traceback: null,
  runtime: null,
  retries: 0,
  worker,
  ...extra,
});

describeEachDatabase('web handler', (testDb) => {
  let db: Database;
  let backend: PrismaResultBackend;
  let handler: WebHandler;
  let readOnly: WebHandler;
  const publisher = new RecordingPublisher();
  const actions: string[] = [];

  beforeAll(async () => {
    db = await testDb.open();
    backend = new PrismaResultBackend(db);
    await backend.markSucceeded('r-ok', { sum: 5 }, { name: 'tasks.add', worker: 'w1@host', args: [2, 3], dateStarted: ago(12) });
    await backend.storeResult('r-py-fail', { exc_type: 'KeyError', exc_message: ['missing'], exc_module: 'builtins' }, 'FAILURE', {
      name: 'tasks.lookup',
      traceback: 'Traceback (most recent call last):\n  File "tasks.py", line 3\nKeyError: \'missing\'\n',
    });
    await backend.markFailed('r-js-fail', new TypeError('not a number'), { name: 'tasks.add' });
    await backend.markRetry('r-retry', new Error('try later'), { name: 'tasks.flaky' });
    await backend.markRevoked('r-revoked', 'terminated');
    await backend.markStarted('r-started', { name: 'tasks.slow', worker: 'w2@host' });

    const store = new SnapshotStore(db);
    const outcome = await store.write(
      [
        taskRow('t1', 'SUCCESS', 'tasks.add', 'w-online@host', 70, { result: '5', runtime: 0.25 }),
        taskRow('t2', 'FAILURE', 'tasks.add', 'w-online@host', 60, {
          result: "ValueError('<script>alert(1)</script>')",
          traceback: 'Traceback (most recent call last):\nValueError: <script>alert(1)</script>\n',
          runtime: 0.5,
        }),
        taskRow('t3', 'SUCCESS', 'tasks.mul', 'w-stale@host', 50),
        taskRow('t4', 'STARTED', 'tasks.add', 'w-stale@host', 40),
        taskRow('t5', 'FAILURE', 'tasks.mul', 'w-online@host', 30),
        taskRow('t6', 'SUCCESS', 'tasks.add', 'w-online@host', 20),
        taskRow('t7', 'RECEIVED', 'tasks.add', 'w-offline@host', 10),
        taskRow('t-hidden', 'SUCCESS', 'tasks.add', 'w-online@host', 5),
      ],
      [
        { hostname: 'w-online@host', lastHeartbeat: ago(1) },
        { hostname: 'w-stale@host', lastHeartbeat: ago(60) },
        { hostname: 'w-offline@host', lastHeartbeat: null },
      ],
    );
    expect(outcome.error).toBeNull();
    await db.prisma.taskState.updateMany({ where: { taskId: 't-hidden' }, data: { hidden: true } });

    const periodic = new PeriodicTaskStore(db);
    await periodic.create({ name: 'report nightly', task: 'tasks.report', schedule: { crontab: '30 4 * * *', timezone: 'Europe/Berlin' } });
    await periodic.create({ name: 'cleanup', task: 'tasks.cleanup', schedule: { every: '5m' }, enabled: false });
    await periodic.create({ name: 'add often', task: 'tasks.add', schedule: { every: 30 }, args: [1, 2], kwargs: { z: 3 }, queue: 'adds' });

    const common = { database: db, tasks: ['tasks.add', 'tasks.report', 'tasks.cleanup'], monitor: true, now: () => new Date(NOW) };
    handler = createHandler({ ...common, token: TOKEN, publisher, onAction: (line) => actions.push(line) });
    readOnly = createHandler(common);
  });

  afterAll(async () => {
    await backend?.close();
  });

  it('task status: a result, as djcelery shows it', async () => {
    expect(await call(handler, '/tasks/r-ok/status')).toEqual({ status: 200, body: { task: { id: 'r-ok', status: 'SUCCESS', result: { sum: 5 } } } });
    expect(await call(handler, '/tasks/r-started/status')).toEqual({ status: 200, body: { task: { id: 'r-started', status: 'STARTED', result: null } } });
  });

  it('task status: an error state adds exc and traceback, with the result as the exception repr', async () => {
    expect((await call(handler, '/tasks/r-py-fail/status')).body).toEqual({
      task: {
        id: 'r-py-fail',
        status: 'FAILURE',
        result: "KeyError('missing')",
        exc: 'builtins.KeyError',
        traceback: 'Traceback (most recent call last):\n  File "tasks.py", line 3\nKeyError: \'missing\'\n',
      },
    });
    const js = (await call(handler, '/tasks/r-js-fail/status')).body.task;
    expect(js).toMatchObject({ status: 'FAILURE', result: "TypeError('not a number')", exc: 'javascript.TypeError' });
    expect(js.traceback).toMatch(/^TypeError: not a number\n\s+at /);
    expect((await call(handler, '/tasks/r-retry/status')).body.task).toMatchObject({ status: 'RETRY', exc: 'javascript.Error', result: "Error('try later')" });
    expect((await call(handler, '/tasks/r-revoked/status')).body.task).toMatchObject({
      status: 'REVOKED',
      exc: 'celery.exceptions.TaskRevokedError',
      result: "TaskRevokedError('terminated')",
      traceback: null,
    });
  });

  it('task status: an unknown id is PENDING, as AsyncResult says', async () => {
    expect((await call(handler, '/tasks/never-sent/status')).body).toEqual({ task: { id: 'never-sent', status: 'PENDING', result: null } });
  });

  it('is task successful: executed only for SUCCESS', async () => {
    expect((await call(handler, '/tasks/r-ok/done')).body).toEqual({ task: { id: 'r-ok', executed: true } });
    for (const id of ['r-py-fail', 'r-started', 'never-sent']) {
      expect((await call(handler, `/tasks/${id}/done`)).body).toEqual({ task: { id, executed: false } });
    }
  });

  it('registered tasks: the declared names, periodic when an enabled periodic task sends them', async () => {
    expect((await call(handler, '/tasks')).body).toEqual({ regular: ['tasks.cleanup'], periodic: ['tasks.add', 'tasks.report'] });
    const undeclared = createHandler({ database: db });
    expect((await call(undeclared, '/tasks')).body).toEqual({ regular: [], periodic: ['tasks.add', 'tasks.report'] });
  });

  it('config tells the page what it may do', async () => {
    expect((await call(handler, '/api/config')).body).toMatchObject({ readOnly: false, canRun: true, apply: [] });
    expect((await call(readOnly, '/api/config')).body).toMatchObject({ readOnly: true, canRun: false });
    expect((await call(handler, '/api/token', { method: 'POST', headers: auth })).status).toBe(204);
    expect((await call(handler, '/api/token', { method: 'POST' })).status).toBe(401);
    expect((await call(readOnly, '/api/token', { method: 'POST', headers: auth })).status).toBe(403);
  });

  it('workers: online within 2 × heartbeat freq (+ the camera delay) of the last heartbeat, offline after, or after worker-offline', async () => {
    const { body } = await call(handler, '/api/workers');
    expect(body.items).toEqual([
      { hostname: 'w-offline@host', lastHeartbeat: null, online: false },
      { hostname: 'w-online@host', lastHeartbeat: ago(1).toISOString(), online: true },
      { hostname: 'w-stale@host', lastHeartbeat: ago(60).toISOString(), online: false },
    ]);
    expect(body.now).toBe(new Date(NOW).toISOString());
  });

  it('tasks: newest first, hidden rows left out, filtered by state, name and worker', async () => {
    const ids = async (query: string) => (await call(handler, `/api/tasks${query}`)).body.items.map((t: { taskId: string }) => t.taskId);
    expect(await ids('')).toEqual(['t7', 't6', 't5', 't4', 't3', 't2', 't1']);
    expect(await ids('?state=FAILURE')).toEqual(['t5', 't2']);
    expect(await ids('?name=tasks.mul')).toEqual(['t5', 't3']);
    expect(await ids('?worker=w-online%40host')).toEqual(['t6', 't5', 't2', 't1']);
    expect(await ids('?state=SUCCESS&name=tasks.add&worker=w-online%40host')).toEqual(['t6', 't1']);
    expect(await ids('?worker=nobody')).toEqual([]);
    const first = (await call(handler, '/api/tasks?limit=1')).body.items[0];
    expect(first).toEqual({ taskId: 't7', state: 'RECEIVED', name: 'tasks.add', worker: 'w-offline@host', tstamp: ago(10).toISOString(), runtime: null, retries: 0 });
  });

  it('tasks: pages of 2 by cursor cover every row once, in order', async () => {
    const seen: string[] = [];
    let cursor = '';
    for (let page = 0; page < 10; page++) {
      const { body } = await call(handler, `/api/tasks?limit=2&cursor=${encodeURIComponent(cursor)}`);
      seen.push(...body.items.map((t: { taskId: string }) => t.taskId));
      if (body.next === null) break;
      cursor = body.next;
    }
    expect(seen).toEqual(['t7', 't6', 't5', 't4', 't3', 't2', 't1']);
    expect((await call(handler, '/api/tasks?cursor=x')).status).toBe(400);
  });

  it('a task in full: arguments, result, traceback and runtime as the camera stored them', async () => {
    expect((await call(handler, '/api/tasks/t2')).body).toEqual({
      taskId: 't2',
      state: 'FAILURE',
      name: 'tasks.add',
      worker: 'w-online@host',
      tstamp: ago(60).toISOString(),
      runtime: 0.5,
      retries: 0,
      args: '(2, 3)',
      kwargs: '{}',
      result: "ValueError('<script>alert(1)</script>')",
      traceback: 'Traceback (most recent call last):\nValueError: <script>alert(1)</script>\n',
      eta: null,
      expires: null,
      retryOf: null,
      retriedAs: [],
    });
    expect((await call(handler, '/api/tasks/t-hidden')).status).toBe(404);
    expect((await call(handler, '/api/tasks/nope')).body).toEqual({ error: 'no task "nope"' });
  });

  it('task results: newest first, filtered, paged, and one in full with its runtime', async () => {
    const list = async (query: string) => (await call(handler, `/api/results${query}`)).body;
    expect((await list('')).items.map((r: { taskId: string }) => r.taskId).sort()).toEqual(
      ['r-js-fail', 'r-ok', 'r-py-fail', 'r-retry', 'r-revoked', 'r-started'].sort(),
    );
    expect((await list('?status=FAILURE')).items.map((r: { taskId: string }) => r.taskId).sort()).toEqual(['r-js-fail', 'r-py-fail']);
    expect((await list('?name=tasks.add&status=SUCCESS')).items).toEqual([
      expect.objectContaining({ taskId: 'r-ok', status: 'SUCCESS', name: 'tasks.add', worker: 'w1@host' }),
    ]);
    expect((await list('?worker=w2%40host')).items.map((r: { taskId: string }) => r.taskId)).toEqual(['r-started']);
    const seen: string[] = [];
    let cursor = '';
    do {
      const page = await list(`?limit=4&cursor=${encodeURIComponent(cursor)}`);
      seen.push(...page.items.map((r: { taskId: string }) => r.taskId));
      cursor = page.next ?? '';
    } while (cursor !== '');
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);

    const detail = (await call(handler, '/api/results/r-ok')).body;
    expect(detail).toMatchObject({ taskId: 'r-ok', status: 'SUCCESS', result: { sum: 5 }, args: [2, 3], worker: 'w1@host', children: [] });
    expect(detail.runtime).toBeGreaterThan(11);
    expect((await call(handler, '/api/results/r-started')).body.runtime).toBeNull();
    expect((await call(handler, '/api/results/nope')).status).toBe(404);
  });

  it('periodic tasks: schedule in words and cron form, next run, by name in pages', async () => {
    const { body } = await call(handler, '/api/periodic-tasks');
    expect(body.items.map((p: { name: string }) => p.name)).toEqual(['add often', 'cleanup', 'report nightly']);
    const [often, cleanup, nightly] = body.items;
    expect(nightly).toMatchObject({
      task: 'tasks.report',
      enabled: true,
      kind: 'crontab',
      schedule: 'at 04:30 every day (Europe/Berlin)',
      cron: '30 4 * * *',
      lastRunAt: null,
      totalRunCount: 0,
    });
    expect(Date.parse(nightly.nextRunAt)).toBeGreaterThan(NOW - 60_000);
    expect(often).toMatchObject({ kind: 'interval', schedule: 'every 30 seconds', cron: null });
    expect(cleanup).toMatchObject({ enabled: false, nextRunAt: null, schedule: 'every 5 minutes' });
    const page = (await call(handler, '/api/periodic-tasks?limit=2')).body;
    expect(page.next).toBe('cleanup');
    expect((await call(handler, '/api/periodic-tasks?after=cleanup')).body.items.map((p: { name: string }) => p.name)).toEqual(['report nightly']);
  });

  it('periodic tasks: changes need the token (401), and a read-only monitor refuses them (403)', async () => {
    expect((await call(handler, '/api/periodic-tasks/cleanup/enable', { method: 'POST' })).status).toBe(401);
    expect((await call(readOnly, '/api/periodic-tasks/cleanup/enable', { method: 'POST', headers: auth })).status).toBe(403);
    expect((await call(readOnly, '/api/periodic-tasks', { method: 'POST', headers: auth, json: {} })).status).toBe(403);
    expect((await call(handler, '/api/periodic-tasks/cleanup')).body.enabled).toBe(false);
  });

  it('periodic tasks: enable and disable', async () => {
    expect((await call(handler, '/api/periodic-tasks/cleanup/enable', { method: 'POST', headers: auth })).body).toEqual({
      name: 'cleanup',
      enabled: true,
      changed: true,
    });
    expect((await call(handler, '/api/periodic-tasks/cleanup')).body).toMatchObject({ enabled: true, nextRunAt: expect.any(String) });
    expect((await call(handler, '/api/periodic-tasks/cleanup/disable', { method: 'POST', headers: auth })).body.changed).toBe(true);
    expect((await call(handler, '/api/periodic-tasks/cleanup/disable', { method: 'POST', headers: auth })).body.changed).toBe(false);
    expect((await call(handler, '/api/periodic-tasks/ghost/disable', { method: 'POST', headers: auth })).status).toBe(404);
    // Each change logged once; the disable that changed nothing, and the refusals, are not.
    expect(actions.filter((line) => line.includes('"cleanup"'))).toEqual(['periodic task "cleanup" enabled', 'periodic task "cleanup" disabled']);
  });

  it('periodic tasks: add and edit through the form, with the field named when it is wrong', async () => {
    const form = {
      name: 'weekly',
      task: 'tasks.weekly',
      schedule: { kind: 'crontab', minute: '0', hour: '6', day_of_week: 'mon', timezone: 'America/New_York' },
      args: '[]',
      kwargs: '{"full": true}',
      queue: '',
      description: 'every Monday',
      enabled: true,
      oneOff: false,
    };
    const created = await call(handler, '/api/periodic-tasks', { method: 'POST', headers: auth, json: form });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'weekly', scheduleText: 'at 06:00 on Monday (America/New_York)', cron: '0 6 * * mon', kwargs: '{"full":true}' });

    const refused = async (json: unknown, method = 'POST', path = '/api/periodic-tasks') => {
      const { status, body } = await call(handler, path, { method, headers: auth, json });
      return { status, field: body.field, error: body.error };
    };
    expect(await refused({ ...form, name: 'x', schedule: { ...form.schedule, hour: '25' } })).toMatchObject({
      status: 422,
      field: 'schedule.hour',
      error: expect.stringMatching(/hour "25": must be 0-23/),
    });
    expect(await refused({ ...form, name: 'x', schedule: { ...form.schedule, timezone: 'Mars/Olympus' } })).toMatchObject({
      status: 422,
      field: 'schedule.timezone',
    });
    expect(await refused({ ...form, name: 'x', args: '{"not": "a list"}' })).toMatchObject({ status: 422, field: 'args' });
    expect(await refused({ ...form, name: 'x', task: '' })).toMatchObject({ status: 422, field: 'task' });
    expect(await refused({ ...form, name: 'x', schedule: { kind: 'clocked', clocked: 'tomorrow' } })).toMatchObject({ status: 422, field: 'schedule.clocked' });
    expect(await refused(form)).toMatchObject({ status: 409, field: 'name', error: expect.stringMatching(/exists already/) });

    const edited = await call(handler, '/api/periodic-tasks/weekly', {
      method: 'PUT',
      headers: auth,
      json: { ...form, schedule: { kind: 'interval', every: '2', period: 'hours' }, enabled: false },
    });
    expect(edited.body).toMatchObject({ name: 'weekly', scheduleText: 'every 2 hours', cron: null, enabled: false, nextRunAt: null });
    expect(await refused({ ...form, schedule: { kind: 'interval', every: '0', period: 'hours' } }, 'PUT', '/api/periodic-tasks/weekly')).toMatchObject({
      status: 422,
      field: 'schedule.every',
    });
    expect((await call(handler, '/api/periodic-tasks', { method: 'POST', headers: auth, body: 'nope' })).status).toBe(415);
  });

  it('periodic tasks: run now sends the message beat would send', async () => {
    const { status, body } = await call(handler, '/api/periodic-tasks/add%20often/run', { method: 'POST', headers: auth });
    expect(status).toBe(200);
    const message = publisher.sent.at(-1);
    expect(body).toEqual({ ok: 'true', task_id: message?.id });
    const row = await db.prisma.periodicTask.findUniqueOrThrow({ where: { name: 'add often' }, include: { interval: true, crontab: true, clocked: true } });
    const expected = messageOptionsFor(entryFromRow(row), 'x');
    expect(message?.properties.headers).toMatchObject({ task: expected.task, argsrepr: '[1, 2]', kwargsrepr: "{'z': 3}" });
    expect(message?.routingKey).toBe('adds');
    expect(JSON.parse(message!.content.toString()).slice(0, 2)).toEqual([[1, 2], { z: 3 }]);
    // Run now is not a scheduled run: beat's bookkeeping stays as it was.
    expect(row.totalRunCount).toBe(0);
    expect(actions.at(-1)).toBe(`periodic task "add often" run now: tasks.add[${message?.id}] sent`);
    expect((await call(readOnly, '/api/periodic-tasks/add%20often/run', { method: 'POST', headers: auth })).status).toBe(403);
  });

  it('serves the page, and sends the browser to a trailing slash under a basePath', async () => {
    const page = await handler(new Request('http://monitor/'));
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toMatch(/<script type="module" src="assets\/app.js">/);
    const mounted = createHandler({ database: db, monitor: true, basePath: '/celery' });
    const redirect = await mounted(new Request('http://monitor/celery'));
    expect([redirect.status, redirect.headers.get('location')]).toEqual([308, '/celery/']);
    expect((await mounted(new Request('http://monitor/celery/assets/app.js'))).status).toBe(200);
    expect((await call(handler, '/api/nothing')).status).toBe(404);
    // Without `monitor`, only djcelery's views answer.
    expect((await call(createHandler({ database: db }), '/api/workers')).status).toBe(404);
  });
});

describeEachDatabase(
  'web handler on a database without the tables',
  (testDb) => {
    it('answers 503 and says to migrate, without the database error', async () => {
      const db = await testDb.open();
      const logged: unknown[] = [];
      const handler = createHandler({ database: db, monitor: true, onError: (_, error) => logged.push(error) });
      for (const path of ['/tasks/x/status', '/api/workers', '/api/tasks', '/api/periodic-tasks', '/tasks']) {
        expect(await call(handler, path), path).toEqual({
          status: 503,
          body: { error: 'the database is unavailable or not migrated (prisma-celery migrate deploy); see the server log' },
        });
      }
      expect(logged).toHaveLength(5);
    });
  },
  { migrate: false },
);
