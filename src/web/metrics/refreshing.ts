/**
 * A value read at most every so often, so that a scrape never waits on a
 * big query and many scrapers cost the database one read. Pure apart from
 * the clock and timers it is given.
 *
 * - A value younger than the refresh interval is served as it is. The
 *   interval is `minIntervalMs`, or ten times what the last read took if
 *   that is longer: reads never take more than a tenth of one connection.
 * - An older one starts a read (one at a time, whoever asks) and waits for
 *   it up to `waitMs`; a read that ends in time is served, fresh. One that
 *   does not leaves the previous value served, as long as that is younger
 *   than `maxStaleMs` beyond the interval; past that, the scrape waits for
 *   the read.
 * - With `waitMs` 0 the previous value is served at once and the read
 *   starts `startDelayMs` later, once that answer is on its way: for a
 *   driver that blocks the process while it reads (better-sqlite3).
 * - A read that fails is not kept: the scrape that waited for it fails, and
 *   the next one reads again.
 */

export interface Timed<T> {
  readonly value: T;
  /** When the read began (epoch ms): the value is at least that fresh. */
  readonly at: number;
  /** How long the read took, ms. */
  readonly tookMs: number;
}

export interface RefreshingOptions {
  readonly minIntervalMs: number;
  readonly waitMs: number;
  readonly maxStaleMs: number;
  /** With waitMs 0: how long after the scrape that found the value stale its read starts. Default 0. */
  readonly startDelayMs?: number;
  readonly now?: () => number;
}

/** Reads take at most this share of the time: the interval is at least this many times the last read. */
const COST_FACTOR = 10;

export class Refreshing<T> {
  readonly #read: () => Promise<T>;
  readonly #options: RefreshingOptions;
  readonly #now: () => number;
  #last: Timed<T> | undefined;
  #reading: Promise<Timed<T>> | undefined;
  #soon: NodeJS.Timeout | undefined;

  constructor(read: () => Promise<T>, options: RefreshingOptions) {
    this.#read = read;
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** The most recent value read, if any. */
  get last(): Timed<T> | undefined {
    return this.#last;
  }

  /** Milliseconds a value is served before the next read: the minimum, or ten times the last read. */
  get intervalMs(): number {
    return Math.max(this.#options.minIntervalMs, COST_FACTOR * (this.#last?.tookMs ?? 0));
  }

  async get(): Promise<Timed<T>> {
    const last = this.#last;
    const age = last === undefined ? Infinity : this.#now() - last.at;
    if (last !== undefined && age < this.intervalMs) return last;
    if (last === undefined || age >= this.intervalMs + this.#options.maxStaleMs) return this.#start();
    if (this.#options.waitMs === 0) {
      this.#startSoon();
      return last;
    }
    const reading = this.#start();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Timed<T>>((resolve) => (timer = setTimeout(() => resolve(last), this.#options.waitMs)));
    try {
      return await Promise.race([reading, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  #startSoon(): void {
    if (this.#reading !== undefined || this.#soon !== undefined) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      // Its failure reaches the next scrape, which reads again.
      this.#start().catch(() => {});
    }, this.#options.startDelayMs ?? 0);
    // A read nobody waits for must not keep the process alive.
    this.#soon.unref();
  }

  #start(): Promise<Timed<T>> {
    if (this.#reading !== undefined) return this.#reading;
    const at = this.#now();
    const reading = this.#read().then((value) => {
      this.#last = { value, at, tookMs: this.#now() - at };
      return this.#last;
    });
    this.#reading = reading;
    // Cleared whichever way it ends; a failure left unwaited (a stale value was served) must not surface as unhandled.
    void reading.then(
      () => (this.#reading = undefined),
      () => (this.#reading = undefined),
    );
    return reading;
  }
}
