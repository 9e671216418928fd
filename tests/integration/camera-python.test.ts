// A real Python Celery 5.2.6 worker started with -E on RabbitMQ: the
// camera's rows end as Celery's State ends them
// (tests/support/python-camera-scenario.ts), on every database at once.
import { beforeAll, describe, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { testBrokerUrl } from '../support/broker.js';
import { allDatabases } from '../support/databases.js';
import { pythonWorkerSeenByCamera } from '../support/python-camera-scenario.js';
import { describeWithPythonCelery } from '../support/python-worker.js';

describeWithPythonCelery('camera and a real Python worker', () => {
  describe('python -E', () => {
    const testDbs = allDatabases();
    let databases: Database[];
    beforeAll(async () => {
      databases = await Promise.all(testDbs.map((testDb) => testDb.open()));
    });

    it(`ends each task in the state and with the fields Celery gives it [${testDbs.map((db) => db.provider).join(', ')}]`, { timeout: 240_000 }, () =>
      pythonWorkerSeenByCamera(databases, testBrokerUrl()),
    );
  });
});
