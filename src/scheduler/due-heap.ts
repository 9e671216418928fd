const INITIAL_CAPACITY = 1024;

/** A slot below the heap's size (always set). */
const read = (array: Float64Array, at: number): number => array[at] ?? NaN;

/**
 * Entry ids ordered by when they are next due (epoch ms; ties by id), with
 * an index so an entry's time can be changed or removed in O(log n). Beat's
 * tick looks at the top only, so its cost does not grow with the table.
 * Ids and times sit in typed arrays, not an object per node: a beat may
 * hold a million entries.
 */
export class DueHeap {
  #ids = new Float64Array(INITIAL_CAPACITY);
  #dues = new Float64Array(INITIAL_CAPACITY);
  #size = 0;
  readonly #position = new Map<number, number>();
  /** False while append() fills the arrays: order() builds the index once at the end. */
  #indexed = true;

  get size(): number {
    return this.#size;
  }

  has(id: number): boolean {
    return this.#position.has(id);
  }

  /** When `id` is due, or undefined if it is not in the heap. */
  dueAt(id: number): number | undefined {
    const at = this.#position.get(id);
    return at === undefined ? undefined : this.#dues[at];
  }

  /** Adds `id`, or moves it if it is there already. */
  set(id: number, dueAt: number): void {
    const at = this.#position.get(id);
    if (at === undefined) {
      if (this.#size === this.#ids.length) this.#grow();
      this.#place(this.#size, id, dueAt);
      this.#size++;
      this.#up(this.#size - 1);
      return;
    }
    const before = read(this.#dues, at);
    this.#dues[at] = dueAt;
    if (dueAt < before) this.#up(at);
    else this.#down(at);
  }

  /**
   * Adds an id without ordering it, for a full load into an empty heap:
   * order() must follow before the heap is used. A million ids ordered at
   * once cost a third of a million sift-ups, each of which moves the index.
   */
  append(id: number, dueAt: number): void {
    if (this.#size === this.#ids.length) this.#grow();
    this.#indexed = false;
    this.#ids[this.#size] = id;
    this.#dues[this.#size] = dueAt;
    this.#size++;
  }

  /** Orders what append() added (one heapify), then indexes it. */
  order(): void {
    if (this.#indexed) return;
    for (let at = (this.#size >> 1) - 1; at >= 0; at--) this.#down(at);
    for (let at = 0; at < this.#size; at++) this.#position.set(read(this.#ids, at), at);
    this.#indexed = true;
  }

  delete(id: number): boolean {
    const at = this.#position.get(id);
    if (at === undefined) return false;
    const last = --this.#size;
    this.#position.delete(id);
    if (at < last) {
      this.#place(at, read(this.#ids, last), read(this.#dues, last));
      this.#up(at);
      this.#down(at);
    }
    return true;
  }

  /** The earliest entry, without removing it. */
  peek(): { id: number; dueAt: number } | undefined {
    return this.#size === 0 ? undefined : { id: read(this.#ids, 0), dueAt: read(this.#dues, 0) };
  }

  /** Removes and returns the earliest entry if it is due at `now` (epoch ms). */
  popDue(now: number): number | undefined {
    if (this.#size === 0 || read(this.#dues, 0) > now) return undefined;
    const id = read(this.#ids, 0);
    this.delete(id);
    return id;
  }

  clear(): void {
    this.#size = 0;
    this.#indexed = true;
    this.#position.clear();
    this.#ids = new Float64Array(INITIAL_CAPACITY);
    this.#dues = new Float64Array(INITIAL_CAPACITY);
  }

  #grow(): void {
    const ids = new Float64Array(this.#ids.length * 2);
    const dues = new Float64Array(this.#dues.length * 2);
    ids.set(this.#ids);
    dues.set(this.#dues);
    this.#ids = ids;
    this.#dues = dues;
  }

  #place(at: number, id: number, due: number): void {
    this.#ids[at] = id;
    this.#dues[at] = due;
    if (this.#indexed) this.#position.set(id, at);
  }

  #less(a: number, b: number): boolean {
    const x = read(this.#dues, a);
    const y = read(this.#dues, b);
    return x < y || (x === y && read(this.#ids, a) < read(this.#ids, b));
  }

  #swap(a: number, b: number): void {
    const id = read(this.#ids, a);
    const due = read(this.#dues, a);
    this.#place(a, read(this.#ids, b), read(this.#dues, b));
    this.#place(b, id, due);
  }

  #up(at: number): void {
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (!this.#less(at, parent)) return;
      this.#swap(at, parent);
      at = parent;
    }
  }

  #down(at: number): void {
    const n = this.#size;
    for (;;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let least = at;
      if (left < n && this.#less(left, least)) least = left;
      if (right < n && this.#less(right, least)) least = right;
      if (least === at) return;
      this.#swap(at, least);
      at = least;
    }
  }
}
