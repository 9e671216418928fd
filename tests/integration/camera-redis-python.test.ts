// Python Celery 5.2.6 and us on a Redis broker: a real worker started with
// `-b redis://… -E` is recorded by the camera with Celery's merge rules
// (tests/support/python-camera-scenario.ts, on every database at once), and Python's own
// EventReceiver reads a celery-node worker's events and wakes it up.
import { beforeAll, describe, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { allDatabases } from '../support/databases.js';
import { nodeWorkerSeenByPython } from '../support/node-events-scenario.js';
import { pythonWorkerSeenByCamera } from '../support/python-camera-scenario.js';
import { describeWithPythonCeleryOnRedis } from '../support/python-worker.js';
import { redisDbPerSuite } from '../support/redis.js';

describeWithPythonCeleryOnRedis('Python Celery on Redis', () => {
  const redis = redisDbPerSuite();

  describe('python -E -b redis://', () => {
    const testDbs = allDatabases();
    let databases: Database[];
    beforeAll(async () => {
      databases = await Promise.all(testDbs.map((testDb) => testDb.open()));
    });

    it(`ends each task in the state and with the fields Celery gives it [${testDbs.map((db) => db.provider).join(', ')}]`, { timeout: 240_000 }, () =>
      pythonWorkerSeenByCamera(databases, redis.url),
    );
  });

  it("reads a celery-node worker's events with Python's celery.events.state.State, woken up by its heartbeat broadcast", { timeout: 120_000 }, () =>
    nodeWorkerSeenByPython(redis.url),
  );
});
