// The wire form of built task messages, read through amqplib's own encoder:
// every captured Python Celery 5.2.6 message the builder can express,
// compared byte for byte (header order, values, AMQP type tags, raw
// basic-properties bytes, body bytes), and integer headers that py-amqp
// reads back as the same integers.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildTaskMessage, ProtocolError, type TaskMessage, type TaskMessageOptions } from '../../src/core/protocol/index.js';
import { readFixture } from '../support/celery-fixtures.js';

interface Capture {
  case: string;
  exchange: string;
  routing_key: string;
  properties: Record<string, unknown>;
  headers: Record<string, unknown>;
  header_types: Record<string, unknown>;
  properties_raw_b64: string;
  body_b64: string;
  body: [unknown[], Record<string, unknown>, unknown];
}

const captures = readFixture<Capture[]>('celery-5.2.6/task-messages.json');

// amqplib's encoder, reached by file path because its package exports hide lib/.
const require = createRequire(import.meta.url);
const amqplibDir = dirname(require.resolve('amqplib'));
const codec = require(join(amqplibDir, 'lib/codec.js')) as {
  encodeTable(buffer: Buffer, value: unknown, offset: number): number;
  decodeFields(slice: Buffer): Record<string, unknown>;
};
const defs = require(join(amqplibDir, 'lib/defs.js')) as {
  BasicProperties: number;
  encodeProperties(id: number, channel: number, size: number, fields: unknown): Buffer;
};
const apiArgs = require(join(amqplibDir, 'lib/api_args.js')) as {
  publish(exchange: string, routingKey: string, options: unknown): unknown;
};

/** The header table exactly as amqplib puts it on the wire. */
function encodeHeaders(headers: unknown): Buffer {
  const buffer = Buffer.alloc(65536);
  return buffer.subarray(0, codec.encodeTable(buffer, headers, 0));
}

/** The AMQP type tag of every value in an encoded table, in the fixtures' notation. */
function typeTags(table: Buffer): Record<string, unknown> {
  const tags: Record<string, unknown> = {};
  let offset = 4;
  const end = 4 + table.readUInt32BE(0);
  while (offset < end) {
    const keyLength = table.readUInt8(offset);
    const key = table.toString('utf8', offset + 1, offset + 1 + keyLength);
    const [tag, next] = valueTag(table, offset + 1 + keyLength);
    tags[key] = tag;
    offset = next;
  }
  return tags;
}

const FIXED_SIZES: Record<string, number> = { V: 0, t: 1, b: 1, B: 1, s: 2, u: 2, I: 4, i: 4, f: 4, l: 8, L: 8, d: 8, T: 8, D: 5 };

function valueTag(buffer: Buffer, offset: number): [unknown, number] {
  const tag = String.fromCharCode(buffer.readUInt8(offset));
  const start = offset + 1;
  const fixed = FIXED_SIZES[tag];
  if (fixed !== undefined) return [tag, start + fixed];
  const length = buffer.readUInt32BE(start);
  if (tag === 'S' || tag === 'x') return [tag, start + 4 + length];
  if (tag === 'F') return [{ F: typeTags(buffer.subarray(start, start + 4 + length)) }, start + 4 + length];
  if (tag === 'A') {
    const items: unknown[] = [];
    let at = start + 4;
    while (at < start + 4 + length) {
      const [item, next] = valueTag(buffer, at);
      items.push(item);
      at = next;
    }
    return [{ A: items }, at];
  }
  throw new Error(`unknown tag ${tag}`);
}

/** Basic-properties bytes (flags + fields) as amqplib's publish would send them. */
function rawProperties(message: TaskMessage): Buffer {
  const fields = apiArgs.publish(message.exchange, message.routingKey, message.properties);
  const frame = defs.encodeProperties(defs.BasicProperties, 1, message.content.length, fields);
  // frame header (7) + class id, weight, body size (12) ... frame end (1)
  return frame.subarray(19, frame.length - 1);
}

interface CaseSpec {
  options?: Partial<TaskMessageOptions>;
  /** The clock the Python client would have read, derived from the capture. */
  now?: (capture: Capture) => Date;
  /** Python passed a tuple, whose repr is "(1, 2)"; the builder writes the list form. */
  tupleArgs?: boolean;
  /** A header computed from the clock, whose microseconds a Date cannot hold. */
  clockHeader?: 'eta' | 'expires';
}

const FIXED_NOW = new Date('2026-11-29T09:55:00.000Z');
const headerTime = (capture: Capture, name: string): number => Date.parse(String(capture.headers[name]));

