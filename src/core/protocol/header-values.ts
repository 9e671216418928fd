import { ProtocolError } from './errors.js';
import type { JsonObject, JsonValue } from './json-value.js';

/**
 * A header value in the form amqplib encodes with a fixed AMQP type tag.
 * amqplib picks the tag of a bare JS integer by its size ('b' int8, 's'
 * int16, 'I' int32, 'l' int64), and py-amqp 5.1.1, which Python workers
 * use, reads 'b' as unsigned and 's' as a short *string*: `timelimit:
 * [300, 200]` made every worker connection fail on "Unknown value in
 * table" and redeliver the message forever. So every number is wrapped with
 * amqplib's `{'!': type}` escape: integers as 'int' (tag 'I', signed int32,
 * what Python itself sends) and other numbers as 'double' (tag 'd').
 */
export type AmqpInt = { readonly '!': 'int'; readonly value: number };
export type AmqpDouble = { readonly '!': 'double'; readonly value: number };
export type HeaderValue =
  | null
  | boolean
  | string
  | AmqpInt
  | AmqpDouble
  | readonly HeaderValue[]
  | { readonly [key: string]: HeaderValue };

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/**
 * An integer outside int32 is refused rather than sent another way: Python
 * sends those as 'L', which it alone reads as signed int64 (py-amqp reads
 * amqplib's 'l' as *unsigned*, so -2**40 would arrive as 2**64 - 2**40),
 * and a double would hand the task a float where it expects an int.
 */
export function int32Header(value: number, what: string): AmqpInt {
  if (!Number.isInteger(value)) throw new ProtocolError(`${what}: ${value} is not an integer`);
  if (value < INT32_MIN || value > INT32_MAX) {
    throw new ProtocolError(
      `${what}: ${value} is outside the signed 32-bit range ${INT32_MIN}..${INT32_MAX} that AMQP headers can carry ` +
        'to a Python worker intact; send it as a string',
    );
  }
  return { '!': 'int', value };
}

/** Checks a header value given by the caller and wraps its numbers (see HeaderValue). */
export function headerValue(value: unknown, what: string): HeaderValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new ProtocolError(`${what}: ${value} cannot be sent`);
      return Number.isInteger(value) ? int32Header(value, what) : { '!': 'double', value };
    case 'object':
      if (value === null) return null;
      // Array.from visits holes, so a sparse array is refused instead of
      // failing inside amqplib's encoder.
      if (Array.isArray(value)) return Array.from(value, (item, i) => headerValue(item, `${what}[${i}]`));
      if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
        return headerTable(value as Record<string, unknown>, what);
      }
      throw new ProtocolError(`${what}: only strings, numbers, booleans, null, arrays and plain objects can be headers`);
    default:
      throw new ProtocolError(`${what}: a ${typeof value} cannot be a header value`);
  }
}

function headerTable(table: Record<string, unknown>, what: string): Record<string, HeaderValue> {
  const out: Record<string, HeaderValue> = {};
  for (const [key, item] of Object.entries(table)) {
    checkHeaderName(key, what);
    out[key] = headerValue(item, `${what}.${key}`);
  }
  return out;
}

/**
 * Field names are AMQP short strings (at most 255 bytes). '!' would turn the
 * table into one of amqplib's type escapes. A name that is an array index
 * ("7") cannot keep its place, since JS objects list those first.
 */
export function checkHeaderName(name: string, what: string): void {
  if (Buffer.byteLength(name, 'utf8') > 255) throw new ProtocolError(`${what}: header name ${JSON.stringify(name.slice(0, 40))}... is longer than 255 bytes`);
  if (name === '!') throw new ProtocolError(`${what}: "!" is reserved by amqplib for typed values`);
  if (/^(0|[1-9]\d*)$/.test(name) && Number(name) < 2 ** 32 - 1) {
    throw new ProtocolError(`${what}: header name ${JSON.stringify(name)} looks like an array index, and JS would reorder it`);
  }
}

/**
 * A header value as plain JSON, for transports that carry headers as JSON
 * (kombu's Redis envelope): the AMQP type escapes become bare numbers.
 */
function plainHeaderValue(value: HeaderValue | number): JsonValue {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(plainHeaderValue);
  if (isTyped(value)) return value.value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) out[key] = plainHeaderValue(item);
  return out;
}

/** Headers as plain JSON, for transports that carry JSON (Redis); a bare number is taken as it is. */
export function plainHeaders(headers: Readonly<Record<string, HeaderValue | number>>): JsonObject {
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(headers)) out[name] = plainHeaderValue(value);
  return out;
}

const isTyped = (value: object): value is AmqpInt | AmqpDouble => '!' in value;
