// Event bodies a Node worker sends must be byte-for-byte what a Python
// worker sends for the same values (events.json), and the reprs must be
// Python's.
import { describe, expect, it } from 'vitest';
import { eventJson, PyFloat, pythonFloat, routingKeyOf, utcoffsetHoursWest } from '../../src/snapshot/node-events/event-body.js';
import { argsRepr, exceptionRepr, kwargsRepr, pythonStrRepr, resultRepr } from '../../src/snapshot/node-events/python-repr.js';
import { readCeleryFixture } from '../support/celery-fixtures.js';

const records = readCeleryFixture<{ routing_key: string; body_text: string }[]>('events.json');

const sender = { hostname: 'w1@vm', utcoffset: 0, pid: 17465 };

function captured(type: string): Record<string, unknown> & { text: string } {
  for (const record of records) {
    const body = JSON.parse(record.body_text) as unknown;
    const events = (Array.isArray(body) ? body : [body]) as Record<string, unknown>[];
    const found = events.find((e) => e.type === type);
    // A one-event body: its text is the event's text (arrays add only brackets).
    if (found !== undefined && events.length === 1) {
      const text = Array.isArray(body) ? record.body_text.slice(1, -1) : record.body_text;
      return { ...found, text };
    }
  }
  throw new Error(`no ${type} in events.json`);
}

describe('event bodies', () => {
  it('writes worker-online exactly as Celery 5.2.6', () => {
    const e = captured('worker-online');
    const loadavg = (e.loadavg as number[]).map((n) => new PyFloat(n));
    const fields = [
      ['freq', new PyFloat(e.freq as number)],
      ['active', e.active],
      ['processed', e.processed],
      ['loadavg', loadavg],
      ['sw_ident', e.sw_ident],
      ['sw_ver', e.sw_ver],
      ['sw_sys', e.sw_sys],
    ] as const;
    expect(eventJson('worker-online', sender, e.clock as number, fields as never, e.timestamp as number)).toBe(e.text);
  });

  it('writes task-received, task-succeeded and task-failed exactly as Celery 5.2.6', () => {
    for (const type of ['task-received', 'task-succeeded', 'task-failed']) {
      const e = captured(type);
      const skip = new Set(['hostname', 'utcoffset', 'pid', 'clock', 'timestamp', 'type', 'text']);
      const fields = Object.entries(e)
        .filter(([k]) => !skip.has(k))
        .map(([k, v]) => [k, k === 'runtime' ? new PyFloat(v as number) : v] as const);
      expect(eventJson(type, sender, e.clock as number, fields as never, e.timestamp as number)).toBe(e.text);
    }
  });

  it('spells floats as Python does', () => {
    expect(pythonFloat(2)).toBe('2.0');
    expect(pythonFloat(0.048)).toBe('0.048');
    expect(pythonFloat(1e16)).toBe('1e+16');
    expect(pythonFloat(1795946315.045141)).toBe('1795946315.045141');
  });

  it('routes by type and counts utcoffset in hours west', () => {
    expect(routingKeyOf('worker-heartbeat')).toBe('worker.heartbeat');
    expect(utcoffsetHoursWest(new Date())).toBe(Math.floor(new Date().getTimezoneOffset() / 60));
  });
});

describe('Python reprs', () => {
  it('writes args as a tuple and kwargs and results through saferepr', () => {
    expect(argsRepr([2, 3])).toBe('(2, 3)');
    expect(argsRepr([42])).toBe('(42,)');
    expect(argsRepr([])).toBe('()');
    expect(argsRepr([1, 'x', null, true])).toBe("(1, 'x', None, True)");
    expect(kwargsRepr({ k: 'v' })).toBe("{'k': 'v'}");
    expect(kwargsRepr(null)).toBe('{}');
    expect(resultRepr(5)).toBe('5');
    expect(resultRepr(undefined)).toBe('None');
    expect(resultRepr({ a: [1, 2] })).toBe("{'a': [1, 2]}");
  });

  it('writes exceptions as Python reprs them', () => {
    expect(exceptionRepr(new TypeError('bad input'))).toBe("TypeError('bad input')");
    expect(exceptionRepr(new Error("it's"))).toBe('Error("it\'s")');
    expect(pythonStrRepr('a\nb\\')).toBe("'a\\nb\\\\'");
    expect(exceptionRepr('plain')).toBe("Error('plain')");
  });
});
