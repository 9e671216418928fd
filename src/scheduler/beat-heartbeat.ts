/**
 * Beat's row in djcelery_beatstate: written when beat starts, after a tick
 * at most every HEARTBEAT_EVERY_S, and marked stopped on close, so the
 * monitor can tell a running beat from a late or gone one. A failed write
 * is reported and never stops beat: scheduling matters more than being seen.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { packageVersion } from '../core/package-version.js';
import type { Database } from '../db/open.js';
import { HEARTBEAT_EVERY_S } from './beat-liveness.js';

/** Rows of beats unseen for this long are deleted by the next beat that starts. */
const PRUNE_AFTER_MS = 7 * 24 * 3600_000;

export class BeatHeartbeat {
  readonly #database: Database;
  readonly #maxInterval: number;
  readonly #report: (error: unknown) => void;
  readonly #beatId = randomUUID();
  readonly #started = new Date();
  #lastWrite = 0;
  /** How late the last run sent was, seconds; written with the next heartbeat. */
  #sendLag: number | undefined;

  /** `report` receives every failed write. */
  constructor(database: Database, maxInterval: number, report: (error: unknown) => void) {
    this.#database = database;
    this.#maxInterval = maxInterval;
    this.#report = report;
  }

  get beatId(): string {
    return this.#beatId;
  }

  /** The first row, and the rows of beats long gone pruned. */
  async start(): Promise<void> {
    await this.#write(new Date(), null);
    await this.#attempt(() =>
      this.#database.prisma.beatState.deleteMany({ where: { lastTick: { lt: new Date(Date.now() - PRUNE_AFTER_MS) } } }),
    );
  }

  /** After a tick: a write when the last one is HEARTBEAT_EVERY_S old. */
  async ticked(): Promise<void> {
    const now = new Date();
    if (now.getTime() - this.#lastWrite < HEARTBEAT_EVERY_S * 1000) return;
    await this.#write(now, null);
  }

  /** A run was sent `lateBy` seconds after it was due: kept for the next write (a tick's, at most HEARTBEAT_EVERY_S away). */
  sent(lateBy: number): void {
    this.#sendLag = lateBy;
  }

  async stopped(): Promise<void> {
    const now = new Date();
    await this.#write(now, now);
  }

  async #write(now: Date, stopped: Date | null): Promise<void> {
    // Counted from the attempt: a database that does not answer is asked again only at the next pace.
    this.#lastWrite = now.getTime();
    const version = await packageVersion();
    const row = { lastTick: now, stopped, ...(this.#sendLag === undefined ? {} : { sendLag: this.#sendLag }) };
    // An upsert: the row is made by whichever write first gets through, should the one at start have failed.
    await this.#attempt(() =>
      this.#database.prisma.beatState.upsert({
        where: { beatId: this.#beatId },
        create: { beatId: this.#beatId, hostname: hostname(), pid: process.pid, started: this.#started, maxInterval: this.#maxInterval, version, ...row },
        update: row,
      }),
    );
  }

  async #attempt(write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.#report(error);
    }
  }
}
