// The monitor's remote control against a real Python Celery 5.2.6 worker
// (prefork, one process, -E) on RabbitMQ, with the real camera writing its
// history to each database: the worker in detail (its own stats, active,
// registered and active queues, and what the camera counted), a rate limit
// the worker then reports, its pool grown and shrunk, task events turned
// off and on, and a running task revoked with terminate that ends REVOKED
// in the camera's table. Every action needs the token and is logged; an
// unknown worker and bad options each get one clear line.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Control } from '../../src/control/index.js';
import type { Database } from '../../src/db/open.js';
import { Camera } from '../../src/snapshot/index.js';
import { createHandler, type WebHandler } from '../../src/web/index.js';
import { testBrokerUrl } from '../support/broker.js';
import { describeEachDatabase } from '../support/databases.js';
import { describeWithPythonCelery, PythonWorker } from '../support/python-worker.js';
import { waitFor } from '../support/wait.js';

const TOKEN = 'monitor-control-token-0123456789';
const polling = { intervalMs: 100 };

// Whatever JSON.parse gives: the answers are checked by value.
type Json = ReturnType<typeof JSON.parse>;

async function call(handler: WebHandler, method: string, path: string, body?: unknown, token: string | null = TOKEN): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await handler(new Request(`http://monitor${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }));
  return { status: response.status, body: await response.json() };
}

describeWithPythonCelery('monitor remote control of a Python worker', () => {
  describeEachDatabase('monitor control', (testDb) => {
    let db: Database;
    let camera: Camera;
    let worker: PythonWorker;
    let control: Control;
    let handler: WebHandler;
    const actions: string[] = [];
    const path = (suffix = '') => `/api/workers/${encodeURIComponent(worker.name)}${suffix}`;

    beforeAll(async () => {
      db = await testDb.open();
      camera = new Camera({ database: db, brokerUrl: testBrokerUrl(), freq: 0.2, workerWriteInterval: 0 });
      await camera.start();
      worker = new PythonWorker();
      await worker.start();
      control = new Control({ brokerUrl: testBrokerUrl() });
      await control.start();
      handler = createHandler({ database: db, token: TOKEN, control, monitor: { controlTimeout: 2 }, onAction: (line) => actions.push(line) });
    }, 90_000);

    afterAll(async () => {
      await control?.close();
      await worker?.[Symbol.asyncDispose]();
      await camera?.close();
    });

    it('shows a worker in detail: its own answers and what the camera counted', { timeout: 60_000 }, async () => {
      const ids = [await worker.publish('tasks.add', [2, 3]), await worker.publish('tasks.add', [4, 5]), await worker.publish('tasks.fail', ['no'])];
      await waitFor('the camera to store the three tasks finished', async () => (await db.prisma.taskState.count({ where: { taskId: { in: ids }, state: { in: ['SUCCESS', 'FAILURE'] } } })) === 3, polling);
      const { status, body } = await call(handler, 'GET', path());
      expect(status).toBe(200);
      expect(body).toMatchObject({ hostname: worker.name, processed: 3, failed: 1, seenByCamera: true, error: null });
      expect(body.lastHeartbeat).not.toBeNull();
      expect(body.inspect.stats).toMatchObject({ pid: expect.any(Number), pool: { 'max-concurrency': 1 } });
      expect(body.inspect.registered).toEqual(expect.arrayContaining(['tasks.add', 'tasks.slow']));
      expect(body.inspect.activeQueues.map((queue: { name: string }) => queue.name)).toEqual([worker.queue]);
      expect(body.inspect.active).toEqual([]);
    });

    it('sets a rate limit the worker then reports, and grows and shrinks its pool', { timeout: 60_000 }, async () => {
      expect(await call(handler, 'POST', path('/rate-limit'), { task: 'tasks.add', rate: '10/m' })).toEqual({
        status: 200,
        body: { hostname: worker.name, reply: { ok: 'new rate limit set successfully' } },
      });
      const shown = await control.registered({ destination: worker.name, taskinfoitems: ['rate_limit'] });
      expect(shown.replies[worker.name]).toContain('tasks.add [rate_limit=10/m]');

      const processes = async (): Promise<number> => ((await call(handler, 'GET', path())).body.inspect.stats.pool.processes as unknown[]).length;
      expect((await call(handler, 'POST', path('/pool-grow'))).body.reply).toEqual({ ok: 'pool will grow' });
      await waitFor('a second pool process', async () => (await processes()) === 2, polling);
      expect((await call(handler, 'POST', path('/pool-shrink'), { n: 1 })).body.reply).toEqual({ ok: 'pool will shrink' });
      await waitFor('one pool process again', async () => (await processes()) === 1, polling);
      expect(actions).toEqual([
        `rate limit {"task":"tasks.add","rate":"10/m"} on ${worker.name}: new rate limit set successfully`,
        `pool grow {} on ${worker.name}: pool will grow`,
        `pool shrink {"n":1} on ${worker.name}: pool will shrink`,
      ]);
    });

    it('terminates a running task: the worker kills it and the camera stores it REVOKED', { timeout: 60_000 }, async () => {
      const slow = await worker.publish('tasks.slow', [120]);
      await waitFor('the slow task to be active', async () => (await call(handler, 'GET', path())).body.inspect.active.some((task: { id: string }) => task.id === slow), polling);
      const { status, body } = await call(handler, 'POST', `/api/tasks/${slow}/revoke`, { terminate: true, signal: 'SIGKILL' });
      expect(status).toBe(200);
      // A revoke goes to every worker (nobody knows which one runs the task): other files' workers on the vhost answer too.
      expect(body).toMatchObject({ taskId: slow, terminate: true, signal: 'SIGKILL' });
      expect(body.replies[worker.name]).toEqual({ ok: `terminate: ${slow}` });
      await waitFor('the camera to store it REVOKED', async () => (await db.prisma.taskState.findUnique({ where: { taskId: slow } }))?.state === 'REVOKED', {
        ...polling,
        timeoutMs: 10_000,
      });
      const logged = /^revoke \(terminate, SIGKILL\): task (\S+); \d+ worker\(s\) answered: (.*)$/.exec(actions.at(-1) ?? '');
      expect(logged?.[1]).toBe(slow);
      expect(logged?.[2]?.split(', ')).toContain(worker.name);
    });

    it('turns task events off and on, passing on what the worker answers', async () => {
      // A worker started with -E sends every event group, which Celery 5.2.6
      // answers with "already" both ways: the answers are the worker's own.
      const disabled = await call(handler, 'POST', path('/disable-events'));
      expect(disabled.body.reply).toEqual({ ok: expect.stringMatching(/^task events (already )?disabled$/) });
      const enabled = await call(handler, 'POST', path('/enable-events'));
      expect(enabled.body.reply).toEqual({ ok: expect.stringMatching(/^task events (already )?enabled$/) });
      expect(actions.slice(-2)).toEqual([
        `disable events on ${worker.name}: ${disabled.body.reply.ok}`,
        `enable events on ${worker.name}: ${enabled.body.reply.ok}`,
      ]);
    });

    it('needs the token, and answers an unknown worker and bad options in one line', { timeout: 30_000 }, async () => {
      const before = actions.length;
      expect((await call(handler, 'POST', path('/pool-grow'), undefined, null)).status).toBe(401);
      expect((await call(handler, 'POST', '/api/tasks/x/revoke', { terminate: true }, 'wrong-token-0123456789')).status).toBe(401);
      expect(await call(handler, 'POST', path('/rate-limit'), { task: 'tasks.add', rate: 'fast' })).toEqual({
        status: 400,
        body: { error: 'rate-limit: rate must be like "10/m", "5/s", "100/h", a number per second, or null to lift it; got "fast"' },
      });
      expect((await call(handler, 'POST', path('/pool-grow'), { n: 0 })).body).toEqual({ error: 'n must be a whole number from 1 to 1000, got 0' });
      expect((await call(handler, 'POST', '/api/tasks/x/revoke', { terminate: true, signal: 'SIGNOPE' })).status).toBe(400);
      const started = Date.now();
      expect(await call(handler, 'POST', '/api/workers/nobody%40nowhere/enable-events')).toEqual({
        status: 504,
        body: { error: 'nobody@nowhere did not answer within 2 s (is it running, on this broker?)' },
      });
      expect((await call(handler, 'GET', '/api/workers/nobody%40nowhere')).status).toBe(404);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(actions).toHaveLength(before);
    });
  });
});
