// Python's text forms the builder reproduces. Every expected string below
// was printed by Python 3.11 with Celery 5.2.6 (celery.utils.saferepr with
// maxlen 1024 unless given, and json.dumps with default settings).
import { describe, expect, it } from 'vitest';
import { pythonJsonDumps, saferepr, type JsonValue } from '../../src/core/protocol/index.js';
import { parseIsoInstant, pythonIsoformat } from '../../src/core/protocol/iso-time.js';
import { ProtocolError } from '../../src/core/protocol/errors.js';

describe('saferepr (argsrepr / kwargsrepr)', () => {
  const cases: [string, JsonValue, number | undefined, string][] = [
    ['captured args', [1, 'two', 3.5, null, true, [1, 2], { k: 'v' }], undefined, "[1, 'two', 3.5, None, True, [1, 2], {'k': 'v'}]"],
    ['captured kwargs', { a: 1, text: 'héllo ☃ "q"' }, undefined, `{'a': 1, 'text': 'héllo ☃ "q"'}`],
    // Not Python's repr: always single quotes, only "'" escaped.
    ['quotes', ["it's", 'say "hi"'], undefined, `['it\\'s', 'say "hi"']`],
    ['no escapes', ['back\\slash', 'line\nbreak\ttab', '\u0000\u007f'], undefined, "['back\\slash', 'line\nbreak\ttab', '\u0000\u007f']"],
    ['astral', ['\u{1F600}'], undefined, "['\u{1F600}']"],
    ['three levels deep', [[[[1]]], { a: { b: { c: 1 } } }], undefined, "[[[[...]]], {'a': {'b': {...}}}]"],
    ['numbers', [1e-5, 1.5e-7, 0.0001, 0.1, -0.5, 123456789012345.6, 1e21, -7], undefined, '[1e-05, 1.5e-07, 0.0001, 0.1, -0.5, 123456789012345.6, 1000000000000000000000, -7]'],
    ['cut at a word', ['the quick brown fox jumps'], 12, "['the quick...', ..."],
    ['cut at exactly maxlen', ['abcdefghij'], 10, "['abcdefghi...', ..."],
    ['cut in a list', [1, 2, 3, 4, 5, 6, 7, 8], 10, '[1, 2, 3, , ...]'],
    ['cut in nesting', { key: [1, 2, { deep: 'value' }], other: 2 }, 15, "{'key': [1, 2, , ...}]}"],
    ['long string', ['x'.repeat(2000)], undefined, `['${'x'.repeat(1023)}...', ...`],
    ['long words', ['word '.repeat(300)], undefined, `['${Array(204).fill('word').join(' ')}...', ...`],
    ['long kwargs value', { k: 'y'.repeat(1030) }, undefined, `{'k': '${'y'.repeat(1018)}...', ...`],
    ['long list', [Array.from({ length: 600 }, (_, i) => i)], undefined, `[[${Array.from({ length: 226 }, (_, i) => i).join(', ')}, 22..., ...]]`],
  ];

  it.each(cases)('%s', (_name, value, maxlen, expected) => {
    expect(saferepr(value, maxlen)).toBe(expected);
  });
});

describe('pythonJsonDumps (the body)', () => {
  it('escapes like ensure_ascii, surrogate pairs included', () => {
    const strings = ['tab\there', 'nl\n', 'é☃\u{1F600}', '\ud800', '\u007f\u001f', '/', '</script>'];
    expect(pythonJsonDumps(strings)).toBe(
      '["tab\\there", "nl\\n", "\\u00e9\\u2603\\ud83d\\ude00", "\\ud800", "\\u007f\\u001f", "/", "</script>"]',
    );
  });

  it.each([
    [1e-5, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [0.0001, '0.0001'],
    [0.1, '0.1'],
    [-0.5, '-0.5'],
    [123456789012345.6, '123456789012345.6'],
    [5e-324, '5e-324'],
    // Integral numbers are ints: JSON.parse cannot tell 1 from 1.0.
    [1e21, '1000000000000000000000'],
    [2 ** 53 + 2, '9007199254740994'],
    [-0, '0'],
  ])('writes %d as %s', (n, text) => {
    expect(pythonJsonDumps(n)).toBe(text);
  });

  it('uses Python separators and keeps key order', () => {
    expect(pythonJsonDumps({ z: [], '': { 'a b': [1, { y: null }] }, a: true })).toBe('{"z": [], "": {"a b": [1, {"y": null}]}, "a": true}');
  });
});

describe('eta / expires text', () => {
  it('formats a Date like datetime.isoformat() of an aware UTC datetime', () => {
    expect(pythonIsoformat(new Date('2030-01-02T03:04:05.678Z'), 'eta')).toBe('2030-01-02T03:04:05.678000+00:00');
    expect(pythonIsoformat(new Date('2030-01-02T03:04:05.000Z'), 'eta')).toBe('2030-01-02T03:04:05+00:00');
    expect(() => pythonIsoformat(new Date('x'), 'eta')).toThrow(ProtocolError);
    expect(() => pythonIsoformat(new Date('+010000-01-01T00:00:00Z'), 'eta')).toThrow(/outside 1\.\.9999/);
  });

  it('reads offsets, and a naive time as UTC like the 5.2.6 worker', () => {
    expect(parseIsoInstant('2030-01-02T03:04:05.678901+00:00', 'x')).toBe(Date.parse('2030-01-02T03:04:05.678Z'));
    expect(parseIsoInstant('2030-01-02T03:04:05+02:00', 'x')).toBe(Date.parse('2030-01-02T01:04:05Z'));
    expect(parseIsoInstant('2030-01-02T03:04:05', 'x')).toBe(Date.parse('2030-01-02T03:04:05Z'));
    expect(parseIsoInstant('2030-01-02 03:04Z', 'x')).toBe(Date.parse('2030-01-02T03:04:00Z'));
    expect(parseIsoInstant('0050-06-01T00:00:00', 'x')).toBe(Date.parse('0050-06-01T00:00:00Z'));
  });

  it.each(['tomorrow', '2030-02-30T00:00:00', '2030-01-02T24:00:00', '2030-01-02', '2030-01-02T03:04:05+25:00'])('refuses %s', (text) => {
    expect(() => parseIsoInstant(text, 'eta')).toThrow(ProtocolError);
  });
});
