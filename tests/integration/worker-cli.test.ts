// `prisma-celery worker` as a real process with a task module, on AMQP and
// on Redis: real Python Celery sends it tasks and talks to it with its own
// `celery inspect` and `celery control`; results land in a real database.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname as osHostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaResultBackend } from '../../src/backend/backend.js';
import { migrateDeploy } from '../../src/migrate/index.js';
import { testBrokerUrl } from '../support/broker.js';
import { pythonReceiver } from '../support/celery-events.js';
import { TestDatabase } from '../support/databases.js';
import { LOG_LINE } from '../support/log-line.js';
import { celeryCommand, cli, spawnWorker, untilReady, type WorkerProcess } from '../support/node-worker-process.js';
import { selectedProviders } from '../support/providers.js';
import { describeWithPythonCelery, describeWithPythonCeleryOnRedis, PythonWorker } from '../support/python-worker.js';
import { claimRedisDb, type RedisTestDb } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const TASKS = `
export const add = (a, b) => a + b;

export async function sleep(seconds, kwargs, task) {
  await new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, seconds * 1000);
    task.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(task.signal.reason);
    });
  });
  return seconds;
}
`;

const provider = selectedProviders().includes('postgresql') ? 'postgresql' : (selectedProviders()[0] ?? 'sqlite');

