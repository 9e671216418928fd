/**
 * The week chart's finished hours, kept a while. Counting a week reads
 * every row of the week (1,000,000 rows: seconds); its finished hours
 * hardly change (a row leaves one only when its task changes state again,
 * or cleanup deletes it), so they are counted at most once per `ttlMs`, or
 * when the hour turns, and only the current hour on every request. Pages
 * asking at once share one count. No I/O of its own.
 */
import type { BucketCount } from './history-series.js';

/** Ten minutes: how stale a finished hour of the week chart may be. */
export const FINISHED_HOURS_TTL_MS = 10 * 60_000;
/** Workers' weeks kept at most; the least recently counted goes first. */
const MAX_KEYS = 100;

interface Entry {
  readonly since: number;
  readonly countedAt: number;
  readonly rows: Promise<readonly BucketCount[]>;
}

export class FinishedHours {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly ttlMs = FINISHED_HOURS_TTL_MS) {}

  /** The counts of the window starting at `since` (one key per worker, '' for all), counted by `count` when missing or old. */
  get(key: string, since: Date, now: Date, count: () => Promise<readonly BucketCount[]>): Promise<readonly BucketCount[]> {
    const kept = this.#entries.get(key);
    if (kept !== undefined && kept.since === since.getTime() && now.getTime() - kept.countedAt < this.ttlMs) return kept.rows;
    const rows = count();
    // A failed count is not kept: the next request counts again.
    rows.catch(() => {
      if (this.#entries.get(key)?.rows === rows) this.#entries.delete(key);
    });
    this.#entries.delete(key);
    this.#entries.set(key, { since: since.getTime(), countedAt: now.getTime(), rows });
    if (this.#entries.size > MAX_KEYS) this.#entries.delete(this.#entries.keys().next().value as string);
    return rows;
  }
}
