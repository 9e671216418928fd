// A real Beat on each database writes its heartbeat row when it starts,
// again after ticks (no more often than every few seconds), and marks it
// stopped on close; the monitor's /api/beats reads it as alive, then gone.
// A row no beat updates any more goes late, then gone, by the same rule.
// The row also keeps how late the last run beat sent was (/metrics' lag).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { beforeAll, expect, it } from 'vitest';
import type { TaskMessage } from '../../src/core/protocol/index.js';
import type { Database } from '../../src/db/open.js';
import { Beat, HEARTBEAT_EVERY_S, PeriodicTaskStore, type BeatEvent } from '../../src/scheduler/index.js';
import { createHandler, type WebHandler } from '../../src/web/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

// Whatever JSON.parse gives: the answers are checked by value.
type Json = ReturnType<typeof JSON.parse>;

describeEachDatabase('beat heartbeat', (testDb) => {
  let db: Database;
  let clock = new Date();
  let handler: WebHandler;
  const beats = async (): Promise<Json> => (await handler(new Request('http://monitor/api/beats'))).json();

  beforeAll(async () => {
    db = await testDb.open();
    handler = createHandler({ database: db, monitor: true, now: () => clock });
  });

  it('is written at start, kept fresh by ticks at its pace, and marked stopped on close', { timeout: 30_000 }, async () => {
    const sent: TaskMessage[] = [];
    const events: BeatEvent[] = [];
    const beat = new Beat({ database: db, publisher: { publish: async (m) => void sent.push(m) }, maxInterval: 0.2, onEvent: (e) => events.push(e) });
    const startedAt = Date.now();
    await beat.start();
    let closed = false;
    try {
      const [row] = await db.prisma.beatState.findMany({ where: { pid: process.pid, stopped: null } });
      expect(row).toMatchObject({ hostname: hostname(), pid: process.pid, version: VERSION, maxInterval: 0.2, stopped: null });
      expect(row!.lastTick.getTime()).toBeGreaterThanOrEqual(startedAt - 1000);
      clock = new Date();
      const alive = await beats();
      expect(alive.items).toEqual([expect.objectContaining({ hostname: hostname(), pid: process.pid, liveness: 'alive', stopped: null })]);

      // Ticks every 0.2 s write the row once per HEARTBEAT_EVERY_S, not at each tick.
      const firstTick = row!.lastTick.getTime();
      const next = await waitFor(
        'a heartbeat after ticks',
        async () => {
          const fresh = await db.prisma.beatState.findUnique({ where: { beatId: row!.beatId } });
          return fresh !== null && fresh.lastTick.getTime() > firstTick ? fresh : null;
        },
        { timeoutMs: (HEARTBEAT_EVERY_S + 3) * 1000, intervalMs: 100 },
      );
      expect(next.lastTick.getTime() - firstTick).toBeGreaterThanOrEqual(HEARTBEAT_EVERY_S * 1000);

      await beat.close();
      closed = true;
      const stopped = await db.prisma.beatState.findUnique({ where: { beatId: row!.beatId } });
      expect(stopped?.stopped).toBeInstanceOf(Date);
      clock = new Date();
      expect((await beats()).items[0]).toMatchObject({ pid: process.pid, liveness: 'gone', stopped: stopped!.stopped!.toISOString() });
      expect(events.filter((e) => e.type === 'heartbeat-failed')).toEqual([]);
    } finally {
      if (!closed) await beat.close();
    }
  });

  it('shows a beat that stopped writing without a word as late, then gone', async () => {
    const lastTick = new Date(Date.now() - 60_000);
    await db.prisma.beatState.create({
      data: { beatId: 'crashed-beat', hostname: 'elsewhere', pid: 4242, started: lastTick, lastTick, maxInterval: 5, version: '0.0.1' },
    });
    const liveness = async (secondsAfter: number): Promise<string> => {
      clock = new Date(lastTick.getTime() + secondsAfter * 1000);
      const { items } = await beats();
      return (items as { pid: number; liveness: string }[]).find((b) => b.pid === 4242)!.liveness;
    };
    // Its rhythm: a tick at least every 5 s, a row every HEARTBEAT_EVERY_S, a second of slack.
    const due = HEARTBEAT_EVERY_S + 5 + 1;
    expect(await liveness(due - 0.5)).toBe('alive');
    expect(await liveness(due + 0.5)).toBe('late');
    expect(await liveness(3 * due + 0.5)).toBe('gone');
  });

  it('records how late the last run it sent was, from the instant the run was due', { timeout: 30_000 }, async () => {
    const name = 'late by half a minute';
    await new PeriodicTaskStore(db).upsert({ name, task: 'tasks.late', schedule: { every: '60s' } });
    // Last run 90 s ago, every 60 s: due 30 s ago.
    await db.prisma.periodicTask.update({ where: { name }, data: { lastRunAt: new Date(Date.now() - 90_000) } });
    const events: BeatEvent[] = [];
    const beat = new Beat({ database: db, publisher: { publish: async () => {} }, maxInterval: 0.2, onEvent: (e) => events.push(e) });
    await beat.start();
    let sent: BeatEvent | undefined;
    try {
      sent = await waitFor('the late run sent', () => events.find((e) => e.type === 'task-sent' && e.entry === name));
    } finally {
      await beat.close();
    }
    const lateBy = sent?.type === 'task-sent' ? sent.lateBy : undefined;
    expect(lateBy).toBeGreaterThanOrEqual(30);
    expect(lateBy).toBeLessThan(60);
    const [row] = await db.prisma.beatState.findMany({ orderBy: { id: 'desc' }, take: 1 });
    expect(row?.sendLag).toBeCloseTo(lateBy!, 6);
  });
});
