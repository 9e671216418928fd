/**
 * Whether a beat is alive, late or gone, from its heartbeat row alone: the
 * rule the monitor applies, next to the pace beat writes at.
 */

/** Beat writes its heartbeat at most this often, seconds: one row write per few seconds, whatever its tick rate. */
export const HEARTBEAT_EVERY_S = 5;
/** Slack for the database write and clock skew between beat and the monitor, seconds. */
const GRACE_S = 1;
/** A beat this many heartbeats overdue is taken for gone (crashed, or cut off for that long). */
const LATE_FACTOR = 3;

export type BeatLiveness = 'alive' | 'late' | 'gone';

export interface BeatHeartbeatRow {
  readonly lastTick: Date;
  /** The beat's longest sleep between ticks, seconds. */
  readonly maxInterval: number;
  readonly stopped: Date | null;
}

/**
 * Ticks come at most `maxInterval` apart and the row is written at the
 * first tick HEARTBEAT_EVERY_S after the last write, so a running beat's
 * row is never older than both together (plus a tick's own time): alive
 * within that, late within LATE_FACTOR times that, gone after, or once it
 * said it stopped.
 */
export function beatLiveness(row: BeatHeartbeatRow, now: Date): BeatLiveness {
  if (row.stopped !== null) return 'gone';
  const dueMs = (HEARTBEAT_EVERY_S + row.maxInterval + GRACE_S) * 1000;
  const age = now.getTime() - row.lastTick.getTime();
  if (age <= dueMs) return 'alive';
  return age <= LATE_FACTOR * dueMs ? 'late' : 'gone';
}
