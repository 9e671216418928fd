import { describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/db/dialect.js';
import { deleteInIdRanges, MAX_GROWTH, QUICK_MS, SLOW_MS } from '../../src/db/range-delete.js';

/** A table of `ids` whose rows in `doomed` match the condition; statements "take" what `durations` says, in turn. */
function fakeTable(ids: number[], doomed: (id: number) => boolean, durations: number[] = []) {
  const rows = new Set(ids);
  const log: string[] = [];
  let now = 0;
  let turn = 0;
  const clock = (): number => now;
  const spend = (): void => {
    now += durations[Math.min(turn++, durations.length - 1)] ?? 1;
  };
  const runner = {
    query: async <T>(sql: string, params: unknown[]): Promise<T[]> => {
      spend();
      const sorted = [...rows].sort((a, b) => a - b);
      // A cover: the last row the condition would delete.
      if (sql.includes('MAX(') && sql.includes('WHERE')) return [{ high: sorted.filter(doomed).at(-1) ?? null } as T];
      if (sql.includes('MAX(')) return [{ low: sorted[0] ?? null, high: sorted.at(-1) ?? null } as T];
      log.push(`next ${String(params[0])}`);
      return [{ low: sorted.find((id) => id >= Number(params[0])) ?? null } as T];
    },
    execute: async (_sql: string, params: unknown[]): Promise<number> => {
      spend();
      const [from, to] = params as [number, number];
      log.push(`delete ${from}-${to}`);
      let deleted = 0;
      for (const id of [...rows]) {
        if (id >= from && id <= to && doomed(id)) {
          rows.delete(id);
          deleted++;
        }
      }
      return deleted;
    },
  };
  return { runner, clock, log, rows };
}

const target = { table: 't', condition: 'x', params: [] };
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('deleteInIdRanges', () => {
  it('walks the ids in batches, going on right after a batch that deleted and jumping gaps after one that did not', async () => {
    // Slow statements: the span stays at the batch size.
    const table = fakeTable([1, 2, 3, 4, 10, 11, 30, 31, 40], (id) => id < 20 || id === 40, [QUICK_MS + 1]);
    const report = await deleteInIdRanges(table.runner, dialectOf('sqlite'), target, 4, table.clock);
    expect(table.log).toEqual(['delete 1-4', 'delete 5-8', 'next 9', 'delete 10-13', 'delete 14-17', 'next 18', 'delete 30-33', 'next 34', 'delete 40-40']);
    expect([...table.rows]).toEqual([30, 31]);
    expect(report).toEqual({ deleted: 7, statements: 10, longestStatementMs: QUICK_MS + 1 });
  });

  it('widens the span while statements are quick, up to 16 batches, and narrows it after a slow one', async () => {
    const table = fakeTable(range(1, 1000), () => true, [1, 1, 1, 1, 1, 1, 1, SLOW_MS + 1, SLOW_MS + 1, 1]);
    await deleteInIdRanges(table.runner, dialectOf('sqlite'), target, 2, table.clock);
    const spans = table.log.map((line) => line.split(' ')[1]!.split('-').map(Number)).map(([a, b]) => b! - a! + 1);
    // bounds took the first turn; then 2, 4, 8, 16, 32 (= 16 × 2, the cap), 32, slow → 16, slow → 8, quick → 16…
    expect(spans.slice(0, 10)).toEqual([2, 4, 8, 16, 32, 32, 32, 16, 8, 16]);
    expect(Math.max(...spans)).toBe(2 * MAX_GROWTH);
  });

  it('never narrows below an eighth of the batch size', async () => {
    const table = fakeTable(range(1, 60), () => true, [SLOW_MS + 1]);
    await deleteInIdRanges(table.runner, dialectOf('sqlite'), target, 16, table.clock);
    expect(table.log).toEqual(['delete 1-16', 'delete 17-24', 'delete 25-28', 'delete 29-30', 'delete 31-32', 'delete 33-34', ...range(35, 60).filter((id) => id % 2 === 1).map((id) => `delete ${id}-${id + 1}`)]);
  });

  it('ends at the last id a cover finds, and deletes nothing when none does', async () => {
    const covered = { ...target, covers: [{ condition: 'y', params: [] }] };
    const table = fakeTable(range(1, 100), (id) => id <= 12, [QUICK_MS + 1]);
    const report = await deleteInIdRanges(table.runner, dialectOf('sqlite'), covered, 5, table.clock);
    expect(table.log).toEqual(['delete 1-5', 'delete 6-10', 'delete 11-12']);
    expect(report).toMatchObject({ deleted: 12, statements: 2 + 3 });
    const live = fakeTable(range(1, 100), () => false);
    expect(await deleteInIdRanges(live.runner, dialectOf('sqlite'), covered, 5, live.clock)).toMatchObject({ deleted: 0, statements: 2 });
    expect(live.log).toEqual([]);
  });

  it('reads the bounds and stops on an empty table', async () => {
    const table = fakeTable([], () => true);
    expect(await deleteInIdRanges(table.runner, dialectOf('sqlite'), target, 5, table.clock)).toEqual({ deleted: 0, statements: 1, longestStatementMs: 1 });
  });
});
