// The camera and celery-node's events on a Redis broker, where kombu
// carries events on PUB/SUB channels (/{db}.celeryev/<routing key>): a
// celery-node worker with enableCeleryEvents is seen by the camera, and
// the camera survives the broker going away, as on RabbitMQ
// (camera-node.test.ts, camera-outage.test.ts: the same scenarios).
import { randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, expect, it } from 'vitest';
import { publishChannel } from '../../src/broker/redis/channels.js';
import type { Database } from '../../src/db/open.js';
import { Camera } from '../../src/snapshot/camera/camera.js';
import type { CameraEvent } from '../../src/snapshot/camera/events.js';
import { EventDispatcher, type DispatcherReport } from '../../src/snapshot/node-events/index.js';
import { brokerOutageScenario } from '../support/broker-outage-scenario.js';
import { describeEachDatabase } from '../support/databases.js';
import { nodeWorkerSeenByCamera } from '../support/node-events-scenario.js';
import { describeWithRedis, redisDbPerSuite } from '../support/redis.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

describeWithRedis('camera on Redis', () => {
  const redis = redisDbPerSuite();

  describeEachDatabase('a celery-node worker with Celery events', (testDb) => {
    let db: Database;
    beforeAll(async () => {
      db = await testDb.open();
    });

    it('shows up as a live worker with heartbeats, its tasks with results, then offline', { timeout: 60_000 }, () => nodeWorkerSeenByCamera(db, redis.url));

    it("keeps a celery-node worker's events while Redis is away and publishes them when it is back", { timeout: 60_000 }, async () => {
      const proxy = new TcpProxy('127.0.0.1', 6379);
      const port = await proxy.listen();
      const hostname = `away-${randomBytes(3).toString('hex')}@test`;
      const camera = new Camera({ database: db, brokerUrl: redis.url, freq: 0.1, workerWriteInterval: 0 });
      const reports: DispatcherReport[] = [];
      const dispatcher = new EventDispatcher({
        brokerUrl: `redis://127.0.0.1:${port}/${redis.db}`,
        hostname,
        reconnectInitialDelayMs: 100,
        reconnectMaxDelayMs: 400,
        onReport: (r) => reports.push(r),
      });
      const id = randomUUID();
      await camera.start();
      try {
        await dispatcher.start();
        dispatcher.send('worker-online', []);
        await waitFor('the worker online', () => camera.state.isAlive(hostname));
        await proxy.cut();
        await waitFor('the dispatcher to notice', () => !dispatcher.connected);
        const published = dispatcher.counts.messages;
        dispatcher.send('task-received', [['uuid', id], ['name', 'tasks.add'], ['args', '(1, 1)'], ['kwargs', '{}']]);
        dispatcher.send('task-started', [['uuid', id]]);
        dispatcher.send('task-succeeded', [['uuid', id], ['result', '2']]);
        dispatcher.flush();
        expect(dispatcher.counts.messages).toBe(published);
        await proxy.restore();
        const row = await waitFor('the task stored', async () => {
          const found = await db.prisma.taskState.findUnique({ where: { taskId: id } });
          return found?.state === 'SUCCESS' ? found : null;
        });
        expect(row).toMatchObject({ name: 'tasks.add', args: '(1, 1)', result: '2' });
      } finally {
        await dispatcher.close();
        await camera.close();
        await proxy.cut();
      }
      expect(reports.filter((r) => r.type === 'disconnected')).toHaveLength(1);
      expect(reports).toContainEqual({ type: 'connected', reconnect: true });
      expect(dispatcher.counts.dropped).toBe(0);
    });

    it('reports a message that is no kombu envelope as a decode problem, and goes on', async () => {
      const seen: CameraEvent[] = [];
      const camera = new Camera({ database: db, brokerUrl: redis.url, freq: 0.2, onEvent: (e) => seen.push(e) });
      await camera.start();
      try {
        const channel = publishChannel(redis.db, 'celeryev', 'task.multi');
        await redis.client.publish(channel, 'not json');
        await waitFor('the decode problem', () => seen.find((e) => e.type === 'decode-problem'));
        expect(seen.find((e) => e.type === 'decode-problem')).toMatchObject({ routingKey: channel, problem: { reason: 'malformed-envelope' } });
        expect(camera.brokerConnected).toBe(true);
      } finally {
        await camera.close();
      }
    });

    it('fails to start, with one line, when Redis cannot be reached', async () => {
      const camera = new Camera({ database: db, brokerUrl: 'redis://127.0.0.1:1/0' });
      await expect(camera.start()).rejects.toMatchObject({ code: 'E_SNAPSHOT_BROKER', message: expect.stringMatching(/^cannot consume Celery events: cannot connect to redis:\/\/127\.0\.0\.1:1\/0/) });
    });

    it('reconnects after the connection is cut, listens again within 2 s, and reconciles what it missed', { timeout: 90_000 }, () =>
      brokerOutageScenario(db, redis.url, 6379),
    );
  });
});
