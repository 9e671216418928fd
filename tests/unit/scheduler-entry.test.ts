// The entry model: rows validated into entries, due state with an injected
// clock, and the message an entry sends, checked against the beat message
// Python Celery 5.2.6 sent (tests/fixtures).
import { describe, expect, it } from 'vitest';
import { buildTaskMessage } from '../../src/core/protocol/index.js';
import {
  afterRun,
  effectiveLastRun,
  entryDueState,
  entryFromRow,
  messageOptionsFor,
  nextDueAt,
  SchedulerError,
  type PeriodicTaskRow,
} from '../../src/scheduler/index.js';
import { readCeleryFixture } from '../support/celery-fixtures.js';
import { periodicRow } from '../support/periodic-row.js';

const T0 = new Date('2026-05-04T12:00:00Z'); // a Monday
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function row(overrides: Partial<PeriodicTaskRow> = {}): PeriodicTaskRow {
  return periodicRow({ args: '[1, 2]', lastRunAt: T0, dateChanged: at(-3600), changeVersion: 7, ...overrides });
}

function invalid(overrides: Partial<PeriodicTaskRow>): { field: string | undefined; message: string } {
  try {
    entryFromRow(row(overrides));
  } catch (error) {
    if (error instanceof SchedulerError) {
      expect(error.code).toBe('E_ENTRY_INVALID');
      expect(error.entry).toBe('entry');
      return { field: error.field, message: error.message };
    }
    throw error;
  }
  throw new Error('expected the row to be refused');
}

describe('entryFromRow', () => {
  it('parses a good row', () => {
    const entry = entryFromRow(row({ kwargs: '{"a": "é"}', headers: '{"x-n": 1}', queue: 'q' }));
    expect(entry).toMatchObject({ args: [1, 2], kwargs: { a: 'é' }, headers: { 'x-n': 1 }, route: { queue: 'q' }, changeVersion: 7 });
    expect(entry.schedule.describe()).toBe('every 10 seconds');
  });

  it("takes Django admin's empty strings for unset fields", () => {
    const entry = entryFromRow(row({ args: '', kwargs: ' ', headers: '', queue: '', exchange: '', routingKey: '' }));
    expect(entry).toMatchObject({ args: [], kwargs: {}, headers: {}, route: {} });
  });

  it('refuses bad rows with the field and the reason', () => {
    expect(invalid({ args: '[1,' })).toEqual({ field: 'args', message: expect.stringMatching(/^periodic task "entry": args is not valid JSON \(.+\): "\[1,"$/) });
    expect(invalid({ args: '{"a": 1}' }).message).toContain('args must be a JSON list');
    expect(invalid({ kwargs: '[1]' }).field).toBe('kwargs');
    expect(invalid({ headers: '"x"' }).field).toBe('headers');
    expect(invalid({ interval: null })).toMatchObject({ field: 'schedule', message: expect.stringContaining('found none') });
    expect(invalid({ crontab: { minute: '0' } })).toMatchObject({ field: 'schedule', message: expect.stringContaining('found interval and crontab') });
    expect(invalid({ interval: null, crontab: { minute: '0', timezone: 'Nowhere/City' } })).toMatchObject({ field: 'crontab.timezone' });
    expect(invalid({ interval: null, crontab: { hour: '24' } })).toMatchObject({ field: 'crontab.hour' });
    expect(invalid({ interval: { every: 0, period: 'seconds' } })).toMatchObject({ field: 'interval.every' });
    expect(invalid({ interval: { every: 1, period: 'fortnights' } })).toMatchObject({ field: 'interval.period' });
    expect(invalid({ priority: 256 }).field).toBe('priority');
    expect(invalid({ expireSeconds: 0 }).field).toBe('expire_seconds');
    expect(invalid({ exchange: 'x' }).field).toBe('routing_key');
    expect(invalid({ queue: 'a', routingKey: 'b' }).field).toBe('routing_key');
    expect(invalid({ task: ' ' }).field).toBe('task');
    const long = 'x'.repeat(500);
    expect(invalid({ args: long }).message.length).toBeLessThan(200);
  });

  it('routes as Celery publishes: exchange and key, a key alone, a queue, or the default queue', () => {
    expect(entryFromRow(row({ exchange: 'x', routingKey: 'k', queue: 'ignored' })).route).toEqual({ exchange: 'x', routingKey: 'k' });
    expect(entryFromRow(row({ routingKey: 'k' })).route).toEqual({ exchange: '', routingKey: 'k' });
    expect(entryFromRow(row({ routingKey: 'q', queue: 'q' })).route).toEqual({ exchange: '', routingKey: 'q' });
    expect(entryFromRow(row()).route).toEqual({});
  });
});

