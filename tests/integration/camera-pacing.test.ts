// When snapshots start: a whole statement's worth of pending task changes
// is written at once rather than at the next tick (not under maxrate), and
// a cleanup lets snapshots through between its batches instead of holding
// them for its whole run.
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Camera } from '../../src/snapshot/camera/camera.js';
import { SnapshotStore } from '../../src/snapshot/store/snapshot-store.js';
import { describeWithBroker } from '../support/broker.js';
import { privateVhost, type PrivateVhost } from '../e2e/support/vhost.js';
import { countSucceeded } from '../support/broker-outage-scenario.js';
import { publishTasks } from '../support/celery-events.js';
import { describeEachDatabase } from '../support/databases.js';
import { historyRow } from '../support/history-rows.js';
import { waitFor } from '../support/wait.js';

const HOUR = 3600;

describeWithBroker('camera pacing', () => {
  // Its own vhost: another file's events would count towards the statement, and these towards another file's counts.
  let vhost: PrivateVhost;
  beforeAll(() => {
    vhost = privateVhost('pacing');
  });
  afterAll(() => vhost?.drop());

  describeEachDatabase('a full statement of changes', (testDb) => {
    it('is written before the tick', async () => {
      const db = await testDb.open();
      const camera = new Camera({ database: db, brokerUrl: vhost.url, freq: HOUR, rowsPerStatement: 100, reconcileInterval: null, wakeUpWorkers: false });
      const ids = Array.from({ length: 150 }, () => randomUUID());
      await camera.start();
      try {
        await waitFor('the camera to consume', () => camera.brokerConnected);
        await publishTasks(vhost.url, ids, `pacing-${randomBytes(3).toString('hex')}@test`);
        // The tick is an hour away: only the full statement can have started a snapshot.
        await waitFor('a statement of tasks stored', async () => (await countSucceeded(db, ids)) >= 100);
        expect(camera.stats().snapshots).toBeGreaterThanOrEqual(1);
      } finally {
        await camera.close();
      }
      expect(await countSucceeded(db, ids)).toBe(ids.length);
    });

    it('waits for the tick under maxrate', async () => {
      const db = await testDb.open();
      const camera = new Camera({ database: db, brokerUrl: vhost.url, freq: HOUR, maxrate: '1/s', rowsPerStatement: 100, reconcileInterval: null, wakeUpWorkers: false });
      const ids = Array.from({ length: 150 }, () => randomUUID());
      await camera.start();
      try {
        await waitFor('the camera to consume', () => camera.brokerConnected);
        await publishTasks(vhost.url, ids, `pacing-${randomBytes(3).toString('hex')}@test`);
        await waitFor('the tasks pending', () => camera.stats().pendingTasks >= ids.length);
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(camera.stats().snapshots).toBe(0);
        expect(await countSucceeded(db, ids)).toBe(0);
      } finally {
        await camera.close();
      }
      expect(await countSucceeded(db, ids)).toBe(ids.length);
    });
  });
});

describeEachDatabase('camera cleanup beside snapshots', (testDb) => {
  it('lets a snapshot through between its batches', async () => {
    const db = await testDb.open();
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    const expired = Array.from({ length: 200 }, (_, i) =>
      historyRow(`expired-${String(i).padStart(3, '0')}`, 'SUCCESS', 'tasks.add', '', twoDaysAgo.toISOString(), { args: null, kwargs: null, worker: null }),
    );
    expect((await new SnapshotStore(db).write(expired, [])).error).toBeNull();
    // Never started: cleanup() and snapshot() need no broker.
    const camera = new Camera({ database: db, brokerUrl: 'amqp://unused', cleanupBatchSize: 1 });
    const uuid = randomUUID();
    camera.state.apply({ type: 'task-succeeded', uuid, hostname: 'w@pacing', timestamp: Date.now() / 1000, result: '2', runtime: 0.1 });
    const finished: string[] = [];
    const cleanup = camera.cleanup().finally(() => finished.push('cleanup'));
    const snapshot = camera.snapshot().finally(() => finished.push('snapshot'));
    const [result, summary] = await Promise.all([cleanup, snapshot]);
    // Batches of 1 id, doubling up to 16: many statements, and the snapshot came after the first.
    expect(result.statements).toBeGreaterThan(10);
    expect(result.deleted).toBe(expired.length);
    expect(summary.tasksWritten).toBe(1);
    expect(finished).toEqual(['snapshot', 'cleanup']);
    await camera.close();
  });
});
