/**
 * Heartbeat writes, throttled per worker (djcelery: at most one worker
 * update a second): a worker row is written when it was never written,
 * when its liveness changed (a heartbeat after worker-offline, or offline
 * after heartbeats), or when `interval` passed since its last write.
 * Otherwise it waits, and the caller keeps it pending so the newest
 * heartbeat still reaches the table once the interval is over. Pure.
 */
import type { WorkerRow } from '../state/rows.js';

export class WorkerWriteThrottle {
  private readonly written = new Map<string, { at: number; online: boolean }>();

  /** `interval` in ms; 0 writes every change. */
  constructor(private readonly interval: number) {}

  /** Splits rows into those to write now and those to keep for later. */
  split(rows: readonly WorkerRow[], now: number): { write: WorkerRow[]; later: WorkerRow[] } {
    const write: WorkerRow[] = [];
    const later: WorkerRow[] = [];
    for (const row of rows) {
      const last = this.written.get(row.hostname);
      const online = row.lastHeartbeat !== null;
      if (last === undefined || last.online !== online || now - last.at >= this.interval) write.push(row);
      else later.push(row);
    }
    return { write, later };
  }

  /** Records rows as stored at `now`. */
  stored(rows: readonly WorkerRow[], now: number): void {
    for (const row of rows) this.written.set(row.hostname, { at: now, online: row.lastHeartbeat !== null });
    // Bounded like the cluster state's workers: forget the oldest records.
    if (this.written.size > 10_000) {
      for (const key of this.written.keys()) {
        this.written.delete(key);
        if (this.written.size <= 5_000) break;
      }
    }
  }
}
