import type { TaskMessage } from '../core/protocol/task-message.js';
import type { RunToken, Unclaim } from './beat-store.js';

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
      error: unknown;
    };

export function unclaimOf(pending: Extract<Pending, { kind: 'unclaim' }>): Unclaim {
  return {
    id: pending.id,
    claimedToken: pending.token,
    claimedCount: pending.count,
    lastRunToken: pending.previous,
    nextRunAt: pending.dueAt,
  };
}

export function sameToken(a: RunToken, b: RunToken): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return a === b;
}
