// The camera and celery-node's events on a Redis broker, where kombu
// carries events on PUB/SUB channels (/{db}.celeryev/<routing key>): a
// celery-node worker with enableCeleryEvents is seen by the camera, and
// the camera survives the broker going away, as on RabbitMQ
// (camera-node.test.ts, camera-outage.test.ts: the same scenarios).
import { afterAll, beforeAll, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { brokerOutageScenario } from '../support/broker-outage-scenario.js';
import { describeEachDatabase } from '../support/databases.js';
import { nodeWorkerSeenByCamera } from '../support/node-events-scenario.js';
import { claimRedisDb, describeWithRedis, type RedisTestDb } from '../support/redis.js';

describeWithRedis('camera on Redis', () => {
  let redis: RedisTestDb;
  beforeAll(async () => {
    redis = await claimRedisDb();
  });
  afterAll(async () => {
    await redis?.[Symbol.asyncDispose]();
  });

  describeEachDatabase('a celery-node worker with Celery events', (testDb) => {
    let db: Database;
    beforeAll(async () => {
      db = await testDb.open();
    });

    it('shows up as a live worker with heartbeats, its tasks with results, then offline', { timeout: 60_000 }, () => nodeWorkerSeenByCamera(db, redis.url));

    it('reconnects after the connection is cut, listens again within 2 s, and reconciles what it missed', { timeout: 90_000 }, () =>
      brokerOutageScenario(db, redis.url, 6379),
    );
  });
});
