// Beat through outages, on every database. The database goes away (a TCP
// proxy in front of PostgreSQL or MariaDB drops every connection and
// refuses new ones; for SQLite another connection holds the write lock):
// beat reports the failed tick, probes the database until it answers,
// recovers at once, and then sends each overdue entry once (no burst of the
// runs it missed). The broker goes
// away (a proxy in front of RabbitMQ): runs that could not be sent are given
// back and sent after it returns; none is lost, none is doubled.
import { expect, it } from 'vitest';
import type { TaskMessage } from '../../src/core/protocol/index.js';
import { openDatabase } from '../../src/db/open.js';
import { Beat, describeEvent, PeriodicTaskStore, type BeatEvent } from '../../src/scheduler/index.js';
import { startBeatBehindProxy } from '../support/beat-behind-proxy.js';
import { describeWithBroker } from '../support/broker.js';
import { describeEachDatabase } from '../support/databases.js';
import { databaseOutage } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';


const polling = { timeoutMs: 60_000 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Send {
  entry: string;
  at: number;
}

describeEachDatabase('beat through a database outage', (testDb) => {
  it('probes the database, recovers as soon as it answers, then sends each overdue entry once', { timeout: 180_000 }, async () => {
    const outage = await databaseOutage(testDb);
    const check = await testDb.open();
    const tasks = new PeriodicTaskStore(check);
    const names = ['a', 'b', 'c', 'd'];
    for (const name of names) await tasks.create({ name, task: 'tasks.add', schedule: { every: 1 }, args: [name], startTime: new Date() });

    const db = await openDatabase(outage.url, { sqliteBusyTimeoutMs: 100, poolSize: 2 });
    const sends: Send[] = [];
    const events: (BeatEvent & { seenAt?: number })[] = [];
    const publisher = {
      publish: async (message: TaskMessage) => {
        const [args] = JSON.parse(message.content.toString()) as [string[]];
        sends.push({ entry: args[0] ?? '', at: Date.now() });
        if (process.env.DEBUG_BEAT) console.log(Date.now(), 'publish', args[0], message.id);
      },
    };
    const beat = new Beat({
      database: db,
      publisher,
      maxInterval: 1,
      retry: { minDelay: 0.2, maxDelay: 1 },
      onEvent: (event) => {
        events.push({ ...event, seenAt: Date.now() });
        if (process.env.DEBUG_BEAT) console.log(Date.now(), describeEvent(event));
      },
    });
    await beat.start();
    let cutAt = 0;
    let restoredAt = 0;
    try {
      await waitFor('two runs of each entry', () => names.every((n) => sends.filter((s) => s.entry === n).length >= 2), polling);
      await outage.cut();
      cutAt = Date.now();
      await waitFor('a failed tick', () => events.some((e) => e.type === 'tick-failed'), polling);
      await sleep(3000); // several runs of each entry are missed
      await outage.restore();
      restoredAt = Date.now();
      await waitFor('recovery', () => events.some((e) => e.type === 'recovered'), polling);
      await waitFor('a run of each entry after the outage', () => names.every((n) => sends.some((s) => s.entry === n && s.at > restoredAt)), polling);
      await sleep(1500);
    } finally {
      await outage.restore().catch(() => {});
      await beat.close();
      await db.close();
    }

    const failed = events.filter((e) => e.type === 'tick-failed') as Extract<BeatEvent, { type: 'tick-failed' }>[];
    expect(failed.length).toBeGreaterThan(0);
    // The database did not answer: beat probed it rather than backing off, and ticked as soon as it answered.
    expect(failed[0]).toMatchObject({ databaseDown: true, retryInSeconds: 0.5 });
    const recoveredAt = events.find((e) => e.type === 'recovered')?.seenAt ?? 0;
    expect(recoveredAt - restoredAt).toBeLessThan(2000);
    // Nothing is sent while no run can be claimed (a tick already past its claims when the cut came may finish).
    expect(sends.filter((s) => s.at > cutAt + 1000 && s.at < restoredAt)).toEqual([]);
    for (const name of names) {
      // One catch-up run, then the schedule: no burst of the runs missed. (A
      // send is timed when published; the first claims on fresh connections
      // may take a few hundred ms, so two sends a second apart may be timed closer.)
      const after = sends.filter((s) => s.entry === name && s.at >= recoveredAt - 100).map((s) => s.at);
      expect(after.length, name).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < after.length; i++) expect(after[i]! - after[i - 1]!, name).toBeGreaterThan(500);
    }
    // Every claimed run was sent, and every send was a claimed run.
    const rows = await check.prisma.periodicTask.findMany({ select: { name: true, totalRunCount: true } });
    for (const { name, totalRunCount } of rows) expect(sends.filter((s) => s.entry === name).length, name).toBe(totalRunCount);
  });
});

describeWithBroker('beat through a broker outage', () => {
  describeEachDatabase('runs given back', (testDb) => {
    it('sends every claimed run once the broker is back, and no run twice', { timeout: 120_000 }, async () => {
      const { beat, proxy, events, sent, runs } = await startBeatBehindProxy(testDb);
      try {
        await waitFor('a first send', () => sent() >= 2, polling);
        await proxy.cut();
        await waitFor('a publish that failed and was given back', () => events.some((e) => e.type === 'publish-failed'), polling);
        await proxy.restore();
        const before = sent();
        await waitFor('sends again', () => sent() >= before + 4, polling);
      } finally {
        await proxy.restore().catch(() => {});
        await beat.close();
      }
      expect(events.some((e) => e.type === 'run-lost')).toBe(false);
      expect(sent()).toBe(await runs());
      const failed = events.find((e) => e.type === 'publish-failed');
      expect(failed).toMatchObject({ retryInSeconds: 1 });
    });
  });
});
