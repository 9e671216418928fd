import { describe, expect, it } from 'vitest';
import { DueHeap } from '../../src/scheduler/due-heap.js';

/** A deterministic generator, so a failure replays. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

describe('DueHeap', () => {
  it('pops due ids earliest first, ties by id, and leaves the rest', () => {
    const heap = new DueHeap();
    heap.set(3, 100);
    heap.set(1, 100);
    heap.set(2, 50);
    heap.set(4, 500);
    expect(heap.peek()).toEqual({ id: 2, dueAt: 50 });
    const popped: number[] = [];
    for (let id; (id = heap.popDue(100)) !== undefined; ) popped.push(id);
    expect(popped).toEqual([2, 1, 3]);
    expect(heap.size).toBe(1);
    expect(heap.popDue(499)).toBeUndefined();
  });

  it('moves an id when set again, and deletes by id', () => {
    const heap = new DueHeap();
    for (let id = 1; id <= 5; id++) heap.set(id, id * 10);
    heap.set(5, 1);
    heap.set(1, 100);
    expect(heap.delete(3)).toBe(true);
    expect(heap.delete(3)).toBe(false);
    expect(heap.dueAt(1)).toBe(100);
    expect(heap.has(3)).toBe(false);
    const order: number[] = [];
    for (let id; (id = heap.popDue(Infinity)) !== undefined; ) order.push(id);
    expect(order).toEqual([5, 2, 4, 1]);
  });

  it('agrees with a sorted list over thousands of random operations', () => {
    const next = random(42);
    const heap = new DueHeap();
    const model = new Map<number, number>();
    for (let step = 0; step < 20_000; step++) {
      const id = Math.floor(next() * 300);
      const op = next();
      if (op < 0.5) {
        const due = Math.floor(next() * 1000);
        heap.set(id, due);
        model.set(id, due);
      } else if (op < 0.7) {
        expect(heap.delete(id)).toBe(model.delete(id));
      } else {
        const now = Math.floor(next() * 1000);
        const expected = [...model].filter(([, due]) => due <= now).sort(([a, x], [b, y]) => x - y || a - b)[0];
        const got = heap.popDue(now);
        expect(got).toBe(expected?.[0]);
        if (got !== undefined) model.delete(got);
      }
      expect(heap.size).toBe(model.size);
    }
  });

  it('orders ids appended at once (a full load) as set() would, then takes changes as usual', () => {
    const next = random(7);
    const heap = new DueHeap();
    const model = new Map<number, number>();
    for (let id = 1; id <= 5_000; id++) {
      const due = Math.floor(next() * 1000);
      heap.append(id, due);
      model.set(id, due);
    }
    heap.order();
    expect(heap.size).toBe(model.size);
    expect(heap.dueAt(4_321)).toBe(model.get(4_321));
    heap.set(4_321, -1);
    model.set(4_321, -1);
    expect(heap.delete(17)).toBe(true);
    model.delete(17);
    const expected = [...model].sort(([a, x], [b, y]) => x - y || a - b).map(([id]) => id);
    const popped: number[] = [];
    for (let id; (id = heap.popDue(Infinity)) !== undefined; ) popped.push(id);
    expect(popped).toEqual(expected);
  });
});
