// A database that answers, but slower than the events come: another
// session holds a lock on djcelery_taskstate, so snapshots wait instead of
// failing. Past a small cap of pending changes the camera drops what costs
// least (finished tasks it never wrote) and keeps the newest state of the
// tasks it wrote before, so none is left stuck in STARTED; it says the
// database is slow, not down. PostgreSQL and MariaDB only: SQLite is in
// the camera's process, and a write waiting on its lock blocks the event
// loop, so nothing arrives meanwhile to overflow the cap.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import type { CameraEvent } from '../../src/snapshot/camera/events.js';
import { describeWithBroker } from '../support/broker.js';
import { privateVhost, type PrivateVhost } from '../e2e/support/vhost.js';
import { countSucceeded } from '../support/broker-outage-scenario.js';
import { publishTasks } from '../support/celery-events.js';
import { describeEachDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

/** Holds a lock that makes every write to djcelery_taskstate wait, until the returned release is called. */
async function holdTaskTable(db: Database): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const held = db.prisma.$transaction(
    async (tx) => {
      if (db.provider === 'postgresql') await tx.$executeRawUnsafe('LOCK TABLE "djcelery_taskstate" IN EXCLUSIVE MODE');
      // Next-key locks on every row and gap (REPEATABLE READ): inserts and updates wait.
      else await tx.$queryRawUnsafe('SELECT `id` FROM `djcelery_taskstate` FOR UPDATE');
      locked();
      await released;
    },
    { timeout: 60_000, maxWait: 10_000 },
  );
  await Promise.race([isLocked, held]);
  return async () => {
    release();
    await held;
  };
}

describeWithBroker('camera overload', () => {
  // Its own vhost: the drops are counted exactly, and another file's tasks would be dropped too.
  let vhost: PrivateVhost;
  beforeAll(() => {
    vhost = privateVhost('overload');
  });
  afterAll(() => vhost?.drop());

  describeEachDatabase('database slower than the events', (testDb) => {
    it('drops finished tasks it never wrote first, keeps the newest state of those it wrote, and says the database is slow', async () => {
      const db = await testDb.open();
      const locker = await testDb.open();
      const seen: CameraEvent[] = [];
      const camera = new Camera({ database: db, brokerUrl: vhost.url, freq: 0.1, maxPendingTasks: 100, reconcileInterval: null, onEvent: (e) => seen.push(e) });
      const hostname = `overload-${randomBytes(3).toString('hex')}@test`;
      const started = Array.from({ length: 30 }, () => randomUUID());
      const flood = Array.from({ length: 400 }, () => randomUUID());
      await camera.start();
      try {
        await waitFor('the camera to consume', () => camera.brokerConnected);
        await publishTasks(vhost.url, started, hostname, ['task-received', 'task-started']);
        await waitFor('the started tasks stored', async () => (await db.prisma.taskState.count({ where: { taskId: { in: started }, state: 'STARTED' } })) === started.length);

        const release = await holdTaskTable(locker);
        try {
          // The flood overflows the cap. The started tasks' ends then wait, older than the rest of the
          // flood, for a drop larger than the flood's share ahead of them: oldest first would take them.
          await publishTasks(vhost.url, flood.slice(0, 200), hostname);
          await waitFor('changes dropped', () => camera.stats().changesDropped > 0);
          await publishTasks(vhost.url, started, hostname, ['task-succeeded']);
          await publishTasks(vhost.url, flood.slice(200), hostname);
          await waitFor('a second drop', () => seen.filter((e) => e.type === 'changes-dropped').length >= 2);
          expect(camera.stats().oldestPendingMs).toBeGreaterThan(0);
        } finally {
          await release();
        }
        await waitFor('the started tasks finished in the table', async () => (await countSucceeded(db, started)) === started.length);
      } finally {
        await camera.close();
      }
      const drops = seen.flatMap((e) => (e.type === 'changes-dropped' ? [e] : []));
      expect(drops.every((e) => e.cause === 'database-slow')).toBe(true);
      const sum = (key: 'unfinished' | 'unfinishedWritten' | 'finished' | 'finishedWritten') => drops.reduce((n, e) => n + e.dropped[key], 0);
      expect(sum('finishedWritten')).toBe(0);
      expect(sum('finished')).toBe(camera.stats().changesDropped);
      expect(camera.stats().snapshotFailures).toBe(0);
      // What was not dropped is written: the flood's tasks are either stored finished or counted as dropped.
      expect((await countSucceeded(db, flood)) + camera.stats().changesDropped).toBe(flood.length);
    });
  }, { providers: ['postgresql', 'mysql'] });
});
