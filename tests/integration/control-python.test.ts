// Remote control of a real Python Celery 5.2.6 worker on RabbitMQ and on
// Redis (tests/support/control-scenario.ts), and `cam --enable-events`
// turning task events on in a worker started without -E. Each broker's two
// workers are started once and serve every database's suite: the database
// only holds what the camera writes, and the worker without -E has its task
// events turned off again before each camera asks.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Control } from '../../src/control/control.js';
import { replyQueueName, REPLY_EXCHANGE } from '../../src/control/pidbox.js';
import type { Database } from '../../src/db/open.js';
import { testBrokerUrl } from '../support/broker.js';
import { cli, pythonWorkerUnderRemoteControl } from '../support/control-scenario.js';
import { describeEachDatabase } from '../support/databases.js';
import { describeWithPythonCelery, describeWithPythonCeleryOnRedis, PythonWorker } from '../support/python-worker.js';
import { redisDbPerSuite } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The two workers of one broker: one with -E for the scenario, one without for `cam --enable-events`. */
function workersPerBroker(brokerUrl: () => string): { withEvents: PythonWorker; withoutEvents: PythonWorker } {
  const workers = { withEvents: undefined as unknown as PythonWorker, withoutEvents: undefined as unknown as PythonWorker };
  beforeAll(async () => {
    workers.withEvents = new PythonWorker({ brokerUrl: brokerUrl() });
    workers.withoutEvents = new PythonWorker({ brokerUrl: brokerUrl(), events: false });
    await Promise.all([workers.withEvents.start(), workers.withoutEvents.start()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([workers.withEvents?.[Symbol.asyncDispose](), workers.withoutEvents?.[Symbol.asyncDispose]()]);
  }, 60_000);
  return workers;
}

// The two brokers' suites run side by side: each has its workers, its
// cameras and its Control. On one broker the databases take turns, as
// they share its workers.
describe.concurrent('on both brokers at once', () => {
  describeWithPythonCelery('remote control of a Python worker on RabbitMQ', () => {
    const workers = workersPerBroker(testBrokerUrl);

    describe.sequential('on each database in turn, on the same workers', () => {
      describeEachDatabase('amqp', (testDb) => {
        let db: Database;
        beforeAll(async () => {
          db = await testDb.open();
        });

        it('pings, inspects, rate-limits and terminates a running task from the API and the CLI', { timeout: 240_000 }, () =>
          pythonWorkerUnderRemoteControl(db, workers.withEvents, testBrokerUrl(), async (control) => {
            const connection = await amqp.connect(testBrokerUrl());
            try {
              const channel = await connection.createConfirmChannel();
              const junk = [
                { body: 'not json', headers: { ticket: 'other-client' } },
                { body: '{"a@h": 1, "b@h": 2}', headers: { ticket: 'other-client' } },
                { body: '{"a@h": 1}', headers: {} },
              ];
              for (const { body, headers } of junk) channel.publish(REPLY_EXCHANGE.name, control.oid, Buffer.from(body), { contentType: 'application/json', headers });
              await channel.waitForConfirms();
              return junk.length;
            } finally {
              await connection.close();
            }
          }),
        );

        it('cam --enable-events makes a worker started without -E send task events', { timeout: 120_000 }, () =>
          camEnablesEvents(db, workers.withoutEvents, testDb.url, testBrokerUrl()));
      });
    });

    it('answers an unknown command, a missing argument and a bad rate with one line', async () => {
      const unknown = await cli('control', 'frob', '--broker', testBrokerUrl());
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toBe(
        'prisma-celery: unknown control command "frob" (use revoke, enable-events, disable-events, rate-limit, shutdown, ping; to read workers\' state use prisma-celery inspect) (see prisma-celery control --help)\n',
      );
      const inspect = await cli('inspect', 'revoked', '--broker', testBrokerUrl());
      expect(inspect.code).toBe(2);
      expect(inspect.stderr.trim().split('\n')).toHaveLength(1);
      expect(inspect.stderr).toContain('unknown inspect command "revoked"');
      const bare = await cli('control', 'revoke', '--terminate', '--broker', testBrokerUrl());
      expect(bare).toMatchObject({ code: 2, stderr: 'prisma-celery: usage: prisma-celery control revoke ID… [--terminate] [--signal SIGKILL] (see prisma-celery control --help)\n' });
      const rate = await cli('control', 'rate-limit', 'tasks.add', 'fast', '--broker', testBrokerUrl());
      expect(rate.code).toBe(2);
      expect(rate.stderr).toContain('rate "fast" is not a rate');
    });
  });

  describeWithPythonCeleryOnRedis('remote control of a Python worker on Redis', () => {
    const redis = redisDbPerSuite();
    const workers = workersPerBroker(() => redis.url);

    describe.sequential('on each database in turn, on the same workers', () => {
      describeEachDatabase('redis', (testDb) => {
        let db: Database;
        beforeAll(async () => {
          db = await testDb.open();
        });

        it('pings, inspects, rate-limits and terminates a running task from the API and the CLI', { timeout: 240_000 }, async () => {
          await pythonWorkerUnderRemoteControl(db, workers.withEvents, redis.url, async (control) => {
            const queue = replyQueueName(control.oid);
            // Not a kombu envelope; an envelope whose body is not JSON; one without a ticket.
            const envelope = (body: string, headers: object) =>
              JSON.stringify({ body: Buffer.from(body).toString('base64'), 'content-encoding': 'utf-8', 'content-type': 'application/json', headers, properties: { body_encoding: 'base64', delivery_tag: 'x' } });
            const junk = ['not an envelope', envelope('not json', { ticket: 'other-client' }), envelope('{"a@h": 1}', {})];
            await redis.client.lpush(queue, ...junk);
            return junk.length;
          });
          // Once closed, the reply queue's binding and lists are gone, as kombu leaves them.
          expect(await redis.client.smembers('_kombu.binding.reply.celery.pidbox')).toEqual([]);
          expect(await redis.client.keys('*.reply.celery.pidbox*')).toEqual([]);
        });

        it('cam --enable-events makes a worker started without -E send task events', { timeout: 120_000 }, () =>
          camEnablesEvents(db, workers.withoutEvents, testDb.url, redis.url));
      });
    });
  });
});

const ENABLED_BY_REMOTE = 'Events of group {task} enabled by remote.';

/**
 * `prisma-celery cam --enable-events` as a process, and a worker started
 * without -E whose task the camera then records. Task events are turned off
 * first: an earlier suite's camera turned them on.
 */
async function camEnablesEvents(db: Database, worker: PythonWorker, databaseUrl: string, brokerUrl: string): Promise<void> {
  {
    await using control = new Control({ brokerUrl });
    await control.start();
    const disabled = await control.disableEvents({ destination: worker.name });
    expect(disabled.replies).toEqual({ [worker.name]: { ok: expect.stringMatching(/^task events (already )?disabled$/) } });
  }
  const enabledBefore = worker.log().split(ENABLED_BY_REMOTE).length;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'cam', '--enable-events', '--freq', '0.2', '--database-url', databaseUrl, '--broker', brokerUrl],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    await waitFor('enable_events answered by the worker', () => new RegExp(`enable_events: answered by .*${worker.name.replace(/[.$]/g, '\\$&')}`).test(output));
    const id = await worker.publish('tasks.add', [20, 22]);
    const row = await waitFor('the task SUCCESS in the camera table', async () => {
      const found = await db.prisma.taskState.findUnique({ where: { taskId: id } });
      return found?.state === 'SUCCESS' ? found : null;
    });
    expect(row).toMatchObject({ name: 'tasks.add', result: '42' });
    // The worker had task events off until this camera asked.
    expect(worker.log().split(ENABLED_BY_REMOTE).length).toBeGreaterThan(enabledBefore);
    child.kill('SIGTERM');
    expect(await exited, output).toBe(0);
  } finally {
    child.kill('SIGKILL');
  }
}
