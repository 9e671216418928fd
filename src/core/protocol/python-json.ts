import type { JsonValue } from './json-value.js';
import { pythonNumber } from './python-number.js';

/**
 * `json.dumps(value)` with Python's defaults, which kombu uses for task
 * bodies: ", " and ": " separators, keys in insertion order, and
 * ensure_ascii, so every character outside printable ASCII is a \uXXXX
 * escape (characters beyond the BMP as their UTF-16 surrogate pair). The
 * bytes then equal what a Python client sends for the same arguments.
 * `value` must already be checked with assertJsonValue.
 */
export function pythonJsonDumps(value: JsonValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return pythonNumber(value);
    case 'string':
      return asciiJsonString(value);
  }
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  const members = Object.entries(value).map(([key, item]) => `${asciiJsonString(key)}: ${pythonJsonDumps(item)}`);
  return `{${members.join(', ')}}`;
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

// Python's ESCAPE_ASCII: quote, backslash, and anything not in ' '..'~'.
// Matching UTF-16 code units (no `u` flag) splits astral characters into
// their surrogates, which is exactly how Python escapes them.
const NEEDS_ESCAPE = /["\\]|[^ -~]/g;

function asciiJsonString(text: string): string {
  const escaped = text.replace(
    NEEDS_ESCAPE,
    (ch) => SHORT_ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `"${escaped}"`;
}