function workerSuite(transport: 'amqp' | 'redis', describeIt: typeof describeWithPythonCelery): void {
  describeIt(`prisma-celery worker on ${transport}`, () => {
    const testDb = new TestDatabase(provider);
    const dir = mkdtempSync(join(tmpdir(), 'prisma-celery-worker-'));
    const tag = randomBytes(3).toString('hex');
    const queue = `node-${tag}`;
    const name = `node-${tag}@%h`;
    const node = `node-${tag}@${osHostname()}`;
    let redis: RedisTestDb | null = null;
    let brokerUrl = '';
    let worker: WorkerProcess;
    let backend: PrismaResultBackend;
    let python: PythonWorker;
    let pythonToSecondQueue: PythonWorker;

    const stored = (id: string, status: string) =>
      waitFor(`task ${id} stored ${status}`, async () => {
        const record = await backend.getTask(id);
        return record?.status === status ? record : null;
      }, { timeoutMs: 20_000 });

    beforeAll(async () => {
      if (transport === 'redis') redis = await claimRedisDb();
      brokerUrl = redis?.url ?? testBrokerUrl();
      await testDb.create();
      await migrateDeploy(testDb.url);
      backend = new PrismaResultBackend(testDb.url);
      writeFileSync(join(dir, 'tasks.mjs'), TASKS);
      // Only its client is used: it sends to this queue and revokes, as Python code does.
      python = new PythonWorker({ brokerUrl, queues: queue });
      pythonToSecondQueue = new PythonWorker({ brokerUrl, queues: `${queue}-b` });
      worker = await startWorker();
    }, 120_000);

    const startWorker = async (): Promise<WorkerProcess> => {
      const started = spawnWorker(['--tasks', 'tasks.mjs', '--queues', `${queue},${queue}-b`, '--concurrency', '1', '--hostname', name, '--database-url', testDb.url, '--broker', brokerUrl, '--log-level', 'debug'], dir);
      await untilReady(started);
      return started;
    };

    afterAll(async () => {
      worker?.child.kill('SIGKILL');
      await backend?.close();
      await testDb.drop();
      await redis?.[Symbol.asyncDispose]();
      rmSync(dir, { recursive: true, force: true });
    });

    it.sequential('answers celery inspect ping, registered and stats', { timeout: 60_000 }, async () => {
      expect(await celeryCommand(brokerUrl, 'inspect', ['ping'], node)).toEqual({ [node]: { ok: 'pong' } });
      expect(await celeryCommand(brokerUrl, 'inspect', ['registered'], node)).toEqual({ [node]: ['tasks.add', 'tasks.sleep'] });
      const stats = (await celeryCommand(brokerUrl, 'inspect', ['stats'], node))[node] as Record<string, unknown>;
      expect(stats).toMatchObject({ pid: worker.child.pid, pool: { 'max-concurrency': 1 }, broker: { transport } });
      expect(stats.uptime).toEqual(expect.any(Number));
    });

    it.sequential('executes the tasks Python sends and stores their results', { timeout: 60_000 }, async () => {
      const id = await python.publish('tasks.add', [2, 3]);
      expect(await stored(id, 'SUCCESS')).toMatchObject({ result: 5, name: 'tasks.add', args: [2, 3], worker: node, queue });
      const stats = (await celeryCommand(brokerUrl, 'inspect', ['stats'], node))[node] as { total: Record<string, number> };
      expect(stats.total['tasks.add']).toBeGreaterThanOrEqual(1);
    });

    it.sequential('sends the Celery events Python\'s receiver and State read as a worker\'s', { timeout: 120_000 }, async () => {
      const id = randomUUID();
      const receiver = pythonReceiver(brokerUrl, id, node);
      await receiver.woken();
      await python.publish('tasks.add', [4, 5], { task_id: id });
      const outcome = await receiver.outcome();
      expect(outcome.tasks[id]).toMatchObject({ state: 'SUCCESS', name: 'tasks.add', result: '9', worker: node });
      expect(outcome.workers[node]).toMatchObject({ alive: true, sw_ident: 'celery-node' });
    });

    it.sequential('takes tasks from its second queue, and with a priority (on Redis a list of its own)', { timeout: 60_000 }, async () => {
      const second = await pythonToSecondQueue.publish('tasks.add', [20, 22]);
      const urgent = await python.publish('tasks.add', [1, 2], { priority: 6 });
      expect(await stored(second, 'SUCCESS')).toMatchObject({ result: 42, queue: `${queue}-b` });
      expect(await stored(urgent, 'SUCCESS')).toMatchObject({ result: 3 });
    });

    it.sequential('shows the running task with its args, revokes a queued one and terminates the running one', { timeout: 90_000 }, async () => {
      const running = await python.publish('tasks.sleep', [60]);
      await stored(running, 'STARTED');
      const queued = await python.publish('tasks.add', [1, 1]);
      await waitFor('the queued task to be reserved', async () => {
        const reserved = (await celeryCommand(brokerUrl, 'inspect', ['reserved'], node))[node] as { id: string }[];
        return reserved.some((task) => task.id === queued);
      }, { timeoutMs: 20_000 });
      const active = (await celeryCommand(brokerUrl, 'inspect', ['active'], node))[node];
      expect(active).toEqual([expect.objectContaining({ id: running, name: 'tasks.sleep', args: [60], hostname: node, worker_pid: worker.child.pid })]);

      expect(await celeryCommand(brokerUrl, 'control', ['revoke', queued], node)).toEqual({ [node]: { ok: `tasks ${queued} flagged as revoked` } });
      expect(await stored(queued, 'REVOKED')).toMatchObject({ result: expect.objectContaining({ exc_type: 'TaskRevokedError' }) });

      expect(await celeryCommand(brokerUrl, 'control', ['terminate', 'SIGTERM', running], node)).toEqual({ [node]: { ok: `terminate: ${running}` } });
      await stored(running, 'REVOKED');
      expect(await celeryCommand(brokerUrl, 'inspect', ['active'], node)).toEqual({ [node]: [] });
      expect(worker.output()).toContain(`tasks.sleep[${running}] terminated`);
    });

    it.sequential('takes rate_limit, disable_events and enable_events from celery control, and answers our own inspect', { timeout: 60_000 }, async () => {
      expect(await celeryCommand(brokerUrl, 'control', ['rate_limit', 'tasks.add', '10/m'], node)).toEqual({ [node]: { ok: 'new rate limit set successfully' } });
      expect(await celeryCommand(brokerUrl, 'control', ['rate_limit', 'tasks.nope', '1/s'], node)).toEqual({ [node]: { error: 'unknown task' } });
      expect(await celeryCommand(brokerUrl, 'control', ['disable_events'], node)).toEqual({ [node]: { ok: 'task events disabled' } });
      expect(await celeryCommand(brokerUrl, 'control', ['enable_events'], node)).toEqual({ [node]: { ok: 'task events enabled' } });
      const ours = await cli(['inspect', 'registered', '--json', '--destination', node, '--broker', brokerUrl]);
      expect(JSON.parse(ours)).toEqual({ [node]: ['tasks.add', 'tasks.sleep'] });
    });

    it.sequential('stops on SIGTERM after the running task, with its result stored, in the one log format', { timeout: 60_000 }, async () => {
      const id = await python.publish('tasks.sleep', [2]);
      await stored(id, 'STARTED');
      worker.child.kill('SIGTERM');
      expect(await worker.exited, worker.output()).toBe(0);
      expect(await backend.getTask(id)).toMatchObject({ status: 'SUCCESS', result: 2 });
      for (const line of worker.output().trimEnd().split('\n')) expect(line).toMatch(LOG_LINE);
    });

    it.sequential('exits at once on a second signal, leaving the running task', { timeout: 90_000 }, async () => {
      const again = await startWorker();
      try {
        const id = await python.publish('tasks.sleep', [60]);
        await stored(id, 'STARTED');
        again.child.kill('SIGTERM');
        await waitFor('the graceful stop to begin', () => again.output().includes('SIGTERM: stopping; waiting for 1 running task(s)'));
        again.child.kill('SIGINT');
        expect(await again.exited, again.output()).toBe(130);
        expect(again.output()).toContain('SIGINT again: exiting now, 1 task(s) abandoned');
        expect((await backend.getTask(id))?.status).toBe('STARTED');
      } finally {
        again.child.kill('SIGKILL');
      }
    });

    it.sequential('stops when celery control shutdown asks', { timeout: 90_000 }, async () => {
      const again = await startWorker();
      try {
        // Shutdown has no reply: the command waits out its timeout, 1 s, for none (and fails).
        await celeryCommand(brokerUrl, 'control', ['shutdown'], node, 1).catch(() => ({}));
        expect(await again.exited, again.output()).toBe(0);
        expect(again.output()).toContain('shutdown asked by remote control: Got shutdown from remote');
      } finally {
        again.child.kill('SIGKILL');
      }
    });
  });
}

// The two transports' suites run side by side: they share nothing (a broker,
// a database and queues each) and mostly wait on processes and replies.
// Within one the tests run in order, on one worker.
describe.concurrent('on both transports at once', () => {
  workerSuite('amqp', describeWithPythonCelery);
  workerSuite('redis', describeWithPythonCeleryOnRedis);
});
