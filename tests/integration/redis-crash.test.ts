// A Redis broker that crashes: a private redis-server (append-only file,
// fsync on every write, as a broker that must not lose tasks runs) is
// SIGKILLed while beat publishes to it and started again. Beat gives back
// the runs it could not push and sends them once Redis is back: every
// claimed run is in the queue exactly once.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope } from '../../src/broker/redis/envelope.js';
import { Beat, describeEvent, PeriodicTaskStore, type BeatEvent } from '../../src/scheduler/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { privateRedisMissing, startPrivateRedis } from '../support/private-redis.js';
import { describeWithRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const polling = { timeoutMs: 60_000 };
const missing = privateRedisMissing();
if (missing !== null && process.env.CI === 'true') throw new Error(missing);
const describeCrash = missing === null ? describeWithRedis : describe.skip;

describeCrash('beat through a Redis crash', () => {
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
