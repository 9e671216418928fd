import { describe, expect, it } from 'vitest';
import { WriteBatcher, type BatcherOptions } from '../../src/backend/write-batcher.js';

interface Item {
  key: string;
  value: number;
  /** Items marked apart refuse to merge, as RETRY-then-PENDING writes do. */
  apart?: boolean;
}

class Bad extends Error {}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup(overrides: Partial<BatcherOptions<Item>> = {}) {
  const statements: Item[][] = [];
  let delayMs = 5;
  const options: BatcherOptions<Item> = {
    key: (item) => item.key,
    merge: (older, newer) => (newer.apart ? null : { key: older.key, value: older.value + newer.value }),
    size: () => 10,
    write: async (items) => {
      statements.push([...items]);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (items.some((item) => item.value < 0)) throw new Bad('negative');
    },
    splitOn: (error) => error instanceof Bad,
    maxItems: 100,
    maxBytes: 1000,
    ...overrides,
  };
  return { batcher: new WriteBatcher(options), statements, setDelay: (ms: number) => (delayMs = ms) };
}

describe('WriteBatcher', () => {
  it('sends a lone caller\'s writes one statement each', async () => {
    const { batcher, statements } = setup();
    for (let i = 0; i < 5; i++) await batcher.enqueue({ key: `k${i}`, value: i });
    expect(statements.map((s) => s.length)).toEqual([1, 1, 1, 1, 1]);
  });

  it('coalesces concurrent writes into few statements and resolves every caller after its statement', async () => {
    const { batcher, statements } = setup();
    const settledAt: number[] = [];
    await Promise.all(
      Array.from({ length: 64 }, (_, i) => batcher.enqueue({ key: `k${i}`, value: i }).then(() => settledAt.push(statements.length))),
    );
    expect(statements.length).toBeLessThanOrEqual(2);
    expect(statements.flat()).toHaveLength(64);
    expect(settledAt).toHaveLength(64);
    expect(batcher.statements).toBe(statements.length);
  });

  it('keeps 64 callers that loop in one statement per round, not alternating 1 and 63', async () => {
    const { batcher, statements } = setup();
    let n = 0;
    await Promise.all(
      Array.from({ length: 64 }, async (_, worker) => {
        for (let round = 0; round < 5; round++) await batcher.enqueue({ key: `w${worker}-${round}`, value: n++ });
      }),
    );
    expect(statements.flat()).toHaveLength(320);
    expect(statements.length).toBeLessThanOrEqual(7);
  });

  it('merges writes of one key that wait together, and sends apart what cannot merge, in order', async () => {
    const { batcher, statements } = setup();
    const first = batcher.enqueue({ key: 'busy', value: 0 });
    await nextTurn(); // now in flight, while the rest queue
    const rest = [
      batcher.enqueue({ key: 'a', value: 1 }),
      batcher.enqueue({ key: 'a', value: 2 }),
      batcher.enqueue({ key: 'a', value: 4, apart: true }),
      batcher.enqueue({ key: 'b', value: 8 }),
    ];
    await Promise.all([first, ...rest]);
    expect(statements).toEqual([
      [{ key: 'busy', value: 0 }],
      [{ key: 'a', value: 3 }, { key: 'b', value: 8 }],
      [{ key: 'a', value: 4, apart: true }],
    ]);
  });

  it('bounds a statement by items and by bytes, and orders its rows by key', async () => {
    const { batcher, statements } = setup({ maxItems: 3, maxBytes: 25 });
    await Promise.all(['e', 'd', 'c', 'b', 'a'].map((key) => batcher.enqueue({ key, value: 1 })));
    expect(statements.map((s) => s.map((item) => item.key))).toEqual([['d', 'e'], ['b', 'c'], ['a']]);
    statements.length = 0;
    const big = setup({ maxItems: 3, maxBytes: 1000 });
    await Promise.all(['e', 'd', 'c', 'b', 'a'].map((key) => big.batcher.enqueue({ key, value: 1 })));
    expect(big.statements.map((s) => s.map((item) => item.key))).toEqual([['c', 'd', 'e'], ['a', 'b']]);
  });

  it('fails only the bad write when a batch fails with a splittable error', async () => {
    const { batcher, statements } = setup();
    const results = await Promise.allSettled([
      batcher.enqueue({ key: 'x', value: 1 }),
      batcher.enqueue({ key: 'y', value: -1 }),
      batcher.enqueue({ key: 'z', value: 2 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    // The batch of three, then each alone.
    expect(statements.map((s) => s.length)).toEqual([3, 1, 1, 1]);
  });

  it('rejects every caller of a batch that fails with an error not worth splitting', async () => {
    const { batcher } = setup({
      write: () => Promise.reject(new Error('down')),
    });
    const results = await Promise.allSettled([batcher.enqueue({ key: 'x', value: 1 }), batcher.enqueue({ key: 'y', value: 1 })]);
    expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual(['down', 'down']);
  });

  it('settled() waits for what was enqueued before it', async () => {
    const { batcher, setDelay } = setup();
    setDelay(30);
    let done = false;
    void batcher.enqueue({ key: 'slow', value: 1 }).then(() => (done = true));
    await batcher.settled();
    expect(done).toBe(true);
  });
});