const CASES: Record<string, CaseSpec> = {
  plain_args: { tupleArgs: true },
  args_kwargs_json_types: {},
  countdown: {
    options: { countdown: 30 },
    now: (c) => new Date(headerTime(c, 'eta') - 30_000),
    tupleArgs: true,
    clockHeader: 'eta',
  },
  // An ISO string is sent as given, so the microseconds and the +02:00 or
  // missing offset survive (a Date would be written in UTC, to the ms).
  eta_aware_utc: { options: { eta: '2030-01-02T03:04:05.678901+00:00' }, tupleArgs: true },
  eta_aware_plus0200: { options: { eta: '2030-01-02T03:04:05+02:00' }, tupleArgs: true },
  eta_naive: { options: { eta: '2030-01-02T03:04:05' }, tupleArgs: true },
  expires_seconds: {
    options: { expires: 120 },
    now: (c) => new Date(headerTime(c, 'expires') - 120_000),
    tupleArgs: true,
    clockHeader: 'expires',
  },
  expires_datetime: {
    options: { expires: '2030-01-02T03:04:05.678901+00:00' },
    now: (c) => new Date(headerTime(c, 'expires') - Number(c.properties.expiration)),
    tupleArgs: true,
  },
  explicit_queue: { options: { queue: 'interop.q' }, tupleArgs: true },
  explicit_exchange_routing_key: { options: { exchange: 'interop.topic', routingKey: 'interop.key.x' }, tupleArgs: true },
  priority: { options: { priority: 7 }, tupleArgs: true },
  custom_headers: { options: { headers: { 'x-trace-id': 'abc123', 'x-int': 42, 'x-bool': true } }, tupleArgs: true },
  ignore_result: { options: { ignoreResult: true }, tupleArgs: true },
  time_limits: { options: { timeLimit: 60, softTimeLimit: 30 }, tupleArgs: true },
  shadow_name: { options: { shadow: 'custom.shadow.name' }, tupleArgs: true },
  send_task_unregistered: {},
  'group[0]': { options: { group: '05c71853-f1bb-42ef-9dd2-c451bfdd41f2' }, tupleArgs: true },
  'group[1]': { options: { group: '05c71853-f1bb-42ef-9dd2-c451bfdd41f2' }, tupleArgs: true },
  'beat:remote.only_name': {},
  'beat:tasks.add': {},
  'beat:tasks.echo': {
    options: { expires: 10, priority: 3 },
    now: (c) => new Date(headerTime(c, 'expires') - 10_000),
    clockHeader: 'expires',
  },
};

// Canvas messages carry signatures in the body's embed, which the builder
// never writes (beat sends none): link_callback has `callbacks`, chain has
// the remaining steps in `chain`.
const SKIPPED: Record<string, string> = {
  link_callback: 'link= puts a callback signature in the embed; no canvas in the builder',
  chain: 'the embed holds the remaining chain steps; no canvas in the builder',
};

/** The capture's clock-derived timestamp as a Date can give it: microseconds 4-6 zeroed. */
const toMilliseconds = (iso: string): string => iso.replace(/(\.\d{3})\d{3}/, '$1000');

function build(capture: Capture, spec: CaseSpec, extra: Partial<TaskMessageOptions> = {}): TaskMessage {
  const [args, kwargs] = capture.body;
  return buildTaskMessage(
    {
      task: String(capture.headers.task),
      id: String(capture.headers.id),
      args,
      kwargs,
      origin: String(capture.headers.origin),
      replyTo: String(capture.properties.reply_to),
      ...spec.options,
      ...extra,
    },
    spec.now?.(capture) ?? FIXED_NOW,
  );
}

