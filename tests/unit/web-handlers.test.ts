// The web handlers' pure parts and the routes that need no database:
// routing, bodies, the token, the apply allow-list (a recording publisher
// stands in for the broker), the webhook wrapper, exception shapes, paging,
// worker liveness and the periodic-task form.
import { describe, expect, it } from 'vitest';
import type { TaskMessage } from '../../src/core/protocol/index.js';
import { dialectOf } from '../../src/db/dialect.js';
import type { Database } from '../../src/db/open.js';
import { readFields, readJson, readText } from '../../src/web/http/body.js';
import { TokenGuard } from '../../src/web/http/auth.js';
import { errorResponse } from '../../src/web/http/errors.js';
import { Router } from '../../src/web/http/router.js';
import { createHandler, taskWebhook, type WebHandlerOptions } from '../../src/web/index.js';
import { formToInput } from '../../src/web/monitor/periodic-form.js';
import { describeSchedule } from '../../src/web/monitor/periodic-list.js';
import { decodeCursor, encodeCursor, pageSize, toPage } from '../../src/web/monitor/paging.js';
import { isOnline } from '../../src/web/monitor/workers.js';
import { exceptionClassName, exceptionRepr } from '../../src/web/views/exception.js';
import { InvalidTaskIdError } from '../../src/backend/index.js';

const TOKEN = 'a-token-of-at-least-16-chars';
// Routes tested here never reach the database.
const database = { provider: 'sqlite', prisma: {}, dialect: dialectOf('sqlite') } as unknown as Database;

class RecordingPublisher {
  readonly sent: TaskMessage[] = [];
  async publish(message: TaskMessage): Promise<void> {
    this.sent.push(message);
  }
}

const post = (url: string, body?: string, headers: Record<string, string> = {}): Request =>
  new Request(url, { method: 'POST', body, headers });

async function answer(response: Response): Promise<{ status: number; body: unknown }> {
  return { status: response.status, body: await response.json() };
}

