// A Redis broker that crashes: a private redis-server is SIGKILLed and
// started again. Beat (its Redis with an append-only file, fsync on every
// write, as a broker that must not lose tasks runs) gives back the runs it
// could not push and sends them once Redis is back: every claimed run is in
// the queue exactly once.
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { decodeEnvelope } from '../../src/broker/redis/envelope.js';
import { Beat, describeEvent, PeriodicTaskStore, type BeatEvent } from '../../src/scheduler/index.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import type { CameraEvent } from '../../src/snapshot/camera/events.js';
import { countSucceeded } from '../support/broker-outage-scenario.js';
import { publishTasks } from '../support/celery-events.js';
import { describeEachDatabase } from '../support/databases.js';
import { describeWithPrivateRedis, startPrivateRedis } from '../support/private-redis.js';
import { waitFor } from '../support/wait.js';

const polling = { timeoutMs: 60_000 };

describeWithPrivateRedis('beat through a Redis crash', () => {
  describeEachDatabase('runs given back', (testDb) => {
    it('sends every claimed run once Redis is back, and no run twice', { timeout: 120_000 }, async () => {
      await using redis = await startPrivateRedis({ durable: true });
      const db = await testDb.open();
      const tasks = new PeriodicTaskStore(db);
      const queue = `beat.crash.${randomBytes(4).toString('hex')}`;
      for (const name of ['x', 'y']) {
        await tasks.create({ name, task: 'tasks.add', schedule: { every: 1 }, args: [name], queue, startTime: new Date() });
      }
      const events: BeatEvent[] = [];
      const beat = new Beat({
        database: db,
        brokerUrl: redis.url(3),
        maxInterval: 1,
        onEvent: (e) => {
          events.push(e);
          if (process.env.DEBUG_BEAT) console.log(Date.now(), describeEvent(e));
        },
      });
      const sent = (): number => events.filter((e) => e.type === 'task-sent').length;
      await beat.start();
      try {
        await waitFor('a first send', () => sent() >= 2, polling);
        await redis.kill();
        await waitFor('a publish that failed and was given back', () => events.some((e) => e.type === 'publish-failed'), polling);
        await redis.start();
        const before = sent();
        await waitFor('sends again', () => sent() >= before + 4, polling);
      } finally {
        await beat.close();
      }
      expect(events.some((e) => e.type === 'run-lost')).toBe(false);
      const runs = (await db.prisma.periodicTask.aggregate({ _sum: { totalRunCount: true } }))._sum.totalRunCount ?? 0;
      const client = new Redis(redis.url(3));
      try {
        const ids = (await client.lrange(queue, 0, -1)).map((raw) => String(decodeEnvelope(raw).headers.id));
        expect(ids.length).toBe(runs);
        expect(new Set(ids).size).toBe(runs);
        expect(sent()).toBe(runs);
      } finally {
        client.disconnect();
      }
    });
  });
});

// The camera while its Redis crashes (PUB/SUB keeps nothing: events sent
// meanwhile are gone): with its default backoff it listens again within
// 2 s of Redis answering, says how long it was deaf, and completes from
// celery_taskmeta the task whose end it missed.
describeWithPrivateRedis('the camera through a Redis crash', () => {
  describeEachDatabase('resumes', (testDb) => {
    it('listens again within 2 s of Redis answering, and reconciles what it missed', { timeout: 60_000 }, async () => {
      await using redis = await startPrivateRedis();
      const db = await testDb.open();
      const seen: CameraEvent[] = [];
      const camera = new Camera({ database: db, brokerUrl: redis.url(1), freq: 0.1, onEvent: (e) => seen.push(e) });
      const hostname = `crash-${randomBytes(3).toString('hex')}@test`;
      const missed = randomUUID();
      await camera.start();
      let answeredAt = 0;
      try {
        await waitFor('the camera to listen', () => camera.brokerConnected);
        await publishTasks(redis.url(1), [missed], hostname);
        await waitFor('the task stored', async () => (await countSucceeded(db, [missed])) === 1);
        await db.prisma.taskState.update({ where: { taskId: missed }, data: { state: 'STARTED', result: null } });
        await redis.kill();
        await waitFor('the camera to notice', () => !camera.brokerConnected);
        // The task ends while Redis is down: only the result backend saw it.
        await db.prisma.taskMeta.create({ data: { taskId: missed, status: 'SUCCESS', result: '1', dateDone: new Date() } });
        await new Promise((resolve) => setTimeout(resolve, 3000));
        answeredAt = await redis.start();
        await waitFor('the reconnection', () => seen.some((e) => e.type === 'broker-connected' && e.reconnect), { timeoutMs: 10_000, intervalMs: 20 });
        const back = Date.now();
        expect(back - answeredAt).toBeLessThan(2000);
        await waitFor('the reconciliation', async () => (await db.prisma.taskState.findUnique({ where: { taskId: missed } }))?.state === 'SUCCESS');
      } finally {
        await camera.close();
      }
      const reconnected = seen.find((e) => e.type === 'broker-connected' && e.reconnect);
      expect(reconnected?.type === 'broker-connected' && reconnected.deafMs).toBeGreaterThanOrEqual(3000);
      expect(seen.some((e) => e.type === 'reconciled' && e.tasks >= 1)).toBe(true);
    });
  });
});