describe('task messages match Celery 5.2.6 captures', () => {
  it('covers every captured case, as built or as skipped', () => {
    expect(captures.map((c) => c.case).sort()).toEqual([...Object.keys(CASES), ...Object.keys(SKIPPED)].sort());
  });

  for (const capture of captures) {
    // Cases the builder cannot express are listed in SKIPPED with the reason.
    if (SKIPPED[capture.case] !== undefined) continue;
    const spec = CASES[capture.case]!;

    it(`${capture.case}`, () => {
      const expectedHeaders = { ...capture.headers };
      let expectedRaw = Buffer.from(capture.properties_raw_b64, 'base64');
      if (spec.clockHeader) {
        const captured = String(capture.headers[spec.clockHeader]);
        const ours = toMilliseconds(captured);
        expectedHeaders[spec.clockHeader] = ours;
        // Same length, so the raw bytes differ in those three digits only.
        expectedRaw = Buffer.from(expectedRaw.toString('latin1').replace(captured, ours), 'latin1');
      }

      const message = build(capture, spec);
      if (spec.tupleArgs) {
        const tuple = String(capture.headers.argsrepr);
        expect(tuple).toMatch(/^\(.*\)$/);
        expect(message.properties.headers.argsrepr).toBe(`[${tuple.slice(1, -1)}]`);
      } else {
        expect(message.properties.headers.argsrepr).toBe(capture.headers.argsrepr);
      }
      // From here on, with Python's tuple repr given as Celery's argsrepr option.
      const exact = spec.tupleArgs ? build(capture, spec, { argsrepr: String(capture.headers.argsrepr) }) : message;

      expect(exact.exchange).toBe(capture.exchange);
      expect(exact.routingKey).toBe(capture.routing_key);
      expect(exact.content.equals(Buffer.from(capture.body_b64, 'base64'))).toBe(true);

      const table = encodeHeaders(exact.properties.headers);
      expect(Object.keys(exact.properties.headers)).toEqual(Object.keys(capture.headers));
      expect(codec.decodeFields(table.subarray(4))).toEqual(expectedHeaders);
      expect(typeTags(table)).toEqual(capture.header_types);

      const { headers: _headers, ...properties } = exact.properties;
      expect(properties).toEqual({
        contentType: capture.properties.content_type,
        contentEncoding: capture.properties.content_encoding,
        deliveryMode: capture.properties.delivery_mode,
        ...(capture.properties.priority === undefined ? {} : { priority: capture.properties.priority }),
        correlationId: capture.properties.correlation_id,
        replyTo: capture.properties.reply_to,
        ...(capture.properties.expiration === undefined ? {} : { expiration: capture.properties.expiration }),
      });
      expect(rawProperties(exact).toString('hex')).toBe(expectedRaw.toString('hex'));
    });
  }

  it('writes a Date eta or expires in UTC to the millisecond', () => {
    const capture = captures.find((c) => c.case === 'expires_datetime')!;
    const spec = CASES.expires_datetime!;
    const expires = new Date(headerTime(capture, 'expires'));
    const message = build(capture, spec, { expires, eta: expires });
    expect(message.properties.headers.expires).toBe('2030-01-02T03:04:05.678000+00:00');
    expect(message.properties.headers.eta).toBe('2030-01-02T03:04:05.678000+00:00');
    expect(message.properties.expiration).toBe(capture.properties.expiration);
  });
});

interface AmqplibCapture {
  case: string;
  headers: Record<string, unknown>;
  header_types: Record<string, unknown>;
  py_amqp_decode_error?: string;
}

const amqplibCaptures = readFixture<AmqplibCapture[]>('amqplib-2.3.1/int-header-encoding.json');

describe('integer headers', () => {
  const base: TaskMessageOptions = { task: 'tasks.echo', id: 'i', args: [], kwargs: {}, origin: 'gen1@test' };
  const tagsOf = (options: Partial<TaskMessageOptions>): Record<string, unknown> =>
    typeTags(encodeHeaders(buildTaskMessage({ ...base, ...options }, FIXED_NOW).properties.headers));

  it('reads the captured wire tags the way the fixture recorded them', () => {
    // Bare numbers, as the capture tool sent them: the 'b'/'s' tags that
    // broke the Python worker. Checks the tag reader against the capture.
    const plain = amqplibCaptures.find((c) => c.case.includes('plain_numbers'))!;
    expect(plain.py_amqp_decode_error).toMatch(/Unknown value in table/);
    expect(typeTags(encodeHeaders(plain.headers))).toEqual(plain.header_types);
  });

  it("sends the captured poison message's integers as int32", () => {
    const tags = tagsOf({
      timeLimit: 300,
      softTimeLimit: 200,
      retries: 0,
      headers: { 'x-neg': -1, 'x-small': 5, 'x-int32': 70000 },
    });
    expect(tags).toMatchObject({ retries: 'I', timelimit: { A: ['I', 'I'] }, 'x-neg': 'I', 'x-small': 'I', 'x-int32': 'I' });
  });

  it('covers the whole int32 range, nested values too, and sends other numbers as doubles', () => {
    const headers = {
      min: -(2 ** 31),
      max: 2 ** 31 - 1,
      zero: 0,
      nested: { list: [1, -2, { deep: 3 }], ratio: 0.25 },
      big: 2.5e9 + 0.5,
    };
    const message = buildTaskMessage({ ...base, headers, retries: 3, timeLimit: 2.5 }, FIXED_NOW);
    const table = encodeHeaders(message.properties.headers);
    expect(typeTags(table)).toMatchObject({
      retries: 'I',
      timelimit: { A: ['d', 'V'] },
      min: 'I',
      max: 'I',
      zero: 'I',
      nested: { F: { list: { A: ['I', 'I', { F: { deep: 'I' } }] }, ratio: 'd' } },
      big: 'd',
    });
    expect(codec.decodeFields(table.subarray(4))).toMatchObject({ retries: 3, timelimit: [2.5, null], ...headers });
  });

  it.each([2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER])('refuses the integer %d, which no tag carries to Python intact', (n) => {
    expect(() => tagsOf({ headers: { 'x-n': n } })).toThrow(ProtocolError);
    expect(() => tagsOf({ headers: { 'x-n': n } })).toThrow(/headers\.x-n: .* outside the signed 32-bit range/);
    expect(() => tagsOf({ retries: n })).toThrow(/retries/);
    expect(() => tagsOf({ timeLimit: n })).toThrow(/timeLimit/);
  });
});
