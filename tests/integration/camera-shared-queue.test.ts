// Two cameras on one database and one vhost, sharing a named event queue:
// each event goes to one of them (the work is split, not doubled), the
// precedence guard merges the halves of a task each saw, and a camera
// killed with events it had not written leaves them to the other, because
// events are acknowledged only once written. On Redis the option is refused.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as amqp from 'amqplib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import { describeWithBroker } from '../support/broker.js';
import { privateVhost, type PrivateVhost } from '../e2e/support/vhost.js';
import { countSucceeded } from '../support/broker-outage-scenario.js';
import { publishTasks } from '../support/celery-events.js';
import { describeEachDatabase, itWhen } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Messages waiting in the queue (delivered ones, acknowledged or not, are not counted) and its consumers. */
async function queueState(url: string, name: string): Promise<{ messageCount: number; consumerCount: number }> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    return await channel.checkQueue(name);
  } finally {
    await connection.close();
  }
}

it('refuses a shared queue on Redis in one line', async () => {
  const options = { database: {} as never, brokerUrl: 'redis://127.0.0.1:6379/0', sharedQueue: 'cams' };
  expect(() => new Camera(options)).toThrow(ConfigError);
  expect(() => new Camera(options)).toThrow(/needs an AMQP broker/);
});

describeWithBroker('cameras sharing an event queue', () => {
  // Its own vhost: the events of other files' tests would reach the shared queue, and these their cameras.
  let vhost: PrivateVhost;
  beforeAll(() => {
    vhost = privateVhost('shared');
  });
  afterAll(() => vhost?.drop());

  describeEachDatabase('two cameras, one database', (testDb) => {
    it('split the events between them and store every task once, whole', async () => {
      const db = await testDb.open();
      const queue = `cams-${randomBytes(4).toString('hex')}`;
      const options = { database: db, brokerUrl: vhost.url, freq: 0.1, wakeUpWorkers: false, reconcileInterval: null, sharedQueue: queue };
      const a = new Camera(options);
      const b = new Camera(options);
      const hostname = `shared-${randomBytes(3).toString('hex')}@test`;
      const ids = Array.from({ length: 300 }, () => randomUUID());
      await a.start();
      await b.start();
      try {
        await waitFor('both cameras consuming', () => a.brokerConnected && b.brokerConnected);
        // A task's start and end in different messages, so often seen by different cameras.
        await publishTasks(vhost.url, ids, hostname, ['task-received', 'task-started']);
        await publishTasks(vhost.url, ids, hostname, ['task-succeeded']);
        await waitFor('every task stored', async () => (await countSucceeded(db, ids)) === ids.length);
      } finally {
        await a.close();
        await b.close();
      }
      const [sa, sb] = [a.stats(), b.stats()];
      // Split, not doubled: had each camera a queue of its own, each would count every event of ours.
      expect(sa.events).toBeGreaterThan(0);
      expect(sb.events).toBeGreaterThan(0);
      expect(sa.events + sb.events).toBeGreaterThanOrEqual(ids.length * 3);
      expect(Math.max(sa.events, sb.events)).toBeLessThan(ids.length * 3);
      const stored = await db.prisma.taskState.findMany({ where: { taskId: { in: ids } } });
      expect(stored.every((t) => t.state === 'SUCCESS' && t.name === 'tasks.add' && t.result !== null)).toBe(true);
    });

    // What a dead camera leaves is the broker's business, the same whatever the database: one provider says it.
    itWhen(testDb.provider === 'postgresql')(
      'a camera killed before writing leaves its events to the other: nothing is missing',
      async () => {
        const db = await testDb.open();
        const queue = `cams-${randomBytes(4).toString('hex')}`;
        // The doomed camera never snapshots, so it never acknowledges: all it took goes back when it dies.
        const doomed = spawn(
          process.execPath,
          ['--import', 'tsx', 'src/cli/main.ts', 'cam', '--freq', '3600', '--shared-queue', queue, '--database-url', testDb.url, '--broker', vhost.url],
          { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let output = '';
        doomed.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
        const exited = new Promise((resolve) => doomed.on('exit', resolve));
        const survivor = new Camera({ database: db, brokerUrl: vhost.url, freq: 0.1, wakeUpWorkers: false, reconcileInterval: null, sharedQueue: queue });
        const hostname = `killed-${randomBytes(3).toString('hex')}@test`;
        const ids = Array.from({ length: 200 }, () => randomUUID());
        try {
          await waitFor('the doomed camera consuming', () => output.includes('consuming events from'), { timeoutMs: 30_000 });
          await survivor.start();
          await waitFor('both consuming', async () => (await queueState(vhost.url, queue)).consumerCount === 2);
          await publishTasks(vhost.url, ids, hostname);
          await waitFor('every message delivered', async () => (await queueState(vhost.url, queue)).messageCount === 0);
          await waitFor('the survivor idle', async () => survivor.stats().pendingTasks === 0);
          expect(survivor.stats().events).toBeLessThan(ids.length * 3);
          doomed.kill('SIGKILL');
          await exited;
          await waitFor('every task stored by the survivor', async () => (await countSucceeded(db, ids)) === ids.length);
          expect(survivor.stats().events).toBeGreaterThanOrEqual(ids.length * 3);
        } finally {
          doomed.kill('SIGKILL');
          await survivor.close();
        }
      },
      60_000,
    );
  });
});
