// `prisma-celery worker` and a broker that will not have it: a queue it
// cannot declare is one line before it starts; a broker that goes away
// under it is one log line and exit 1 (celery-node does not come back from
// that: its AMQP connection and its Redis receive loop stay dead), for a
// supervisor to restart it, instead of idling deaf.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as amqp from 'amqplib';
import { expect, it } from 'vitest';
import { migrateDeploy } from '../../src/migrate/index.js';
import { describeWithBroker, testBrokerUrl } from '../support/broker.js';
import { TestDatabase } from '../support/databases.js';
import { LOG_LINE } from '../support/log-line.js';
import { spawnWorker, untilReady, type WorkerProcess } from '../support/node-worker-process.js';
import { describeWithPrivateRedis, startPrivateRedis } from '../support/private-redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/** Runs `check` on a worker started with a tasks module and a migrated database in a directory of its own. */
async function withWorker(brokerUrl: string, queues: string, check: (worker: WorkerProcess) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'prisma-celery-worker-lost-'));
  const testDb = new TestDatabase('sqlite');
  try {
    await testDb.create();
    await migrateDeploy(testDb.url);
    writeFileSync(join(dir, 'tasks.mjs'), 'export const add = (a, b) => a + b;\n');
    const worker = spawnWorker(['--tasks', 'tasks.mjs', '--queues', queues, '--database-url', testDb.url, '--broker', brokerUrl], dir);
    try {
      await check(worker);
    } finally {
      worker.child.kill('SIGKILL');
    }
  } finally {
    await testDb.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a worker on `brokerUrl`, calls `breakBroker` once it is ready, and checks how it ends. */
async function losesItsBroker(brokerUrl: string, breakBroker: () => Promise<void>): Promise<void> {
  await withWorker(brokerUrl, `lost-${randomBytes(3).toString('hex')}`, async (worker) => {
    await untilReady(worker);
    await breakBroker();
    // Bounded, so a worker that hangs fails here and is still killed below, not left running.
    const exited = await Promise.race([worker.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 30_000))]);
    expect(exited, worker.output()).toBe(1);
    expect(worker.output()).toMatch(/ ERROR worker +lost the broker/);
    for (const line of worker.output().trimEnd().split('\n')) expect(line).toMatch(LOG_LINE);
  });
}

describeWithBroker('prisma-celery worker on a queue it cannot declare', () => {
  it('says so in one line and exits 2', { timeout: 60_000 }, async () => {
    const queue = `prio-${randomBytes(3).toString('hex')}`;
    const connection = await amqp.connect(testBrokerUrl());
    try {
      const channel = await connection.createChannel();
      // As Python declares a queue with task_queue_max_priority.
      await channel.assertQueue(queue, { durable: true, arguments: { 'x-max-priority': 10 } });
      await withWorker(testBrokerUrl(), `ok-${queue},${queue}`, async (worker) => {
        expect(await worker.exited, worker.output()).toBe(2);
        expect(worker.output()).toMatch(new RegExp(`^prisma-celery: the broker refused the worker's queue\\(s\\) ok-${queue}, ${queue}: .*PRECONDITION_FAILED.*: celery-node declares each queue durable and without arguments, [^\\n]+\\n$`));
      });
      await channel.deleteQueue(queue);
      await channel.deleteQueue(`ok-${queue}`);
    } finally {
      await connection.close();
    }
  });
});

describeWithBroker('prisma-celery worker when RabbitMQ goes away', () => {
  it('logs the loss and exits 1', { timeout: 90_000 }, async () => {
    const target = new URL(testBrokerUrl());
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5672));
    target.port = String(await proxy.listen());
    try {
      await losesItsBroker(target.href, () => proxy.cut());
    } finally {
      await proxy.cut();
    }
  });
});

describeWithPrivateRedis('prisma-celery worker when its Redis dies', () => {
  it('logs the loss and exits 1', { timeout: 90_000 }, async () => {
    await using redis = await startPrivateRedis();
    await losesItsBroker(redis.url(0), () => redis.kill());
  });
});
