/** Deterministic bench data (BENCH.md "Shared shapes"). Pure. */

/** The seed every workload starts from, so two runs store the same ids. */
export const BENCH_SEED = 20240601;

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128 bits of
 * state and a period of at least 2^32, plenty for a run's few ten thousand
 * ids; seeded through splitmix32 so that nearby seeds give unrelated streams.
 */
function sfc32(seed: number): () => number {
  let s = seed >>> 0;
  const splitmix32 = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix32();
  let b = splitmix32();
  let c = splitmix32();
  let d = splitmix32();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
}

const hex8 = (word: number): string => word.toString(16).padStart(8, '0');

/**
 * A source of uuid v4 task ids from a fixed seed. Ids it has handed out are
 * remembered and never handed out again, which makes "never repeating in a
 * run" a guarantee rather than a probability.
 */
export function uuidSource(seed: number = BENCH_SEED): () => string {
  const next = sfc32(seed);
  const seen = new Set<string>();
  return () => {
    for (;;) {
      const w1 = next();
      const w2 = ((next() & 0xffff0fff) | 0x00004000) >>> 0; // version 4
      const w3 = ((next() & 0x3fffffff) | 0x80000000) >>> 0; // variant 10xx
      const w4 = next();
      const h = hex8(w1) + hex8(w2) + hex8(w3) + hex8(w4);
      const id = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
      if (!seen.has(id)) {
        seen.add(id);
        return id;
      }
    }
  };
}

/**
 * The result of task i, spelled the way Python's json.dumps spells it (", "
 * and ": " separators), since that is what a Celery worker hands the backend.
 */
export const resultJson = (i: number): string =>
  `{"status": "ok", "n": ${i}, "values": [${i}, ${i + 1}, ${i + 2}], "label": "task-${String(i).padStart(6, '0')}"}`;
