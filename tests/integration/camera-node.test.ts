// A celery-node worker with Celery events enabled is seen by monitors: our
// camera stores it as a worker with heartbeats and stores its tasks, and
// Python's own celery.events.state.State (what `celery events` and Flower
// use) reads the same events. The worker also carries the result backend
// instrumentation: the two hooks compose. On RabbitMQ; the same scenarios
// on Redis are in camera-redis.test.ts.
import { beforeAll, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { testBrokerUrl, describeWithBroker } from '../support/broker.js';
import { describeEachDatabase } from '../support/databases.js';
import { nodeWorkerSeenByCamera, nodeWorkerSeenByPython } from '../support/node-events-scenario.js';

describeWithBroker('celery-node worker with Celery events', () => {
  describeEachDatabase('seen by the camera', (testDb) => {
    let db: Database;
    beforeAll(async () => {
      db = await testDb.open();
    });

    it('shows up as a live worker with heartbeats, its tasks with results, then offline', () => nodeWorkerSeenByCamera(db, testBrokerUrl()));
  });

  it("is read by Python's celery.events.state.State, woken up by its heartbeat broadcast", { timeout: 120_000 }, () => nodeWorkerSeenByPython(testBrokerUrl()));
});
