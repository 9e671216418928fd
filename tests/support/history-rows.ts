// Known djcelery_taskstate rows for the monitor's history charts, written
// through the camera's store, and what the charts must show for them at
// HISTORY_NOW: rows on bucket edges, just outside each window, hidden, and
// in every state the charts count.
import type { Database } from '../../src/db/open.js';
import { SnapshotStore, type TaskRow } from '../../src/snapshot/index.js';

/** The clock the handler is given: 12:30:20 UTC, so the hour's window is 11:31 to 12:31. */
export const HISTORY_NOW = new Date('2026-12-07T12:30:20.000Z');

export const historyRow = (taskId: string, state: string, name: string, worker: string, tstamp: string, extra: Partial<TaskRow> = {}): TaskRow => ({
  taskId,
  state,
  name,
  tstamp: new Date(tstamp),
  args: '()',
  kwargs: '{}',
  eta: null,
  expires: null,
  result: null,
  traceback: null,
  runtime: null,
  retries: 0,
  worker,
  ...extra,
});

/** tasks.p: runtimes 1 to 20 s, all in the 12:20 minute. */
const spread = Array.from({ length: 20 }, (_, i) =>
  historyRow(`p-${i + 1}`, 'SUCCESS', 'tasks.p', 'w3@host', `2026-12-07T12:20:${String(i).padStart(2, '0')}.000Z`, { runtime: i + 1 }),
);

export const HISTORY_ROWS: readonly TaskRow[] = [
  historyRow('a1', 'SUCCESS', 'tasks.add', 'w1@host', '2026-12-07T12:30:05.000Z', { runtime: 0.1 }),
  historyRow('a2', 'SUCCESS', 'tasks.add', 'w1@host', '2026-12-07T12:30:59.999Z', { runtime: 0.2 }),
  historyRow('a3', 'SUCCESS', 'tasks.add', 'w2@host', '2026-12-07T12:29:00.000Z', { runtime: 0.3, retries: 2 }),
  historyRow('a4', 'FAILURE', 'tasks.add', 'w2@host', '2026-12-07T12:29:59.999Z', { retries: 1 }),
  historyRow('a5', 'RETRY', 'tasks.flaky', 'w1@host', '2026-12-07T12:00:00.000Z'),
  historyRow('a6', 'RETRY', 'tasks.flaky', 'w1@host', '2026-12-07T11:31:00.000Z', { retries: 3 }),
  // The hour before the window: counted per hour only.
  historyRow('a7', 'SUCCESS', 'tasks.add', 'w2@host', '2026-12-07T11:30:59.999Z', { runtime: 0.4 }),
  // Stamped after the current minute by a fast clock: the hour leaves it out, the week's current hour has it.
  historyRow('a8', 'SUCCESS', 'tasks.add', 'w2@host', '2026-12-07T12:31:00.000Z', { runtime: 0.5 }),
  historyRow('a9', 'STARTED', 'tasks.add', 'w2@host', '2026-12-07T12:15:30.000Z'),
  historyRow('hidden', 'SUCCESS', 'tasks.add', 'w1@host', '2026-12-07T12:10:00.000Z', { runtime: 50 }),
  // First bucket of the week, and just before it.
  historyRow('b1', 'FAILURE', 'tasks.add', 'w2@host', '2026-11-30T13:00:00.000Z'),
  historyRow('b0', 'FAILURE', 'tasks.add', 'w2@host', '2026-11-30T12:59:59.999Z'),
  // One second older than the runtimes' day.
  historyRow('old', 'SUCCESS', 'tasks.p', 'w3@host', '2026-12-06T12:30:19.000Z', { runtime: 999 }),
  ...spread,
];

export async function writeHistoryRows(db: Database): Promise<void> {
  const outcome = await new SnapshotStore(db).write(HISTORY_ROWS, [
    { hostname: 'w1@host', lastHeartbeat: HISTORY_NOW },
    { hostname: 'w2@host', lastHeartbeat: HISTORY_NOW },
    { hostname: 'w3@host', lastHeartbeat: HISTORY_NOW },
  ]);
  if (outcome.error !== null) throw outcome.error;
  await db.prisma.taskState.updateMany({ where: { taskId: 'hidden' }, data: { hidden: true } });
}

/** A zero-filled series with `values` at their indexes. */
export function series(length: number, values: Record<number, number>): number[] {
  const out = new Array<number>(length).fill(0);
  for (const [index, value] of Object.entries(values)) out[Number(index)] = value;
  return out;
}

/** The hour (per minute from 11:31): index 59 is 12:30, 58 is 12:29, 49 is 12:20, 44 is 12:15, 29 is 12:00, 0 is 11:31. */
export const EXPECTED_HOUR = {
  range: 'hour',
  step: 60,
  since: '2026-12-07T11:31:00.000Z',
  until: '2026-12-07T12:31:00.000Z',
  succeeded: series(60, { 59: 2, 58: 1, 49: 20 }),
  failed: series(60, { 58: 1 }),
  retried: series(60, { 0: 4, 29: 1, 58: 3 }),
  states: {
    SUCCESS: series(60, { 59: 2, 58: 1, 49: 20 }),
    FAILURE: series(60, { 58: 1 }),
    RETRY: series(60, { 0: 1, 29: 1 }),
    STARTED: series(60, { 44: 1 }),
  },
};

/** The week (per hour from 2026-11-30 13:00): index 167 is 12:00 today, 166 is 11:00, 143 is 12:00 yesterday. */
export const EXPECTED_WEEK = {
  range: 'week',
  step: 3600,
  since: '2026-11-30T13:00:00.000Z',
  until: '2026-12-07T13:00:00.000Z',
  succeeded: series(168, { 167: 24, 166: 1, 143: 1 }),
  failed: series(168, { 167: 1, 0: 1 }),
  retried: series(168, { 167: 4, 166: 4 }),
  states: {
    SUCCESS: series(168, { 167: 24, 166: 1, 143: 1 }),
    FAILURE: series(168, { 167: 1, 0: 1 }),
    RETRY: series(168, { 167: 1, 166: 1 }),
    STARTED: series(168, { 167: 1 }),
  },
};

/** w1's hour: a1, a2, a5, a6. */
export const EXPECTED_W1_HOUR = {
  ...EXPECTED_HOUR,
  succeeded: series(60, { 59: 2 }),
  failed: series(60, {}),
  retried: series(60, { 0: 4, 29: 1 }),
  states: { SUCCESS: series(60, { 59: 2 }), RETRY: series(60, { 0: 1, 29: 1 }) },
};

/**
 * Runtime percentiles (percentile_cont) over the day before HISTORY_NOW:
 * tasks.add has a1, a3, a7 (0.1, 0.3, 0.4 s; a2 and a8 are stamped after
 * now, the hidden row and `old` are left out); tasks.p has 1 to 20 s.
 */
export const EXPECTED_RUNTIMES = [
  // n = 3: positions 1, 1.9, 1.98.
  { name: 'tasks.add', count: 3, p50: 0.3, p95: 0.39, p99: 0.398 },
  // n = 20: positions 9.5, 18.05, 18.81.
  { name: 'tasks.p', count: 20, p50: 10.5, p95: 19.05, p99: 19.81 },
];
