/**
 * Coalesces writes: one statement in flight at a time; whatever arrives
 * meanwhile goes out together as the next statement. A lone caller thus
 * still gets one statement per write, while 64 callers in flight share a
 * few multi-row statements. Writes of one key that wait together are merged
 * first (PostgreSQL refuses to touch one row twice in one statement); when
 * two cannot be merged exactly, the later one waits for a later statement.
 */

export interface BatcherOptions<T> {
  key(item: T): string;
  /** The one write equivalent to `older` then `newer`, or null when there is none. */
  merge(older: T, newer: T): T | null;
  /** Rough bytes the item adds to a statement. */
  size(item: T): number;
  /** Writes the items in one statement; resolves once committed. */
  write(items: readonly T[]): Promise<unknown>;
  /** Whether a failed multi-item write should be retried item by item, so that one bad item fails alone. */
  splitOn(error: unknown): boolean;
  readonly maxItems: number;
  readonly maxBytes: number;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Entry<T> {
  key: string;
  item: T;
  waiters: Waiter[];
}

export class WriteBatcher<T> {
  readonly #options: BatcherOptions<T>;
  // Waiting writes in statement order: each map holds at most one write per
  // key, and a key's writes sit in successive maps.
  readonly #queue: Map<string, Entry<T>>[] = [];
  readonly #unsettled = new Set<Promise<void>>();
  #pumping = false;
  #scheduled = false;
  /** Statements sent so far (for tests and the bench). */
  statements = 0;

  constructor(options: BatcherOptions<T>) {
    this.#options = options;
  }

  enqueue(item: T): Promise<void> {
    const promise = new Promise<void>((resolve, reject) => {
      this.#add(this.#options.key(item), item, { resolve, reject });
      this.#schedule();
    });
    this.#unsettled.add(promise);
    const forget = (): void => void this.#unsettled.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Resolves once every write enqueued before the call has settled (whatever came after). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#unsettled]);
  }

  #add(key: string, item: T, waiter: Waiter): void {
    let last = -1;
    for (let i = this.#queue.length - 1; i >= 0 && last === -1; i--) if (this.#queue[i]?.has(key)) last = i;
    const queued = this.#queue[last]?.get(key);
    if (queued) {
      const merged = this.#options.merge(queued.item, item);
      if (merged !== null) {
        queued.item = merged;
        queued.waiters.push(waiter);
        return;
      }
    }
    let target = this.#queue[last + 1];
    if (target === undefined) {
      target = new Map();
      this.#queue.push(target);
    }
    target.set(key, { key, item, waiters: [waiter] });
  }

  #schedule(): void {
    if (this.#pumping || this.#scheduled) return;
    this.#scheduled = true;
    // setImmediate rather than a microtask: callers whose previous write just
    // resolved enqueue their next one in microtasks, and all of them should
    // make the same statement instead of one going out alone.
    setImmediate(() => {
      this.#scheduled = false;
      void this.#pump();
    });
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      for (let first = this.#queue[0]; first !== undefined; first = this.#queue[0]) {
        await this.#send(this.#take(first));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#pumping = false;
    }
  }

  #take(first: Map<string, Entry<T>>): Entry<T>[] {
    const batch: Entry<T>[] = [];
    let bytes = 0;
    for (const entry of first.values()) {
      if (batch.length >= this.#options.maxItems) break;
      const size = this.#options.size(entry.item);
      if (batch.length > 0 && bytes + size > this.#options.maxBytes) break;
      batch.push(entry);
      bytes += size;
    }
    for (const entry of batch) first.delete(entry.key);
    if (first.size === 0) this.#queue.shift();
    // One lock order for every writer, so two backends never deadlock on each other's rows.
    return batch.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async #send(batch: Entry<T>[]): Promise<void> {
    try {
      this.statements++;
      await this.#options.write(batch.map((entry) => entry.item));
      for (const entry of batch) for (const waiter of entry.waiters) waiter.resolve();
    } catch (error) {
      if (batch.length > 1 && this.#options.splitOn(error)) {
        for (const entry of batch) await this.#send([entry]);
        return;
      }
      for (const entry of batch) for (const waiter of entry.waiters) waiter.reject(error);
    }
  }
}
