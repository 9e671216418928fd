import { describe, expect, it } from 'vitest';
import { capText, encodeJson } from '../../src/backend/serialize.js';

const problem = (value: unknown): string => {
  const encoded = encodeJson(value, 'result', 1 << 20);
  if (encoded.ok || encoded.problem !== 'unserialisable') throw new Error(`expected a problem, got ${JSON.stringify(encoded)}`);
  return encoded.message;
};

describe('encodeJson', () => {
  it('encodes plain data, dates through toJSON, and leaves out undefined properties', () => {
    const encoded = encodeJson({ a: [1, 'x', null, true], d: new Date(0), gone: undefined }, 'result', 1000);
    expect(encoded).toEqual({ ok: true, json: '{"a":[1,"x",null,true],"d":"1970-01-01T00:00:00.000Z"}', bytes: 54 });
  });

  it('names the path to what JSON would change or refuse', () => {
    expect(problem({ values: [1, 2n] })).toBe('result.values[1] is a BigInt (2n); convert it to a string or a number first');
    expect(problem([undefined])).toBe('result[0] is undefined, which JSON would turn into null');
    expect(problem({ 'a b': () => 1 })).toBe('result["a b"] is a function');
    expect(problem({ n: NaN })).toBe('result.n is NaN, which JSON cannot hold');
    expect(problem({ m: new Map([[1, 2]]) })).toMatch(/^result\.m is a Map, which JSON would store as \{\}/);
    expect(problem(Symbol('s'))).toBe('result is a symbol');
  });

  it('finds cycles, but not a value shared by two branches', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(problem(cyclic)).toBe('result.self.back refers back to an enclosing value (a cycle)');
    const shared = { x: 1 };
    expect(encodeJson({ a: shared, b: shared }, 'result', 100).ok).toBe(true);
  });

  it('counts UTF-8 bytes against the cap', () => {
    expect(encodeJson('é'.repeat(10), 'result', 22)).toMatchObject({ ok: true, bytes: 22 });
    expect(encodeJson('é'.repeat(10), 'result', 21)).toEqual({ ok: false, problem: 'too-large', bytes: 22 });
  });
});

describe('capText', () => {
  it('keeps text within the cap and says how much was cut', () => {
    expect(capText('short', 100)).toBe('short');
    const cut = capText('x'.repeat(500), 200);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(200);
    expect(cut).toMatch(/^x+\n… \(300 more bytes cut by prisma-celery's maxResultBytes\)$/);
  });

  it('never leaves half a character behind', () => {
    const cut = capText('€'.repeat(100), 120);
    expect(cut).not.toContain('\uFFFD');
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(120);
  });
});
