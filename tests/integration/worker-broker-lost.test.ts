// `prisma-celery worker` whose broker goes away under it: celery-node does
// not come back from that (its AMQP connection and its Redis receive loop
// stay dead), so the worker says so in one log line and exits 1, for a
// supervisor to restart it, instead of idling deaf.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateDeploy } from '../../src/migrate/index.js';
import { describeWithBroker, testBrokerUrl } from '../support/broker.js';
import { TestDatabase } from '../support/databases.js';
import { LOG_LINE } from '../support/log-line.js';
import { spawnWorker, untilReady } from '../support/node-worker-process.js';
import { privateRedisMissing, startPrivateRedis } from '../support/private-redis.js';
import { describeWithRedis } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/** Runs a worker on `brokerUrl`, calls `breakBroker` once it is ready, and checks how it ends. */
async function losesItsBroker(brokerUrl: string, breakBroker: () => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'prisma-celery-worker-lost-'));
  const testDb = new TestDatabase('sqlite');
  try {
    await testDb.create();
    await migrateDeploy(testDb.url);
    writeFileSync(join(dir, 'tasks.mjs'), 'export const add = (a, b) => a + b;\n');
    const worker = spawnWorker(['--tasks', 'tasks.mjs', '--queues', `lost-${process.pid}`, '--database-url', testDb.url, '--broker', brokerUrl], dir);
    try {
      await untilReady(worker);
      await breakBroker();
      expect(await worker.exited, worker.output()).toBe(1);
      expect(worker.output()).toMatch(/ ERROR worker +lost the broker/);
      for (const line of worker.output().trimEnd().split('\n')) expect(line).toMatch(LOG_LINE);
    } finally {
      worker.child.kill('SIGKILL');
    }
  } finally {
    await testDb.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

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

(privateRedisMissing() === null ? describeWithRedis : describe.skip)('prisma-celery worker when its Redis dies', () => {
  it('logs the loss and exits 1', { timeout: 90_000 }, async () => {
    await using redis = await startPrivateRedis();
    await losesItsBroker(redis.url(0), () => redis.kill());
  });
});
