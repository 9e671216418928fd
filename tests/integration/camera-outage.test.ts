// Faults while events keep coming. The database goes away (a TCP proxy in
// front of PostgreSQL or MariaDB that drops every connection and refuses
// new ones; for SQLite another connection holding the write lock): every
// event received meanwhile is kept and written by the first snapshot after
// it comes back. The broker goes away (a proxy in front of RabbitMQ): see
// tests/support/broker-outage-scenario.ts, which camera-redis.test.ts runs
// on Redis.
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/open.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import type { CameraEvent } from '../../src/snapshot/camera/events.js';
import { testBrokerUrl, describeWithBroker } from '../support/broker.js';
import { brokerOutageScenario, countSucceeded } from '../support/broker-outage-scenario.js';
import { publishTasks } from '../support/celery-events.js';
import { describeEachDatabase } from '../support/databases.js';
import { databaseOutage } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';


describeWithBroker('camera faults', () => {
  describeEachDatabase('database outage', (testDb) => {
    it('keeps every event received while the database is away and writes it once it is back', { timeout: 120_000 }, async () => {
      const outage = await databaseOutage(testDb);
      // A short busy timeout, so SQLite's locked snapshots fail fast like refused connections.
      const db = await openDatabase(outage.url, { sqliteBusyTimeoutMs: 100, poolSize: 2 });
      const seen: CameraEvent[] = [];
      const camera = new Camera({ database: db, brokerUrl: testBrokerUrl(), freq: 0.1, onEvent: (e) => seen.push(e) });
      const hostname = `outage-${randomBytes(3).toString('hex')}@test`;
      const before = Array.from({ length: 50 }, () => randomUUID());
      const during = Array.from({ length: 500 }, () => randomUUID());
      const check = await testDb.open();
      await camera.start();
      try {
        await waitFor('the camera to consume', () => camera.brokerConnected);
        await publishTasks(testBrokerUrl(), before, hostname);
        await waitFor('the first tasks stored', async () => (await countSucceeded(check, before)) === before.length);

        await outage.cut();
        try {
          await publishTasks(testBrokerUrl(), during, hostname);
          await waitFor('the events to arrive', () => camera.stats().events >= (before.length + during.length) * 3);
          // MariaDB's pool gives up on a refused connection only after its acquire timeout (~20 s).
          await waitFor('a failed snapshot', () => camera.stats().snapshotFailures >= 1, { timeoutMs: 60_000 });
          expect(camera.stats().pendingTasks).toBeGreaterThanOrEqual(during.length);
        } finally {
          await outage.restore();
        }
        await waitFor('every task stored after the outage', async () => (await countSucceeded(check, during)) === during.length);
      } finally {
        await camera.close();
        await db.close();
      }
      const stats = camera.stats();
      expect(stats).toMatchObject({ rowsRejected: 0, changesDropped: 0, pendingTasks: 0 });
      expect(seen.some((e) => e.type === 'snapshot-failed')).toBe(true);
      const stored = await check.prisma.taskState.findMany({ where: { taskId: { in: during } }, include: { worker: true } });
      expect(stored.every((t) => t.worker?.hostname === hostname && t.name === 'tasks.add' && t.result !== null)).toBe(true);
    });
  });

  describeEachDatabase('broker outage', (testDb) => {
    let db: Database;
    beforeAll(async () => {
      db = await testDb.open();
    });

    it('reconnects with backoff, consumes again and reconciles what it missed', { timeout: 90_000 }, () => brokerOutageScenario(db, testBrokerUrl(), 5672));
  });
});
