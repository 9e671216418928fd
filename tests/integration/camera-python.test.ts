// A real Python Celery 5.2.6 worker started with -E on RabbitMQ: the
// camera's rows end as Celery's State ends them
// (tests/support/python-camera-scenario.ts).
import { beforeAll, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { testBrokerUrl } from '../support/broker.js';
import { describeEachDatabase } from '../support/databases.js';
import { pythonWorkerSeenByCamera } from '../support/python-camera-scenario.js';
import { describeWithPythonCelery } from '../support/python-worker.js';

describeWithPythonCelery('camera and a real Python worker', () => {
  describeEachDatabase('python -E', (testDb) => {
    let db: Database;
    beforeAll(async () => {
      db = await testDb.open();
    });

    it('ends each task in the state and with the fields Celery gives it', { timeout: 240_000 }, () => pythonWorkerSeenByCamera(db, testBrokerUrl()));
  });
});
