import { ProtocolError } from './errors.js';

/** A value JSON (and therefore Python's json module) can carry unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/**
 * Throws a ProtocolError naming the first place (`args[2].when`) where
 * `value` is not plain JSON. JSON.stringify would silently drop undefined,
 * turn NaN into null and call toJSON on a Date; the worker would then run
 * the task with arguments nobody passed, so we refuse instead.
 */
export function assertJsonValue(value: unknown, path: string): asserts value is JsonValue {
  check(value, path, new Set());
}

function check(value: unknown, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) fail(path, `${value} has no JSON form`);
      return;
    case 'bigint':
      fail(path, 'a BigInt is not JSON-serialisable; pass a number or a string');
    case 'undefined':
      fail(path, 'undefined has no JSON form; use null');
    case 'function':
    case 'symbol':
      fail(path, `a ${typeof value} is not JSON-serialisable`);
    case 'object':
      if (value === null) return;
      if (ancestors.has(value)) fail(path, 'refers back to itself (a cycle has no JSON form)');
      ancestors.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          if (!(i in value)) fail(`${path}[${i}]`, 'is a hole in a sparse array (undefined has no JSON form)');
          check(value[i], `${path}[${i}]`, ancestors);
        }
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
          fail(path, `a ${name} is not a plain object or array; convert it to JSON data first`);
        }
        for (const [key, item] of Object.entries(value)) check(item, memberPath(path, key), ancestors);
      }
      ancestors.delete(value);
      return;
  }
}

function memberPath(path: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function fail(path: string, problem: string): never {
  throw new ProtocolError(`${path}: ${problem}`);
}
