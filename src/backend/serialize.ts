/**
 * Values to JSON text without silent changes. JSON.stringify turns a Map
 * into {}, NaN into null, an undefined array element into null and throws on
 * BigInt; a stored result must read back as what was stored, so anything it
 * would change is refused with the path to the culprit. Pure.
 */

export type Encoded =
  | { readonly ok: true; readonly json: string; readonly bytes: number }
  | { readonly ok: false; readonly problem: 'unserialisable'; readonly message: string }
  | { readonly ok: false; readonly problem: 'too-large'; readonly bytes: number };

const MAX_DEPTH = 1000;

// JSON.stringify writes these as {} (or nothing), losing their contents.
const OPAQUE: readonly (abstract new (...args: never[]) => object)[] = [Map, Set, WeakMap, WeakSet, Promise];

/**
 * `label` names the value in messages (`result`, `args`). Object properties
 * that are undefined are left out, as JSON.stringify does: reading the key
 * back gives undefined again, so nothing changes.
 */
export function encodeJson(value: unknown, label: string, maxBytes: number): Encoded {
  const problem = findProblem(value, label, [], '');
  if (problem !== null) return { ok: false, problem: 'unserialisable', message: problem };
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxBytes) return { ok: false, problem: 'too-large', bytes };
  return { ok: true, json, bytes };
}

function findProblem(value: unknown, path: string, ancestors: object[], key: string): string | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return null;
    case 'number':
      return Number.isFinite(value) ? null : `${path} is ${value}, which JSON cannot hold`;
    case 'bigint':
      return `${path} is a BigInt (${value}n); convert it to a string or a number first`;
    case 'undefined':
      return `${path} is undefined, which JSON would turn into null`;
    case 'function':
      return `${path} is a function`;
    case 'symbol':
      return `${path} is a symbol`;
    case 'object':
      return value === null ? null : objectProblem(value, path, ancestors, key);
  }
}

function objectProblem(value: object, path: string, ancestors: object[], key: string): string | null {
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    // What JSON.stringify will write is what toJSON returns (a Date's ISO text).
    return findProblem(toJSON.call(value, key), path, ancestors, key);
  }
  if (ancestors.includes(value)) return `${path} refers back to an enclosing value (a cycle)`;
  if (ancestors.length >= MAX_DEPTH) return `${path} is nested more than ${MAX_DEPTH} levels deep`;
  const opaque = OPAQUE.find((type) => value instanceof type);
  if (opaque) return `${path} is a ${opaque.name}, which JSON would store as {}; convert it to an array or object`;

  ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const problem = findProblem(value[i], `${path}[${i}]`, ancestors, String(i));
        if (problem !== null) return problem;
      }
      return null;
    }
    for (const [name, item] of Object.entries(value)) {
      if (item === undefined) continue;
      const problem = findProblem(item, `${path}${propertyPath(name)}`, ancestors, name);
      if (problem !== null) return problem;
    }
    return null;
  } finally {
    ancestors.pop();
  }
}

const propertyPath = (name: string): string => (/^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`);

/**
 * Text over `maxBytes` (UTF-8) cut to fit, with a line saying so. Only for
 * plain text such as tracebacks; JSON is never cut.
 */
export function capText(text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return text;
  const note = `\n… (${bytes - maxBytes} more bytes cut by prisma-celery's maxResultBytes)`;
  const keep = Buffer.from(text, 'utf8').subarray(0, Math.max(0, maxBytes - Buffer.byteLength(note, 'utf8')));
  // A cut inside a multi-byte character decodes to U+FFFD; drop it.
  return keep.toString('utf8').replace(/\uFFFD$/, '') + note;
}
