import type { TaskMessage } from '../core/protocol/task-message.js';
import type { RunToken, StoredRow, Unclaim } from './beat-store.js';

/** A run whose fate is unknown until the database answers again. */
export type Pending =
  /** The claim's answer was lost: it may or may not have been written. */
  | {
      kind: 'claim';
      id: number;
      name: string;
      /** What the claim would have written, and the count it would have left. */
      token: RunToken;
      count: number;
      message: TaskMessage;
      /** last_run_at before the claim, to give the run back if it cannot be sent. */
      previous: RunToken;
    }
  /** The message was not sent and the run could not be given back yet. */
  | {
      kind: 'unclaim';
      id: number;
      name: string;
      token: RunToken;
      count: number;
      previous: RunToken;
      dueAt: Date;
      message: TaskMessage;
      error: unknown;
    }
  /**
   * A claimed run whose message was not confirmed and that can no longer be
   * given back: the row moved on (another beat claimed the next run on top
   * of it). The table counts it, so this beat sends it, until the broker
   * confirms it.
   */
  | {
      kind: 'resend';
      id: number;
      name: string;
      message: TaskMessage;
      error: unknown;
    };

export type PendingClaim = Extract<Pending, { kind: 'claim' }>;
export type PendingResend = Extract<Pending, { kind: 'resend' }>;

/** How to give a pending run back: what the claim wrote, and what was there before. */
export function unclaimOf(pending: Exclude<Pending, PendingResend>, dueAt: Date): Unclaim {
  return {
    id: pending.id,
    claimedToken: pending.token,
    claimedCount: pending.count,
    lastRunToken: pending.previous,
    nextRunAt: pending.kind === 'unclaim' ? pending.dueAt : dueAt,
  };
}

/**
 * What the row, read back, says of a claim whose answer was lost:
 * - took: the row holds the claim and nothing since;
 * - missed: it did not take (the row holds the run before it, or another
 *   beat's claim of the same run, which sent it under the same task id);
 * - unknown: the row went on by more than one run, so the claim may have
 *   taken and another beat claimed the next run on top of it;
 * - gone: the row was deleted.
 */
export function claimOutcome(pending: PendingClaim, stored: StoredRow | null): 'took' | 'missed' | 'unknown' | 'gone' {
  if (stored === null) return 'gone';
  const count = stored.row.totalRunCount;
  if (count === pending.count && sameToken(stored.lastRunToken, pending.token)) return 'took';
  return count > pending.count ? 'unknown' : 'missed';
}

export function sameToken(a: RunToken, b: RunToken): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}
