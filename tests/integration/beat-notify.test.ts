// PostgreSQL tells beat of an edit as it commits: the change marker's
// trigger sends one NOTIFY per statement, and a beat whose marker poll is
// a minute apart still holds a raw-SQL edit at once. On every database, a
// scheduler can cut beat's sleep short.
import pg from 'pg';
import { expect, it } from 'vitest';
import type { TaskMessage } from '../../src/core/protocol/index.js';
import { LISTENER_NAME } from '../../src/db/pg-listener.js';
import { Beat, PeriodicTaskStore, type DatabaseScheduler, type Scheduler, type SchedulerContext } from '../../src/scheduler/index.js';
import { describeEachDatabase, itWhen, postgresAdmin } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

describeEachDatabase('beat woken by the database', (testDb) => {
  const postgres = testDb.provider === 'postgresql';

  it('ticks at once when its scheduler wakes it, during a sleep or during a tick', async () => {
    const db = await testDb.open();
    const ticks: number[] = [];
    let wake: (() => void) | undefined;
    let wakeDuringTick = false;
    class Sleepy implements Scheduler {
      constructor(context: SchedulerContext) {
        wake = context.wake;
      }
      async start(): Promise<void> {}
      async tick(): Promise<number> {
        ticks.push(Date.now());
        if (wakeDuringTick) {
          wakeDuringTick = false;
          wake?.();
        }
        return 60; // a minute's sleep, unless woken
      }
      async close(): Promise<void> {}
    }
    const beat = new Beat({ database: db, publisher: { publish: async () => {} }, scheduler: Sleepy, maxInterval: 60 });
    await beat.start();
    try {
      await waitFor('the first tick', () => ticks.length === 1);
      wake?.();
      await waitFor('a tick on the wake', () => ticks.length === 2, { timeoutMs: 10_000 });
      wakeDuringTick = true;
      wake?.();
      await waitFor('a tick on the wake, then one more for the wake during it', () => ticks.length === 4, { timeoutMs: 10_000 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(ticks).toHaveLength(4); // then sleeping again
    } finally {
      await beat.close();
    }
  });

  itWhen(postgres)('one notification per statement that moves the change marker, none for beat\'s claims', async () => {
    const db = await testDb.open();
    const tasks = new PeriodicTaskStore(db);
    for (let i = 0; i < 10; i++) await tasks.create({ name: `n-${i}`, task: 't', schedule: { every: 3600 } });
    const client = new pg.Client({ connectionString: testDb.url });
    await client.connect();
    try {
      const heard: string[] = [];
      client.on('notification', (message) => heard.push(message.channel));
      await client.query('LISTEN prisma_celery_beat');
      await db.prisma.$executeRawUnsafe(`UPDATE djcelery_periodictask SET kwargs = '{"x": 1}' WHERE name LIKE 'n-%'`);
      await waitFor('the notification', () => heard.length > 0);
      await db.prisma.$executeRawUnsafe(`UPDATE djcelery_periodictask SET last_run_at = now(), total_run_count = total_run_count + 1`);
      await client.query('SELECT 1'); // a round trip: anything sent by now has arrived
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(heard).toEqual(['prisma_celery_beat']);
    } finally {
      await client.end();
    }
  });

  itWhen(postgres)('a beat that polls the marker once a minute holds a raw-SQL edit and sends a new task at once', async () => {
    const db = await testDb.open();
    const tasks = new PeriodicTaskStore(db);
    await tasks.create({ name: 'edited', task: 'tasks.echo', schedule: { every: 3600 }, kwargs: { v: 0 } });
    const sent: TaskMessage[] = [];
    const beat = new Beat({ database: db, publisher: { publish: async (m) => void sent.push(m) }, maxInterval: 60, syncInterval: 60 });
    await beat.start();
    try {
      const scheduler = beat.scheduler as DatabaseScheduler;
      await waitFor('beat to listen', () =>
        postgresAdmin(async (c) => (await c.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = $2', [testDb.name, LISTENER_NAME])).rowCount === 1),
      );
      await new Promise((resolve) => setTimeout(resolve, 200)); // past the listener's own start-up check
      await db.prisma.$executeRawUnsafe(`UPDATE djcelery_periodictask SET kwargs = '{"v": 1}' WHERE name = 'edited'`);
      await waitFor('the edit held', () => (scheduler.entryNamed('edited')?.kwargs as { v?: number } | undefined)?.v === 1, { timeoutMs: 10_000, intervalMs: 10 });
      await tasks.create({ name: 'fresh', task: 'tasks.fresh', schedule: { every: 3600 }, startTime: new Date(Date.now() - 1000) });
      await waitFor('the new task sent', () => sent.some((m) => m.properties.headers.task === 'tasks.fresh'), { timeoutMs: 10_000, intervalMs: 10 });
    } finally {
      await beat.close();
    }
  }, 30_000);
});
