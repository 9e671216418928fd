/**
 * Beats as they last wrote their heartbeat (djcelery_beatstate), each alive,
 * late or gone by the scheduler's own rule. Read-only.
 */
import type { Database } from '../../db/open.js';
import { beatLiveness, type BeatLiveness } from '../../scheduler/index.js';

/** More beats than any page shows: the most recently seen come first and the list says when it was cut. */
const MAX_BEATS = 200;

export interface BeatView {
  hostname: string;
  pid: number;
  version: string;
  started: string;
  lastTick: string;
  maxInterval: number;
  stopped: string | null;
  liveness: BeatLiveness;
}

export async function listBeats(database: Database, now: Date): Promise<{ items: BeatView[]; truncated: boolean }> {
  const rows = await database.prisma.beatState.findMany({ orderBy: [{ lastTick: 'desc' }, { id: 'desc' }], take: MAX_BEATS + 1 });
  return {
    items: rows.slice(0, MAX_BEATS).map((row) => ({
      hostname: row.hostname,
      pid: row.pid,
      version: row.version,
      started: row.started.toISOString(),
      lastTick: row.lastTick.toISOString(),
      maxInterval: row.maxInterval,
      stopped: row.stopped?.toISOString() ?? null,
      liveness: beatLiveness(row, now),
    })),
    truncated: rows.length > MAX_BEATS,
  };
}
