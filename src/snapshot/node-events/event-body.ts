/**
 * Celery event bodies written exactly as a Python worker writes them
 * (tests/fixtures/README.md, Events): fields in the order hostname, utcoffset,
 * pid, clock, the type's own fields, timestamp, type; Python json.dumps
 * spacing and ASCII escapes; floats that Python holds as floats (freq,
 * timestamp, runtime, loadavg) keep their `.0`. Pure.
 */
import { pythonJsonDumps } from '../../core/protocol/python-json.js';
import { pythonNumber } from '../../core/protocol/python-number.js';
import type { JsonValue } from '../../core/protocol/json-value.js';
import type { OutboundMessage } from '../../broker/fanout.js';

/** A number Python holds as a float: 2 is written `2.0`. */
export class PyFloat {
  constructor(readonly value: number) {}
}

export type FieldValue = JsonValue | PyFloat | PyFloat[];
export type Fields = readonly (readonly [string, FieldValue])[];

export function pythonFloat(n: number): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? 'Infinity' : '-Infinity';
  if (!Number.isInteger(n)) return pythonNumber(n);
  // Integral floats: Python prints 2.0, and from 1e16 up the exponent form 1e+16.
  if (Math.abs(n) < 1e16) return `${pythonNumber(n)}.0`;
  const [mantissa = '', exponent = '0'] = n.toExponential().split('e');
  const power = Number(exponent);
  return `${mantissa}e${power < 0 ? '-' : '+'}${String(Math.abs(power)).padStart(2, '0')}`;
}

function dump(value: FieldValue): string {
  if (value instanceof PyFloat) return pythonFloat(value.value);
  if (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof PyFloat)) {
    return `[${(value as PyFloat[]).map((v) => pythonFloat(v.value)).join(', ')}]`;
  }
  return pythonJsonDumps(value as JsonValue);
}

export interface Sender {
  hostname: string;
  /** Hours west of UTC, floored (Python's time.timezone // 3600). */
  utcoffset: number;
  pid: number;
}

/** One event object as JSON text. `timestamp` is epoch seconds. */
export function eventJson(type: string, sender: Sender, clock: number, fields: Fields, timestamp: number): string {
  const parts = [
    `"hostname": ${pythonJsonDumps(sender.hostname)}`,
    `"utcoffset": ${pythonNumber(sender.utcoffset)}`,
    `"pid": ${pythonNumber(sender.pid)}`,
    `"clock": ${pythonNumber(clock)}`,
  ];
  for (const [key, value] of fields) parts.push(`${pythonJsonDumps(key)}: ${dump(value)}`);
  parts.push(`"timestamp": ${pythonFloat(timestamp)}`, `"type": ${pythonJsonDumps(type)}`);
  return `{${parts.join(', ')}}`;
}

/** Hours west of UTC as Python computes them: `time.timezone // 3600` (altzone in DST). */
export function utcoffsetHoursWest(at: Date = new Date()): number {
  return Math.floor(at.getTimezoneOffset() / 60);
}

/** `worker-heartbeat` → `worker.heartbeat`: Celery's routing key for a single event. */
export const routingKeyOf = (type: string): string => type.replace(/-/g, '.');

/** An event message as celery.events.EventDispatcher publishes it: JSON, transient, priority 0, the sender in a `hostname` header. */
export function eventMessage(exchange: string, hostname: string, routingKey: string, body: string): OutboundMessage {
  return {
    exchange,
    routingKey,
    body: Buffer.from(body),
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    deliveryMode: 1,
    priority: 0,
    headers: { hostname },
  };
}
