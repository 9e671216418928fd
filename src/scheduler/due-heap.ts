interface Node {
  readonly id: number;
  due: number;
}

/**
 * Entry ids ordered by when they are next due (epoch ms; ties by id), with
 * an index so an entry's time can be changed or removed in O(log n). Beat's
 * tick looks at the top only, so its cost does not grow with the table.
 */
export class DueHeap {
  readonly #nodes: Node[] = [];
  readonly #position = new Map<number, number>();

  get size(): number {
    return this.#nodes.length;
  }

  has(id: number): boolean {
    return this.#position.has(id);
  }

  /** When `id` is due, or undefined if it is not in the heap. */
  dueAt(id: number): number | undefined {
    const at = this.#position.get(id);
    return at === undefined ? undefined : this.#node(at).due;
  }

  /** Adds `id`, or moves it if it is there already. */
  set(id: number, dueAt: number): void {
    const at = this.#position.get(id);
    if (at === undefined) {
      this.#nodes.push({ id, due: dueAt });
      this.#position.set(id, this.#nodes.length - 1);
      this.#up(this.#nodes.length - 1);
      return;
    }
    const node = this.#node(at);
    const before = node.due;
    node.due = dueAt;
    if (dueAt < before) this.#up(at);
    else this.#down(at);
  }

  delete(id: number): boolean {
    const at = this.#position.get(id);
    if (at === undefined) return false;
    const last = this.#nodes.length - 1;
    this.#swap(at, last);
    this.#nodes.pop();
    this.#position.delete(id);
    if (at < last) {
      this.#up(at);
      this.#down(at);
    }
    return true;
  }

  /** The earliest entry, without removing it. */
  peek(): { id: number; dueAt: number } | undefined {
    const top = this.#nodes[0];
    return top === undefined ? undefined : { id: top.id, dueAt: top.due };
  }

  /** Removes and returns the earliest entry if it is due at `now` (epoch ms). */
  popDue(now: number): number | undefined {
    const top = this.#nodes[0];
    if (top === undefined || top.due > now) return undefined;
    this.delete(top.id);
    return top.id;
  }

  clear(): void {
    this.#nodes.length = 0;
    this.#position.clear();
  }

  #node(at: number): Node {
    const node = this.#nodes[at];
    if (node === undefined) throw new RangeError(`heap position ${at} is empty`);
    return node;
  }

  #less(a: number, b: number): boolean {
    const x = this.#node(a);
    const y = this.#node(b);
    return x.due < y.due || (x.due === y.due && x.id < y.id);
  }

  #swap(a: number, b: number): void {
    if (a === b) return;
    const x = this.#node(a);
    const y = this.#node(b);
    this.#nodes[a] = y;
    this.#nodes[b] = x;
    this.#position.set(y.id, a);
    this.#position.set(x.id, b);
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
    const n = this.#nodes.length;
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