describe('entry timing', () => {
  it('counts a never-run entry from its last change, as django-celery-beat does', () => {
    const entry = entryFromRow(row({ lastRunAt: null, dateChanged: T0 }));
    expect(effectiveLastRun(entry)).toEqual(T0);
    expect(entryDueState(entry, at(5))).toMatchObject({ due: false, nextCheckSeconds: 5 });
    expect(entryDueState(entry, at(10)).due).toBe(true);
  });

  it('runs a never-run entry with a start_time at that time, and not before', () => {
    const entry = entryFromRow(row({ lastRunAt: null, startTime: at(30), dateChanged: T0 }));
    expect(entryDueState(entry, at(10))).toMatchObject({ due: false, nextCheckSeconds: 20 });
    expect(entryDueState(entry, at(30)).due).toBe(true);
  });

  it('sleeps until the next crontab run in its zone', () => {
    const entry = entryFromRow(row({ interval: null, crontab: { minute: '30', hour: '14', timezone: 'Europe/Berlin' } }));
    // 12:00Z is 14:00 in Berlin (CEST): next 14:30 Berlin = 12:30Z.
    expect(nextDueAt(entry, T0)).toEqual(at(1800));
  });

  it('finishes a one-off entry after its run and an entry past its expiry', () => {
    const once = entryFromRow(row({ oneOff: true }));
    expect(entryDueState(once, at(60))).toMatchObject({ due: false, finished: true, expired: false });
    const expiring = entryFromRow(row({ expires: at(20) }));
    expect(entryDueState(expiring, at(10)).due).toBe(true);
    expect(entryDueState(expiring, at(20))).toMatchObject({ due: false, finished: true, expired: true });
    expect(nextDueAt(expiring, at(20))).toBeNull();
  });

  it('after a run counts from that run', () => {
    const entry = afterRun(entryFromRow(row()), at(15));
    expect(entry).toMatchObject({ lastRunAt: at(15), totalRunCount: 4 });
    expect(nextDueAt(entry, at(15))).toEqual(at(25));
  });
});

describe('the message an entry sends', () => {
  const captures = readCeleryFixture<
    { case: string; headers: Record<string, unknown>; properties: Record<string, unknown>; body_b64: string; routing_key: string; exchange: string }[]
  >('task-messages.json');

  it("matches Python beat's message for the same entry, byte for byte in the body", () => {
    const capture = captures.find((c) => c.case === 'beat:tasks.add')!;
    const entry = entryFromRow(row({ args: '[1, 2]' }));
    const message = buildTaskMessage(
      { ...messageOptionsFor(entry, capture.headers.origin as string), id: capture.headers.id as string },
      T0,
    );
    expect(message.content.equals(Buffer.from(capture.body_b64, 'base64'))).toBe(true);
    expect({ exchange: message.exchange, routingKey: message.routingKey }).toEqual({ exchange: capture.exchange, routingKey: capture.routing_key });
    const headers = Object.fromEntries(
      Object.entries(message.properties.headers).map(([k, v]) => [k, typeof v === 'object' && v !== null && '!' in v ? (v as { value: unknown }).value : v]),
    );
    expect(headers).toEqual(capture.headers);
    expect(Object.keys(message.properties.headers)).toEqual(Object.keys(capture.headers));
    expect(message.properties).toMatchObject({ priority: 0, correlationId: capture.headers.id, deliveryMode: 2 });
  });

  it('carries expiry (seconds after the send, or the instant), priority, headers and routing', () => {
    const seconds = buildTaskMessage(messageOptionsFor(entryFromRow(row({ expireSeconds: 10, priority: 3 })), 'gen1@h'), T0);
    expect(seconds.properties).toMatchObject({ expiration: '10000', priority: 3 });
    expect(seconds.properties.headers.expires).toBe('2026-05-04T12:00:10+00:00');
    const instant = buildTaskMessage(messageOptionsFor(entryFromRow(row({ expires: at(60), expireSeconds: 10 })), 'gen1@h'), T0);
    expect(instant.properties.expiration).toBe('60000');
    const routed = buildTaskMessage(messageOptionsFor(entryFromRow(row({ queue: 'q', headers: '{"x-a": "b"}' })), 'gen1@h'), T0);
    expect(routed).toMatchObject({ exchange: '', routingKey: 'q', queue: 'q' });
    expect(routed.properties.priority).toBeUndefined(); // Celery 5.2.6 sends none for an explicit queue
    expect(routed.properties.headers['x-a']).toBe('b');
  });
});