describe('apply', () => {
  const handler = (options: Partial<WebHandlerOptions> = {}) => {
    const publisher = new RecordingPublisher();
    return { publisher, handle: createHandler({ database, publisher, token: TOKEN, apply: { allow: ['tasks.add'] }, ...options }) };
  };
  const auth = { authorization: `Bearer ${TOKEN}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const body = (message: TaskMessage | undefined) => JSON.parse(message?.content.toString() ?? 'null') as unknown[];

  it('sends an allowed task with kwargs from the query, answering as djcelery', async () => {
    const { publisher, handle } = handler();
    const { status, body: answered } = await answer(await handle(post('http://x/apply/tasks.add?x=1&y=two', undefined, auth)));
    expect(status).toBe(200);
    expect(answered).toEqual({ ok: 'true', task_id: publisher.sent[0]?.id });
    const [message] = publisher.sent;
    expect(message?.properties.headers).toMatchObject({ task: 'tasks.add', lang: 'py', argsrepr: '()', kwargsrepr: "{'x': '1', 'y': 'two'}" });
    expect(body(message)).toEqual([[], { x: '1', y: 'two' }, { callbacks: null, errbacks: null, chain: null, chord: null }]);
    expect(message?.routingKey).toBe('celery');
  });

  it('takes kwargs from a JSON body, over the query, and from a form', async () => {
    const { publisher, handle } = handler({ apply: { allow: ['tasks.add'], queue: 'web' } });
    await handle(post('http://x/apply/tasks.add?x=1&z=3', '{"x": 10, "y": [1, 2]}', json));
    await handle(post('http://x/apply/tasks.add', 'a=1&b=two', { ...auth, 'content-type': 'application/x-www-form-urlencoded' }));
    expect(publisher.sent.map((m) => body(m)[1])).toEqual([{ x: 10, y: [1, 2], z: '3' }, { a: '1', b: 'two' }]);
    expect(publisher.sent[0]?.routingKey).toBe('web');
  });

  it("takes args, kwargs and apply_async's options from a JSON body, the queue defaulting to the configured one", async () => {
    const now = new Date('2030-01-02T03:04:05Z');
    const { publisher, handle } = handler({ apply: { allow: ['tasks.add'], queue: 'node-tasks' }, now: () => now });
    const sent = await handle(post('http://x/apply/tasks.add?k=q', JSON.stringify({ args: [2, 3], countdown: 10, expires: 60, priority: 5 }), json));
    expect(sent.status).toBe(200);
    await handle(post('http://x/apply/tasks.add', JSON.stringify({ kwargs: { n: 1 }, queue: 'other', eta: '2030-01-02T04:00:00+00:00', expires: '2030-01-03T00:00:00Z' }), json));
    await handle(post('http://x/apply/tasks.add', JSON.stringify({ args: [], routing_key: 'by.key' }), json));
    const [first, second, third] = publisher.sent;
    expect(body(first).slice(0, 2)).toEqual([[2, 3], { k: 'q' }]);
    expect(first).toMatchObject({ exchange: '', routingKey: 'node-tasks', queue: 'node-tasks', properties: { priority: 5, expiration: '60000' } });
    expect(first?.properties.headers).toMatchObject({ eta: '2030-01-02T03:04:15+00:00', expires: '2030-01-02T03:05:05+00:00', argsrepr: '[2, 3]' });
    expect(body(second).slice(0, 2)).toEqual([[], { n: 1 }]);
    expect(second).toMatchObject({ routingKey: 'other', queue: 'other' });
    expect(second?.properties.headers).toMatchObject({ eta: '2030-01-02T04:00:00+00:00', expires: '2030-01-03T00:00:00Z' });
    expect(third).toMatchObject({ exchange: '', routingKey: 'by.key', queue: null });
  });

  it('refuses a call body with unknown fields or values of the wrong kind, naming the field', async () => {
    const { publisher, handle } = handler();
    const refused = async (call: unknown) => answer(await handle(post('http://x/apply/tasks.add', JSON.stringify(call), json)));
    expect(await refused({ args: [1], retries: 3 })).toEqual({
      status: 400,
      body: { error: 'apply: unknown field "retries": send {args, kwargs, queue, routing_key, countdown, eta, expires, priority} as JSON, or keyword arguments only' },
    });
    expect(await refused({ args: null })).toMatchObject({ status: 400, body: { error: 'apply: args must be a JSON list, e.g. [2, 3]' } });
    expect(await refused({ kwargs: [1] })).toMatchObject({ status: 400, body: { error: 'apply: kwargs must be a JSON object, e.g. {"x": 1}' } });
    expect(await refused({ args: [], countdown: '10' })).toMatchObject({ status: 400, body: { error: 'apply: countdown must be seconds, got "10"' } });
    expect(await refused({ args: [], priority: 300 })).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^apply: priority/) } });
    expect(await refused({ args: [], eta: 'soon' })).toMatchObject({ status: 400 });
    expect(await refused({ args: [], queue: 'a', routing_key: 'b' })).toMatchObject({ status: 400 });
    expect(await refused({ args: [], countdown: 5, eta: '2030-01-02T04:00:00Z' })).toMatchObject({ status: 400, body: { error: 'apply: give eta or countdown, not both' } });
    expect(publisher.sent).toEqual([]);
  });

  it('answers 403 for a name outside the allow-list, and sends nothing', async () => {
    const { publisher, handle } = handler();
    const { status, body: answered } = await answer(await handle(post('http://x/apply/tasks.rm_rf', undefined, auth)));
    expect(status).toBe(403);
    expect(answered).toEqual({ error: 'apply: "tasks.rm_rf" is not in the allow-list' });
    expect(publisher.sent).toEqual([]);
  });

  it('is off without an allow-list: every name is 403', async () => {
    const { publisher, handle } = handler({ apply: undefined });
    expect(await answer(await handle(post('http://x/apply/tasks.add', undefined, auth)))).toEqual({
      status: 403,
      body: { error: 'apply: "tasks.add" is not in the allow-list' },
    });
    expect(publisher.sent).toEqual([]);
  });

  it('refuses bodies that are not JSON objects (400), too large (413) or of another type (415)', async () => {
    const { publisher, handle } = handler({ maxBodyBytes: 64 });
    expect(await answer(await handle(post('http://x/apply/tasks.add', '{"x": ', json)))).toMatchObject({
      status: 400,
      body: { error: expect.stringMatching(/^request body is not valid JSON/) },
    });
    expect((await handle(post('http://x/apply/tasks.add', '[1, 2]', json))).status).toBe(400);
    expect((await handle(post('http://x/apply/tasks.add', JSON.stringify({ pad: 'x'.repeat(100) }), json))).status).toBe(413);
    expect((await handle(post('http://x/apply/tasks.add', '<x/>', { ...auth, 'content-type': 'application/xml' }))).status).toBe(415);
    expect(publisher.sent).toEqual([]);
  });

  it('needs POST and the token: 405 for GET, 401 without the token or with another, whatever the name', async () => {
    const { publisher, handle } = handler();
    expect((await handle(new Request('http://x/apply/tasks.add', { headers: auth }))).status).toBe(405);
    expect(await answer(await handle(post('http://x/apply/tasks.add')))).toEqual({
      status: 401,
      body: { error: 'send the token as "Authorization: Bearer <token>"' },
    });
    expect((await handle(post('http://x/apply/tasks.nope'))).status).toBe(401);
    expect(await answer(await handle(post('http://x/apply/tasks.add', undefined, { authorization: 'Bearer not-the-token-at-all' })))).toEqual({
      status: 401,
      body: { error: 'token not accepted' },
    });
    expect((await handle(post('http://x/apply/tasks.add', undefined, auth))).status).toBe(200);
    expect(publisher.sent).toHaveLength(1);
  });

  it("will not serve apply without a token, unless told to open it as djcelery's was, GET included", async () => {
    expect(() => createHandler({ database, apply: { allow: ['tasks.add'] } })).toThrow(/apply sends tasks for whoever asks: set a token/);
    const { publisher, handle } = handler({ token: undefined, apply: { allow: ['tasks.add'], unsafeOpen: true } });
    expect((await handle(new Request('http://x/apply/tasks.add?x=1'))).status).toBe(200);
    expect((await handle(post('http://x/apply/tasks.add', '{"x": 2}', { 'content-type': 'application/json' }))).status).toBe(200);
    expect(publisher.sent.map((m) => body(m)[1])).toEqual([{ x: '1' }, { x: 2 }]);
    // Open, but with a token set, the token is still required.
    const guarded = handler({ apply: { allow: ['tasks.add'], unsafeOpen: true } });
    expect((await guarded.handle(new Request('http://x/apply/tasks.add'))).status).toBe(401);
    expect((await guarded.handle(new Request('http://x/apply/tasks.add', { headers: auth }))).status).toBe(200);
  });

  it('answers 503 when there is no publisher, and 502 when the broker refuses', async () => {
    const none = createHandler({ database, token: TOKEN, apply: { allow: ['tasks.add'] } });
    expect((await none(post('http://x/apply/tasks.add', undefined, auth))).status).toBe(503);
    const { BrokerError } = await import('../../src/broker/amqp/index.js');
    const failing = createHandler({
      database,
      token: TOKEN,
      apply: { allow: ['tasks.add'] },
      publisher: { publish: () => Promise.reject(new BrokerError('E_PUBLISH_UNCONFIRMED', 'no confirm')) },
    });
    expect(await answer(await failing(post('http://x/apply/tasks.add', undefined, auth)))).toEqual({
      status: 502,
      body: { error: 'the broker did not take the task: no confirm' },
    });
  });

  it('is mounted under basePath, and answers 404 outside it', async () => {
    const { handle } = handler({ basePath: '/celery/' });
    expect((await handle(post('http://x/celery/apply/tasks.add', undefined, auth))).status).toBe(200);
    expect((await handle(post('http://x/apply/tasks.add', undefined, auth))).status).toBe(404);
    expect((await handle(post('http://x/celeryx/apply/tasks.add', undefined, auth))).status).toBe(404);
  });

  it('refuses options it cannot use, at once', () => {
    expect(() => createHandler({ database, token: 'short' })).toThrow(/token must be at least 16 characters/);
    expect(() => createHandler({ database, basePath: 'celery' })).toThrow(/basePath must be a path/);
    expect(() => createHandler({ database, apply: { allow: [''] } })).toThrow(/apply.allow/);
    expect(() => createHandler({ database, token: TOKEN, apply: { allow: ['x'], unsafeOpen: 'yes' as never } })).toThrow(/apply.unsafeOpen/);
    expect(() => createHandler({ database, monitor: { heartbeatFreq: 0 } })).toThrow(/heartbeatFreq must be between/);
  });
});

describe('taskWebhook', () => {
  it('answers {status: success, retval} with what the function returns', async () => {
    const add = taskWebhook((request) => {
      const params = new URL(request.url).searchParams;
      return Number(params.get('x')) + Number(params.get('y'));
    });
    const response = await add(new Request('http://x/add?x=40&y=60'));
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ status: 'success', retval: 100 });
  });

  it('awaits promises and passes extra arguments through', async () => {
    const hook = taskWebhook(async (_request: Request, context: { id: string }) => ({ id: context.id }));
    expect(await (await hook(new Request('http://x/'), { id: 'a' })).json()).toEqual({ status: 'success', retval: { id: 'a' } });
  });

  it('answers {status: failure, reason} when the function throws, or returns what JSON cannot hold', async () => {
    const boom = taskWebhook(() => {
      throw new TypeError("can't add");
    });
    expect(await (await boom(new Request('http://x/'))).json()).toEqual({ status: 'failure', reason: "TypeError('can\\'t add')" });
    const big = taskWebhook(() => 1n);
    expect(await (await big(new Request('http://x/'))).json()).toMatchObject({ status: 'failure', reason: expect.stringMatching(/not JSON/) });
    const nothing = taskWebhook(() => undefined);
    expect(await (await nothing(new Request('http://x/'))).json()).toEqual({ status: 'success', retval: null });
  });
});

describe('task status shapes', () => {
  it('names the exception class with its module, as get_full_cls_name', () => {
    expect(exceptionClassName({ exc_type: 'KeyError', exc_message: ['k'], exc_module: 'builtins' })).toBe('builtins.KeyError');
    expect(exceptionClassName({ exc_type: 'TaskRevokedError', exc_message: [], exc_module: 'celery.exceptions' })).toBe(
      'celery.exceptions.TaskRevokedError',
    );
    expect(exceptionClassName({ exc_type: 'Odd', exc_message: 'x' })).toBe('Odd');
    expect(exceptionClassName('not an exception')).toBe('Exception');
  });

  it("writes the exception's repr as Python would", () => {
    expect(exceptionRepr({ exc_type: 'KeyError', exc_message: ['missing'], exc_module: 'builtins' })).toBe("KeyError('missing')");
    expect(exceptionRepr({ exc_type: 'ValueError', exc_message: [1, "it's"], exc_module: 'builtins' })).toBe("ValueError(1, 'it\\'s')");
    expect(exceptionRepr({ exc_type: 'Boom', exc_message: 'old style', exc_module: null })).toBe("Boom('old style')");
    expect(exceptionRepr({ exc_type: 'Bare', exc_message: [], exc_module: null })).toBe('Bare()');
  });
});

describe('Router', () => {
  const router = new Router()
    .add('GET', '/tasks/:id/status', (_, { id }) => new Response(id))
    .add('POST', '/tasks/:id/status', () => new Response('posted'));
  const path = (url: string) => new URL(url).pathname;

  it('decodes path parameters, and takes a trailing slash', async () => {
    const request = new Request('http://x/tasks/a%2Fb%20c/status/');
    expect(await (await router.dispatch(request, path(request.url)))?.text()).toBe('a/b c');
  });

  it('answers 405 with Allow for a known path and a wrong method, and null for no route', async () => {
    const request = new Request('http://x/tasks/1/status', { method: 'DELETE' });
    const response = await router.dispatch(request, path(request.url));
    expect(response?.status).toBe(405);
    expect(response?.headers.get('allow')).toBe('GET, POST');
    expect(await router.dispatch(new Request('http://x/nope'), '/nope')).toBeNull();
  });

  it('answers 400 for broken percent-encoding', async () => {
    expect((await router.dispatch(new Request('http://x/tasks/%E0%A4%A/status'), '/tasks/%E0%A4%A/status'))?.status).toBe(400);
  });
});

describe('request bodies', () => {
  it('cuts a body off at the cap even without a Content-Length', async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(1024));
        if (pulled > 1000) controller.close();
      },
    });
    const request = new Request('http://x/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
    await expect(readText(request, 4096)).rejects.toMatchObject({ status: 413 });
    expect(pulled).toBeLessThan(10);
  });

  it('refuses a declared Content-Length over the cap before reading', async () => {
    const request = new Request('http://x/', { method: 'POST', body: 'x', headers: { 'content-length': '999999' } });
    await expect(readText(request, 10)).rejects.toMatchObject({ status: 413 });
  });

  it('refuses bytes that are not UTF-8', async () => {
    const request = new Request('http://x/', { method: 'POST', body: new Uint8Array([0xff, 0xfe]) });
    await expect(readText(request, 10)).rejects.toMatchObject({ status: 400 });
  });

  it('reads JSON only when it says it is JSON', async () => {
    await expect(readJson(post('http://x/', '{}'), 100)).rejects.toMatchObject({ status: 415 });
    expect(await readJson(post('http://x/', '{"a":1}', { 'content-type': 'application/json; charset=utf-8' }), 100)).toEqual({ a: 1 });
  });

  it('reads the query and a JSON body without a content type, and refuses other types', async () => {
    const untyped = new Request('http://x/?q=1', { method: 'POST', body: new TextEncoder().encode('{"a": 1}') });
    expect(await readFields(untyped, 100)).toEqual({ query: { q: '1' }, body: { a: 1 }, json: true });
    await expect(readFields(post('http://x/', '{"a": 1}', { 'content-type': 'text/plain' }), 100)).rejects.toMatchObject({ status: 415 });
  });
});

describe('TokenGuard', () => {
  const withAuth = (value: string) => new Request('http://x/', { headers: { authorization: value } });

  it('refuses everything with 403 when no token was configured', () => {
    const guard = new TokenGuard(undefined);
    expect(guard.configured).toBe(false);
    expect(() => guard.check(withAuth(`Bearer ${TOKEN}`))).toThrow(expect.objectContaining({ status: 403 }));
  });

  it('accepts the bearer token, and answers 401 to anything else', () => {
    const guard = new TokenGuard(TOKEN);
    expect(() => guard.check(withAuth(`Bearer ${TOKEN}`))).not.toThrow();
    expect(() => guard.check(withAuth(`bearer   ${TOKEN}`))).not.toThrow();
    for (const wrong of [`Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN, '']) {
      expect(() => guard.check(withAuth(wrong))).toThrow(expect.objectContaining({ status: 401 }));
    }
    // A token that is sent but wrong is told apart from none sent.
    expect(() => guard.check(withAuth(`Bearer ${TOKEN}x`))).toThrow('token not accepted');
    expect(() => guard.check(withAuth(`Basic ${TOKEN}`))).toThrow('send the token as "Authorization: Bearer <token>"');
  });
});

