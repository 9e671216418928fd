/**
 * The Python reprs a Celery worker puts in events, for values a Node task
 * had: args as a tuple (`(2, 3)`, `(1,)`), kwargs and results through
 * Celery's saferepr, exceptions as `TypeError('message')`. Pure.
 */
import type { JsonValue } from '../../core/protocol/json-value.js';
import { saferepr } from '../../core/protocol/saferepr.js';

/** Celery's resultrepr_maxsize and argsrepr limit. */
const MAX_REPR = 1024;

/** Anything a JS task returns, as the JSON value a Python worker would have seen (undefined → None). */
export function toJsonValue(value: unknown, depth = 0): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
    case 'object': {
      if (depth > 32) return '...';
      if (Array.isArray(value)) return value.map((v) => toJsonValue(v, depth + 1));
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
      const json = (value as { toJSON?: () => unknown }).toJSON;
      if (typeof json === 'function') return toJsonValue(json.call(value), depth + 1);
      const out: Record<string, JsonValue> = {};
      for (const [k, v] of Object.entries(value)) if (v !== undefined && typeof v !== 'function') out[k] = toJsonValue(v, depth + 1);
      return out;
    }
    default:
      return String(value);
  }
}

/** `(2, 3)`, `(1,)`, `()`: what Celery's argsrepr is for the tuple of args. */
export function argsRepr(args: unknown): string {
  const list = Array.isArray(args) ? args.map((a) => toJsonValue(a)) : [];
  const inner = saferepr(list, MAX_REPR).slice(1, -1);
  return list.length === 1 ? `(${inner},)` : `(${inner})`;
}

export function kwargsRepr(kwargs: unknown): string {
  const value = toJsonValue(kwargs);
  return saferepr(value !== null && typeof value === 'object' && !Array.isArray(value) ? value : {}, MAX_REPR);
}

export function resultRepr(result: unknown): string {
  return saferepr(toJsonValue(result), MAX_REPR);
}

/** Python's repr of a str: single quotes unless the text has ' and no ", with \\, \\n, \\t and such escaped. */
export function pythonStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${quote}${out}${quote}`;
}

/** `ValueError('boom')` for an Error; `Error('…')` with the text of anything else thrown. */
export function exceptionRepr(error: unknown): string {
  if (error instanceof Error) {
    const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(error.name) ? error.name : 'Error';
    return `${name}(${pythonStrRepr(error.message)})`;
  }
  return `Error(${pythonStrRepr(typeof error === 'string' ? error : resultRepr(error))})`;
}

/** The stack as the traceback, or the repr when there is none. */
export function tracebackOf(error: unknown): string {
  return error instanceof Error && typeof error.stack === 'string' ? error.stack : exceptionRepr(error);
}
