import { describe, expect, it } from 'vitest';
import { decodeEvents } from '../../src/snapshot/events/decode.js';
import { readCeleryFixture, readFixtureText } from '../support/celery-fixtures.js';

interface MessageRecord {
  case: string;
  routing_key: string;
  properties: { content_type: string; content_encoding: string };
  body_b64: string;
  body: unknown;
  event_types: string[];
}

const celeryRun = readCeleryFixture<MessageRecord[]>('events.json');

const started = (uuid: string, clock: number) => ({ hostname: 'w1@vm', utcoffset: 0, pid: 1, clock, uuid, timestamp: 1795946320.5, type: 'task-started' });

describe('decoding celeryev bodies', () => {
  it('decodes every message of a real worker run, objects and task.multi arrays alike', () => {
    let events = 0;
    for (const record of celeryRun) {
      const decoded = decodeEvents(Buffer.from(record.body_b64, 'base64'), {
        contentType: record.properties.content_type,
        contentEncoding: record.properties.content_encoding,
      });
      expect(decoded.problems, record.case).toEqual([]);
      expect(decoded.events, record.case).toEqual(Array.isArray(record.body) ? record.body : [record.body]);
      expect(decoded.events.map((e) => e.type)).toEqual(record.event_types);
      events += decoded.events.length;
    }
    expect(celeryRun).toHaveLength(164);
    expect(events).toBe(171);
  });

  it('keeps both tasks of a batch that mixes them, in order', () => {
    const mixed = celeryRun.find((r) => r.routing_key === 'task.multi' && r.event_types.length === 2)!;
    const decoded = decodeEvents(Buffer.from(mixed.body_b64, 'base64'), { contentType: 'application/json', contentEncoding: 'utf-8' });
    expect(decoded.events.map((e) => e.type)).toEqual(['task-succeeded', 'task-received']);
    const [a, b] = decoded.events.map((e) => ('uuid' in e ? e.uuid : null));
    expect(a).not.toBe(b);
  });

  it('reads amqplib deliveries as they come (camelCase properties), with the null result a celery-node task gives', () => {
    const lines = readFixtureText('celery-node-0.5.9/python-worker-events-for-celery-node-tasks.jsonl').trim().split('\n');
    const decoded = lines.map((line) => {
      const record = JSON.parse(line) as { body_b64: string; properties: { contentType: string; contentEncoding: string } };
      return decodeEvents(Buffer.from(record.body_b64, 'base64'), record.properties);
    });
    expect(decoded.flatMap((d) => d.problems)).toEqual([]);
    const events = decoded.flatMap((d) => d.events);
    expect(events).toHaveLength(17);
    expect(events).toContainEqual(expect.objectContaining({ type: 'task-succeeded', result: null, runtime: null }));
  });

  it('accepts a string body and a missing content type', () => {
    expect(decodeEvents(JSON.stringify([started('a', 1)])).events).toHaveLength(1);
  });

  it('reports a body it cannot read instead of throwing', () => {
    expect(decodeEvents('{"type": "task-started", ')).toEqual({
      events: [],
      problems: [{ reason: 'malformed-json', index: null, detail: expect.any(String) }],
    });
    expect(decodeEvents('', {}).problems[0]?.reason).toBe('malformed-json');
    expect(decodeEvents('{}', { contentType: 'application/x-python-serialize' }).problems).toEqual([
      { reason: 'unsupported-content-type', index: null, detail: 'content type application/x-python-serialize is not application/json' },
    ]);
    expect(decodeEvents('{}', { contentType: 'application/json', contentEncoding: 'binary' }).problems[0]?.reason).toBe('unsupported-encoding');
    expect(decodeEvents('42').problems[0]).toMatchObject({ reason: 'not-an-object', index: null });
  });

  it('keeps the good events of a batch and reports each bad one with its position', () => {
    const body = [
      started('a', 1),
      7,
      null,
      [started('b', 2)],
      { hostname: 'w1@vm', timestamp: 1 },
      { ...started('c', 3), type: 'task-progress' },
      { ...started('d', 4), type: 'worker-sleepy' },
      { ...started('e', 5), uuid: 5 },
      { ...started('f', 6), hostname: undefined },
      { ...started('g', 7), timestamp: '1795946320.5' },
      { ...started('h', 8), clock: '8' },
      { ...started('i', 9), type: 'task-succeeded', result: { value: 5 } },
      { hostname: 'w1@vm', timestamp: 1, type: 'worker-heartbeat', loadavg: ['0.1'] },
      started('j', 10),
    ];
    const decoded = decodeEvents(Buffer.from(JSON.stringify(body)), { contentType: 'application/json', contentEncoding: 'utf-8' });
    expect(decoded.events.map((e) => ('uuid' in e ? e.uuid : e.type))).toEqual(['a', 'j']);
    expect(decoded.problems.map((p) => [p.index, p.reason])).toEqual([
      [1, 'not-an-object'],
      [2, 'not-an-object'],
      [3, 'not-an-object'],
      [4, 'missing-type'],
      [5, 'unknown-type'],
      [6, 'unknown-type'],
      [7, 'invalid-field'],
      [8, 'invalid-field'],
      [9, 'invalid-field'],
      [10, 'invalid-field'],
      [11, 'invalid-field'],
      [12, 'invalid-field'],
    ]);
    expect(decoded.problems[4]?.detail).toBe('unknown event type "task-progress"');
    expect(decoded.problems[10]?.detail).toBe('task-succeeded i: "result" must be a string or null');
    expect(decoded.problems[11]?.detail).toBe('worker-heartbeat: "loadavg" must be an array of numbers or null');
  });

  it('accepts a heartbeat that lacks active, processed and loadavg (the reply to a heartbeat broadcast)', () => {
    const reply = { hostname: 'w1@vm', utcoffset: 0, pid: 1, clock: 3, freq: 5, sw_ident: 'py-celery', sw_ver: '5.2.6', sw_sys: 'Linux', timestamp: 1, type: 'worker-heartbeat' };
    expect(decodeEvents(JSON.stringify(reply))).toEqual({ events: [reply], problems: [] });
  });
});
