/** Summary statistics for repeated measurements. Pure: no clock, no I/O. */

export interface Summary {
  median: number;
  min: number;
  max: number;
  /** (max − min) / median · 100: how far apart the repeats landed. */
  spread_pct: number;
  runs: number[];
}

const ascending = (values: readonly number[]): number[] => {
  if (values.length === 0) throw new RangeError('no values to summarise');
  return [...values].sort((a, b) => a - b);
};

export function median(values: readonly number[]): number {
  const sorted = ascending(values);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile: the smallest value with at least p% of values at or below it. */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is outside 0..100`);
  const sorted = ascending(values);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** Six significant digits: the machine's noise is far above that, and the lines stay readable. */
const round = (value: number): number => Number(value.toPrecision(6));

export function summarise(values: readonly number[]): Summary {
  const sorted = ascending(values);
  const mid = median(sorted);
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  return {
    median: round(mid),
    min: round(min),
    max: round(max),
    spread_pct: round(mid === 0 ? 0 : ((max - min) / mid) * 100),
    runs: values.map(round),
  };
}

/**
 * Runs `once` `runs` times, one after another, and summarises each metric it
 * returns across the repeats. A metric that is itself a per-repeat percentile
 * (p50, p99) thus ends up as the median of those percentiles.
 */
export async function repeat<M extends string>(
  runs: number,
  once: (index: number) => Promise<Record<M, number>>,
): Promise<Record<M, Summary>> {
  if (!(Number.isInteger(runs) && runs >= 1)) throw new RangeError(`runs must be a positive integer, not ${runs}`);
  const samples = new Map<M, number[]>();
  for (let index = 0; index < runs; index++) {
    const metrics = await once(index);
    for (const [name, value] of Object.entries(metrics) as [M, number][]) {
      samples.set(name, [...(samples.get(name) ?? []), value]);
    }
  }
  return Object.fromEntries([...samples].map(([name, values]) => [name, summarise(values)])) as Record<M, Summary>;
}