describe('errorResponse', () => {
  const logged: string[] = [];
  const log = (message: string) => void logged.push(message);

  it('answers 400 for a bad task id, 503 for an unreachable or unmigrated database, 500 otherwise, without details', async () => {
    expect((await answer(errorResponse(new InvalidTaskIdError('task id must not be empty'), log))).status).toBe(400);
    const missingTable = Object.assign(new Error('The table `main.celery_taskmeta` does not exist'), { code: 'P2021' });
    expect((await answer(errorResponse(missingTable, log))).status).toBe(503);
    const secret = await answer(errorResponse(new Error('password=hunter2'), log));
    expect(secret).toEqual({ status: 500, body: { error: 'internal error; see the server log' } });
    expect(logged).toEqual(['the database could not answer', 'unexpected error']);
  });
});

describe('paging', () => {
  it('hands out a cursor for the last row shown, only when there is more', () => {
    const rows = [1, 2, 3].map((id) => ({ id, at: new Date(Date.UTC(2026, 0, id)) }));
    const page = toPage(rows, 2, (row) => row, (row) => row.id);
    expect(page.items).toEqual([1, 2]);
    expect(decodeCursor(page.next)).toEqual({ at: rows[1]?.at, id: 2 });
    expect(toPage(rows, 3, (row) => row, (row) => row.id).next).toBeNull();
  });

  it('refuses cursors and sizes it did not give out', () => {
    expect(decodeCursor(null)).toBeNull();
    expect(decodeCursor(encodeCursor({ at: new Date(5), id: 7 }))).toEqual({ at: new Date(5), id: 7 });
    expect(() => decodeCursor('1;DROP TABLE x')).toThrow(expect.objectContaining({ status: 400 }));
    expect(pageSize(null)).toBe(25);
    expect(() => pageSize('1000')).toThrow(/from 1 to 200/);
  });
});

