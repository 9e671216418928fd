// The monitor's history routes against each real database: counts per
// minute and per hour, one worker's, and runtime percentiles, all exact for
// known rows; and the same answers from a new handler on a new connection,
// as after a restart.
import { beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { createHandler, type WebHandler } from '../../src/web/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { SnapshotStore } from '../../src/snapshot/index.js';
import { EXPECTED_HOUR, EXPECTED_RUNTIMES, EXPECTED_W1_HOUR, EXPECTED_WEEK, HISTORY_NOW, historyRow, series, writeHistoryRows } from '../support/history-rows.js';

// Whatever JSON.parse gives: the answers are checked by value.
type Json = ReturnType<typeof JSON.parse>;

async function get(handler: WebHandler, path: string): Promise<{ status: number; body: Json }> {
  const response = await handler(new Request(`http://monitor${path}`));
  return { status: response.status, body: await response.json() };
}

const now = HISTORY_NOW.toISOString();

describeEachDatabase('monitor history', (testDb) => {
  let db: Database;
  let handler: WebHandler;

  beforeAll(async () => {
    db = await testDb.open();
    await writeHistoryRows(db);
    handler = createHandler({ database: db, monitor: true, now: () => HISTORY_NOW });
  });

  it('counts per minute over the last hour, zero-filled, on UTC minute edges', async () => {
    expect(await get(handler, '/api/history')).toEqual({ status: 200, body: { ...EXPECTED_HOUR, now } });
    expect((await get(handler, '/api/history?range=hour')).body).toEqual({ ...EXPECTED_HOUR, now });
  });

  it('counts per hour over the last week', async () => {
    expect(await get(handler, '/api/history?range=week')).toEqual({ status: 200, body: { ...EXPECTED_WEEK, now } });
  });

  it("one worker's tasks by state; an unknown worker has none", async () => {
    expect((await get(handler, '/api/history?worker=w1%40host')).body).toEqual({ ...EXPECTED_W1_HOUR, now });
    const unknown = (await get(handler, '/api/history?worker=nobody%40host')).body;
    expect(unknown).toMatchObject({ succeeded: series(60, {}), failed: series(60, {}), retried: series(60, {}), states: {} });
  });

  it('runtime percentiles per task name over the last day', async () => {
    expect(await get(handler, '/api/history/runtimes')).toEqual({
      status: 200,
      body: { since: '2026-12-06T12:30:20.000Z', until: now, sampled: 23, limit: 10_000, items: EXPECTED_RUNTIMES, now },
    });
  });

  it('a range it does not know is a 400 that names the ranges', async () => {
    expect(await get(handler, '/api/history?range=day')).toEqual({ status: 400, body: { error: 'range must be "hour" or "week", got "day"' } });
  });

  it('a new handler on a new connection answers the same: the history is the rows', async () => {
    const restarted = createHandler({ database: await testDb.open(), monitor: true, now: () => HISTORY_NOW });
    for (const path of ['/api/history', '/api/history?range=week', '/api/history/runtimes']) {
      expect((await get(restarted, path)).body).toEqual((await get(handler, path)).body);
    }
  });

  // Last: it adds rows.
  it("the week's finished hours are counted at most every ten minutes; the current hour on every request", async () => {
    let clock = HISTORY_NOW;
    const cached = createHandler({ database: db, monitor: true, now: () => clock });
    const before = (await get(cached, '/api/history?range=week')).body;
    const outcome = await new SnapshotStore(db).write(
      [
        historyRow('late-past', 'SUCCESS', 'tasks.add', 'w1@host', '2026-12-07T11:10:00.000Z'),
        historyRow('late-now', 'SUCCESS', 'tasks.add', 'w1@host', '2026-12-07T12:10:00.000Z'),
      ],
      [],
    );
    expect(outcome.error).toBeNull();
    const after = (await get(cached, '/api/history?range=week')).body;
    expect([after.succeeded[166], after.succeeded[167]]).toEqual([before.succeeded[166], before.succeeded[167] + 1]);
    clock = new Date(HISTORY_NOW.getTime() + 10 * 60_000);
    const later = (await get(cached, '/api/history?range=week')).body;
    expect([later.succeeded[166], later.succeeded[167]]).toEqual([before.succeeded[166] + 1, before.succeeded[167] + 1]);
    // The hour's chart (from 11:41 now) has no cache: 12:10 is its 30th minute.
    expect((await get(cached, '/api/history')).body.succeeded[29]).toBe(1);
  });
});
