// The result backend on django-celery-results' tables (layout django), made
// by Django's own migrations on each database after ours (the order in
// which the two coexist): the start-up checks, rows in django-celery-results'
// encoding, groups, expiry, the web views', serve's and cleanup's django layout, and a real Python Celery worker with
// result_backend = 'django-db' on the same tables.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaResultBackend, TaskFailedError } from '../../src/backend/index.js';
import { LayoutTablesError } from '../../src/db/layout.js';
import type { Database } from '../../src/db/open.js';
import { migrateDeploy } from '../../src/migrate/index.js';
import { createHandler } from '../../src/web/index.js';
import { runCliCaptured } from '../support/cli-in-process.js';
import { testBrokerUrl } from '../support/broker.js';
import { describeEachDatabase } from '../support/databases.js';
import { describeWithPythonCelery, PythonWorker } from '../support/python-worker.js';
import { missingServices, PYTHON } from '../support/services.js';

const run = promisify(execFile);
const PYTHON_DIR = fileURLToPath(new URL('../support/python/', import.meta.url));
const TASKS = 'django_celery_results_taskresult';
const GROUPS = 'django_celery_results_groupresult';

/** Runs tests/support/python/django_results.py against `url`'s database; resolves to its JSON lines. */
async function djangoResults(url: string, args: string[], env: Record<string, string> = {}): Promise<Record<string, unknown>[]> {
  const { stdout } = await run(PYTHON, [join(PYTHON_DIR, 'django_results.py'), ...args], {
    env: { ...process.env, ...env, DJANGO_TEST_DATABASE_URL: url, PYTHONPATH: PYTHON_DIR, CELERY_BROKER_URL: testBrokerUrl() },
    timeout: 60_000,
  });
  return stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Python Celery with Django, django-celery-results and the database drivers Django needs. */
const describeWithDjango = missingServices().has('python-django') ? describe.skip : describeWithPythonCelery;

describeEachDatabase('result backend, django layout', (testDb) => describeWithDjango('with a Python worker (result_backend django-db)', () => {
  let db: Database;
  let backend: PrismaResultBackend;
  let worker: PythonWorker;
  let before: unknown;
  let serveBefore: Awaited<ReturnType<typeof runCliCaptured>>;

  beforeAll(async () => {
    // Ours first, on the empty database: deploy refuses one that already holds tables without our history.
    await migrateDeploy(testDb.url);
    before = await new PrismaResultBackend(testDb.url, { layout: 'django' }).start().then(() => undefined, (error: unknown) => error);
    serveBefore = await runCliCaptured(['serve', '--layout', 'django', '--database-url', testDb.url, '--port', '0'], { cwd: process.cwd() });
    // The worker runs Django's migrations before it starts (one Python start instead of two).
    worker = new PythonWorker({ app: 'django_results', events: false, env: { DJANGO_TEST_DATABASE_URL: testDb.url, DJANGO_TEST_MIGRATE: '1' } });
    await worker.start();
    db = await testDb.open();
    backend = new PrismaResultBackend(db, { layout: 'django' });
    await backend.start();
  }, 60_000);
  afterAll(async () => {
    await backend?.close();
    await worker?.stop();
  });

  const rowOf = async (taskId: string) =>
    (await db.sql.query<Record<string, unknown>>(`SELECT * FROM ${TASKS} WHERE task_id = ${db.dialect.param(1)}`, [taskId]))[0];

  it('names every missing table and the Django command that makes them, before the migration ran', () => {
    const line = `missing table ${TASKS}, table ${GROUPS}: run \`python manage.py migrate django_celery_results\` in the Django project (the django layout makes no tables of its own)`;
    expect(before).toBeInstanceOf(LayoutTablesError);
    expect((before as Error).message).toBe(line);
    expect(serveBefore).toEqual({ code: 2, stdout: '', stderr: `prisma-celery: ${line}\n` });
  });

  it('stores rows as django-celery-results does and reads them back', async () => {
    const id = randomUUID();
    await backend.markStarted(id, { name: 'tasks.add', args: [2, 'x\'y'], kwargs: { n: null, ok: true }, worker: 'node@test', queue: 'q', retries: 1 });
    await backend.markSucceeded(id, { sum: 5, list: [1, 'é'] });
    const row = await rowOf(id);
    expect(row).toMatchObject({
      status: 'SUCCESS',
      content_type: 'application/json',
      content_encoding: 'utf-8',
      result: '{"sum":5,"list":[1,"é"]}',
      meta: '{"children": []}',
      task_name: 'tasks.add',
      task_args: JSON.stringify("[2, 'x\\'y']"),
      task_kwargs: JSON.stringify("{'n': None, 'ok': True}"),
      worker: 'node@test',
      traceback: null,
      periodic_task_name: null,
    });
    const record = await backend.getTask(id);
    expect(record).toMatchObject({
      taskId: id, status: 'SUCCESS', result: { sum: 5, list: [1, 'é'] }, children: [], name: 'tasks.add',
      args: "[2, 'x\\'y']", kwargs: "{'n': None, 'ok': True}", worker: 'node@test', queue: null, retries: null, dateStarted: null,
    });
    expect(record?.dateCreated.getTime()).toBeLessThanOrEqual(record?.dateDone.getTime() ?? 0);
    expect(Math.abs((record?.dateDone.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    // A late STARTED does not move it back.
    await backend.markStarted(id);
    expect((await backend.getTaskMeta(id)).status).toBe('SUCCESS');
    await backend.forget(id);
    expect(await backend.getTask(id)).toBeNull();
  });

  it('keeps groups as Celery\'s GroupResult tuple', async () => {
    const groupId = randomUUID();
    await backend.saveGroup(groupId, ['a', 'b']);
    const [row] = await db.sql.query<Record<string, unknown>>(`SELECT * FROM ${GROUPS} WHERE group_id = ${db.dialect.param(1)}`, [groupId]);
    expect(row).toMatchObject({ content_type: 'application/json', content_encoding: 'utf-8' });
    expect(JSON.parse(String(row?.result))).toEqual([[groupId, null], [[['a', null], null], [['b', null], null]]]);
    expect(await backend.restoreGroup(groupId)).toMatchObject({ groupId, taskIds: ['a', 'b'] });
    expect(await backend.deleteGroup(groupId)).toBe(true);
    expect(await backend.restoreGroup(groupId)).toBeNull();
  });

  it('expires finished rows and groups by date_done, keeping unfinished ones', async () => {
    const [done, running, groupId] = [randomUUID(), randomUUID(), randomUUID()];
    await backend.markSucceeded(done, 1);
    await backend.markStarted(running);
    await backend.saveGroup(groupId, [done]);
    const report = await backend.cleanup({ expires: 0 });
    expect(report.tasks.deleted).toBeGreaterThanOrEqual(1);
    expect(report.groups.deleted).toBeGreaterThanOrEqual(1);
    expect(await backend.getTask(done)).toBeNull();
    expect(await backend.restoreGroup(groupId)).toBeNull();
    expect((await backend.getTask(running))?.status).toBe('STARTED');
  });

  it('serves the monitor\'s result list and detail and djcelery\'s status view from Django\'s table', async () => {
    const id = randomUUID();
    await backend.markFailed(id, new RangeError('out of range'), { name: 'tasks.web', worker: 'node@web' });
    const handler = createHandler({ database: db, layout: 'django', monitor: true });
    const get = async (path: string) => (await handler(new Request(`http://monitor${path}`))).json() as Promise<Record<string, unknown>>;
    expect((await get('/api/results?name=tasks.web')).items).toEqual([
      expect.objectContaining({ taskId: id, status: 'FAILURE', name: 'tasks.web', worker: 'node@web', queue: null, retries: null }),
    ]);
    expect(await get(`/api/results/${id}`)).toMatchObject({ taskId: id, result: { exc_type: 'RangeError', exc_message: ['out of range'] } });
    expect(await get(`/tasks/${id}/status`)).toMatchObject({ task: { id, status: 'FAILURE', exc: 'javascript.RangeError' } });
  });

  it('waitFor returns what Python stored, failures with their Python type, and Python reads ours', async () => {
    const [add, fail, ours, oursFailed] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await backend.markSucceeded(ours, { sum: 5, list: [1, 'é'] }, { name: 'node.add', args: [2, 3] });
    await backend.markFailed(oursFailed, new TypeError('bad input'));
    // Waiting before Python stores: the waits must see rows that arrive without any notification.
    const added = backend.waitFor(add, { timeout: 30_000 });
    const failed = backend.waitFor(fail, { timeout: 30_000 }).then(() => undefined, (error: unknown) => error);
    const read = await djangoResults(testDb.url, ['run', JSON.stringify({ send: [['tasks.add', [2, 3], add], ['tasks.fail', ['bad'], fail]], read: [ours, oursFailed] })], {
      TEST_QUEUE: worker.queue,
    });

    expect(await added).toBe(5);
    const error = await failed;
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error).toMatchObject({ state: 'FAILURE', excType: 'ValueError', excModule: 'builtins', excMessage: ['bad'] });
    expect((error as TaskFailedError).traceback).toContain('ValueError: bad');
    expect(await backend.getTask(add)).toMatchObject({ status: 'SUCCESS', name: 'tasks.add', args: '[2, 3]', kwargs: '{}', worker: worker.name });

    expect(read).toEqual([
      { id: ours, status: 'SUCCESS', value: { sum: 5, list: [1, 'é'] }, name: 'node.add', args: '[2, 3]', kwargs: null, worker: null },
      expect.objectContaining({ id: oursFailed, status: 'FAILURE', exc_type: 'TypeError', exc_args: ['bad input'] }),
    ]);
  }, 60_000);

  it('cleanup --layout django expires Django\'s rows, and names the Django command where its tables are missing', async () => {
    const id = randomUUID();
    await backend.markSucceeded(id, 1);
    const cleanup = await runCliCaptured(['cleanup', '--database-url', testDb.url, '--layout', 'django', '--expires', '0'], { cwd: process.cwd() });
    expect(cleanup).toMatchObject({ code: 0, stderr: '' });
    expect(cleanup.stdout).toMatch(/^Expired [1-9]\d* task results? and \d+ groups? done before /);
    expect(await backend.getTask(id)).toBeNull();

    await db.sql.execute(`DROP TABLE ${GROUPS}`);
    const missing = await runCliCaptured(['cleanup', '--database-url', testDb.url, '--layout', 'django'], { cwd: process.cwd() });
    expect(missing).toMatchObject({ code: 2, stdout: '' });
    expect(missing.stderr).toContain(`missing table ${GROUPS}: run \`python manage.py migrate django_celery_results\``);
  });
}), { migrate: false });

describe('result backend layout option', () => {
  it('refuses a layout it does not know, in one line', () => {
    expect(() => new PrismaResultBackend('file:./x.db', { layout: 'celery' as never })).toThrow('layout must be one of djcelery, django, got "celery"');
  });
});