describe('isOnline', () => {
  const liveness = { heartbeatFreq: 2, cameraFreq: 2 };
  const now = new Date('2026-11-29T12:00:00Z');

  it("is Celery's 2 × freq after the last heartbeat, widened by the camera's delay", () => {
    expect(isOnline(new Date(now.getTime() - 5_999), now, liveness)).toBe(true);
    expect(isOnline(new Date(now.getTime() - 6_000), now, liveness)).toBe(false);
    expect(isOnline(new Date(now.getTime() - 12_000), now, { heartbeatFreq: 5, cameraFreq: 3 })).toBe(true);
  });

  it('reads a worker that sent worker-offline (no heartbeat) as offline', () => {
    expect(isOnline(null, now, liveness)).toBe(false);
  });
});

describe('the periodic-task form', () => {
  const base = { name: 'nightly', task: 'tasks.report', args: '[1]', kwargs: '{"a": 2}', queue: '', description: 'd' };

  it('becomes the scheduler input, each kind of schedule', () => {
    expect(formToInput({ ...base, schedule: { kind: 'interval', every: '5', period: 'minutes' }, enabled: false })).toEqual({
      name: 'nightly',
      task: 'tasks.report',
      schedule: { interval: { every: 5, period: 'minutes' } },
      args: [1],
      kwargs: { a: 2 },
      queue: null,
      description: 'd',
      enabled: false,
    });
    expect(formToInput({ ...base, schedule: { kind: 'crontab', minute: '30', hour: '4', timezone: 'Europe/Berlin' } }).schedule).toEqual({
      crontab: { minute: '30', hour: '4', dayOfWeek: '*', dayOfMonth: '*', monthOfYear: '*' },
      timezone: 'Europe/Berlin',
    });
    expect(formToInput({ ...base, schedule: { kind: 'clocked', clocked: '2030-01-01T00:00:00.000Z' } }).schedule).toEqual({
      clocked: '2030-01-01T00:00:00.000Z',
    });
  });

  /** What a refused form answers: the first field at fault, and all of them. */
  const refusalOf = (form: unknown): { field: string; errors: unknown } | null => {
    try {
      formToInput(form);
      return null;
    } catch (error) {
      return (error as { details: { field: string; errors: unknown } }).details;
    }
  };

  it('names the field at fault', () => {
    const fieldOf = (form: unknown): unknown => refusalOf(form)?.field;
    expect(fieldOf({ ...base, args: '[1,', schedule: { kind: 'interval', every: '5', period: 'minutes' } })).toBe('args');
    expect(fieldOf({ ...base, kwargs: '{x}', schedule: { kind: 'interval', every: '5', period: 'minutes' } })).toBe('kwargs');
    expect(fieldOf({ ...base, schedule: { kind: 'interval', every: 'five', period: 'minutes' } })).toBe('schedule.every');
    expect(fieldOf({ ...base, schedule: { kind: 'clocked', clocked: '' } })).toBe('schedule.clocked');
    expect(fieldOf({ ...base, schedule: { kind: 'weekly' } })).toBe('schedule');
    expect(fieldOf({ ...base, name: 7, schedule: { kind: 'interval', every: '5', period: 'minutes' } })).toBe('name');
  });

  it("names every field at fault at once, the form's own checks and the scheduler's", () => {
    const form = {
      ...base,
      task: '',
      kwargs: '{"to": ',
      queue: 'q'.repeat(300),
      schedule: { kind: 'crontab', minute: '61', hour: '25', day_of_week: 'funday', timezone: 'Mars/Base' },
    };
    expect(refusalOf(form)?.errors).toEqual([
      { field: 'kwargs', message: expect.stringMatching(/^kwargs is not valid JSON/) },
      { field: 'task', message: 'task must be a non-empty string' },
      { field: 'schedule.timezone', message: expect.stringMatching(/^unknown time zone "Mars\/Base"/) },
      { field: 'schedule.minute', message: 'crontab minute "61": must be 0-59' },
      { field: 'schedule.hour', message: 'crontab hour "25": must be 0-23' },
      { field: 'schedule.day_of_week', message: expect.stringMatching(/^crontab day_of_week "funday"/) },
      { field: 'queue', message: expect.stringMatching(/queue/) },
    ]);
    expect(refusalOf({ ...base, schedule: { kind: 'interval', every: '5', period: 'minutes' } })).toBeNull();
  });
});

describe('describeSchedule', () => {
  it('gives the words and the cron form of a crontab, and says why a row is unusable', () => {
    expect(describeSchedule({ crontab: { minute: '30', hour: '4', timezone: 'Europe/Berlin' } })).toEqual({
      kind: 'crontab',
      schedule: 'at 04:30 every day (Europe/Berlin)',
      cron: '30 4 * * *',
    });
    expect(describeSchedule({ interval: { every: 5, period: 'minutes' } })).toEqual({ kind: 'interval', schedule: 'every 5 minutes', cron: null });
    expect(describeSchedule({})).toMatchObject({ kind: null, schedule: expect.stringMatching(/^invalid: a periodic task needs exactly one schedule/) });
  });
});
