/**
 * Coalesces writes: one statement in flight at a time; whatever arrives
 * meanwhile goes out together as the next statement. A lone caller thus
 * still gets one statement per write, while 64 callers in flight share a
 * few multi-row statements. Writes of one key that wait together are merged
 * first (PostgreSQL refuses to touch one row twice in one statement).
 */

export interface BatcherOptions<T> {
  key(item: T): string;
  /** The one write equivalent to `older` then `newer`. */
  merge(older: T, newer: T): T;
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
  readonly #queue = new Map<string, Entry<T>>();
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
      const key = this.#options.key(item);
      const queued = this.#queue.get(key);
      if (queued) {
        queued.item = this.#options.merge(queued.item, item);
        queued.waiters.push({ resolve, reject });
      } else {
        this.#queue.set(key, { key, item, waiters: [{ resolve, reject }] });
      }
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
      while (this.#queue.size > 0) {
        await this.#send(this.#take());
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.#pumping = false;
    }
  }

  #take(): Entry<T>[] {
    const batch: Entry<T>[] = [];
    let bytes = 0;
    for (const entry of this.#queue.values()) {
      if (batch.length >= this.#options.maxItems) break;
      const size = this.#options.size(entry.item);
      if (batch.length > 0 && bytes + size > this.#options.maxBytes) break;
      batch.push(entry);
      bytes += size;
    }
    for (const entry of batch) this.#queue.delete(entry.key);
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
