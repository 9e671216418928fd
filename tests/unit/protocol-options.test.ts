// Options of buildTaskMessage beyond the captures: defaults, routing,
// expiry edge cases, and the input that is refused with a ProtocolError.
import { describe, expect, it } from 'vitest';
import {
  buildTaskMessage,
  declarationsFor,
  ProtocolError,
  type TaskMessageOptions,
} from '../../src/core/protocol/index.js';

const NOW = new Date('2026-11-29T10:00:00.000Z');
const base: TaskMessageOptions = { task: 'tasks.add', args: [1, 2], kwargs: {}, origin: 'gen42@host' };
const build = (options: Partial<TaskMessageOptions> = {}) => buildTaskMessage({ ...base, ...options }, NOW);

describe('defaults', () => {
  it('fills what Python fills', () => {
    const message = build();
    expect(message.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(message.properties).toMatchObject({ correlationId: message.id, replyTo: '', priority: 0 });
    expect(message.properties.expiration).toBeUndefined();
    expect(message.properties.headers).toMatchObject({
      lang: 'py',
      root_id: message.id,
      argsrepr: '[1, 2]',
      kwargsrepr: '{}',
      retries: { '!': 'int', value: 0 },
      timelimit: [null, null],
      ignore_result: false,
    });
    const emptyRoot = build({ rootId: '' });
    expect(emptyRoot.properties.headers.root_id).toBe(emptyRoot.id);
  });

  it('writes no arguments as the empty tuple, as Celery does', () => {
    const message = build({ args: [] });
    expect(message.properties.headers.argsrepr).toBe('()');
    expect(message.content.toString()).toBe('[[], {}, {"callbacks": null, "errbacks": null, "chain": null, "chord": null}]');
  });
});

describe('routing', () => {
  it('sends to the default queue through the default exchange', () => {
    expect(build()).toMatchObject({ exchange: '', routingKey: 'celery', queue: 'celery' });
  });

  it('sends to a named queue without a priority, as Celery 5.2.6 does', () => {
    const message = build({ queue: 'reports' });
    expect(message).toMatchObject({ exchange: '', routingKey: 'reports', queue: 'reports' });
    expect('priority' in message.properties).toBe(false);
    expect(build({ queue: 'reports', priority: 5 }).properties.priority).toBe(5);
  });

  it('sends through an explicit exchange as given, declaring nothing', () => {
    expect(build({ exchange: 'ex', routingKey: 'a.b' })).toMatchObject({ exchange: 'ex', routingKey: 'a.b', queue: null });
    expect(build({ exchange: '', routingKey: 'q' })).toMatchObject({ exchange: '', routingKey: 'q', queue: null });
  });

  it.each<[Partial<TaskMessageOptions>, RegExp]>([
    [{ exchange: 'ex' }, /exchange and routingKey go together/],
    [{ routingKey: 'k' }, /exchange and routingKey go together/],
    [{ queue: 'q', exchange: 'ex', routingKey: 'k' }, /either queue or exchange/],
    [{ queue: '' }, /queue must not be empty/],
    [{ queue: 'q'.repeat(256) }, /longer than 255 bytes/],
  ])('refuses %o', (options, message) => {
    expect(() => build(options)).toThrow(message);
  });

  it('declares a queue as kombu does', () => {
    expect(declarationsFor('celery')).toEqual({
      exchange: {
        name: 'celery',
        type: 'direct',
        options: { durable: true, autoDelete: false, internal: false, arguments: {} },
      },
      queue: { name: 'celery', options: { durable: true, exclusive: false, autoDelete: false, arguments: {} } },
      binding: { queue: 'celery', exchange: 'celery', routingKey: 'celery' },
    });
  });
});

describe('eta, countdown and expires', () => {
  it('turns a countdown into an eta from now; 0 means none', () => {
    expect(build({ countdown: 1.5 }).properties.headers.eta).toBe('2026-11-29T10:00:01.500000+00:00');
    expect(build({ countdown: 0 }).properties.headers.eta).toBeNull();
  });

  it('gives RabbitMQ the remaining milliseconds', () => {
    expect(build({ expires: 0.1 }).properties).toMatchObject({ expiration: '100' });
    expect(build({ expires: new Date(NOW.getTime() + 1234) }).properties.expiration).toBe('1234');
    expect(build({ expires: '2026-11-29T12:00:00+02:00' }).properties.expiration).toBe('0');
    expect(build({ expires: '2026-11-29T10:00:05' }).properties.expiration).toBe('5000');
  });

  it('sends an already expired task with expiration "0", never negative', () => {
    const past = build({ expires: new Date(NOW.getTime() - 60_000) });
    expect(past.properties.expiration).toBe('0');
    expect(past.properties.headers.expires).toBe('2026-11-29T09:59:00+00:00');
    expect(build({ expires: -5 }).properties.expiration).toBe('0');
  });

  it.each<[Partial<TaskMessageOptions>, RegExp]>([
    [{ eta: NOW, countdown: 5 }, /eta or countdown, not both/],
    [{ countdown: Number.NaN }, /countdown must be a finite number/],
    [{ expires: Number.POSITIVE_INFINITY }, /expires must be a finite number/],
    [{ eta: 'next tuesday' }, /eta: "next tuesday" is not an ISO 8601 date-time/],
    [{ expires: new Date(Number.NaN) }, /expires: invalid Date/],
  ])('refuses %o', (options, message) => {
    expect(() => build(options)).toThrow(message);
  });

  it('refuses an invalid clock', () => {
    expect(() => buildTaskMessage(base, new Date(Number.NaN))).toThrow(/now: invalid Date/);
  });
});

describe('refused input', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;

  it.each<[string, Partial<TaskMessageOptions>, RegExp]>([
    ['an empty task name', { task: '' }, /task must be a non-empty string/],
    ['an empty origin', { origin: '' }, /origin must be a non-empty string/],
    ['a BigInt', { args: [1n] }, /args\[0\]: a BigInt is not JSON-serialisable/],
    ['a cycle', { kwargs: cyclic }, /kwargs\.self: refers back to itself/],
    ['undefined', { kwargs: { a: undefined } }, /kwargs\.a: undefined has no JSON form/],
    ['a function', { args: [() => 1] }, /args\[0\]: a function is not JSON-serialisable/],
    ['NaN', { args: [[Number.NaN]] }, /args\[0\]\[0\]: NaN has no JSON form/],
    ['a Date', { kwargs: { 'when is': new Date() } }, /kwargs\["when is"\]: a Date is not a plain object/],
    ['a sparse array', { args: [, 1] }, /args\[0\]: is a hole/],
    // celery-node sends null kwargs; the Python worker rejects the task
    // ("Task keyword arguments is not a mapping") yet reports success.
    ['null kwargs', { kwargs: null as unknown as Record<string, unknown> }, /kwargs must be an object \(got null\)/],
    ['array kwargs', { kwargs: [] as unknown as Record<string, unknown> }, /kwargs must be an object \(got an array\)/],
    ['non-array args', { args: { 0: 1 } as unknown as unknown[] }, /args must be an array/],
    ['a bad priority', { priority: 256 }, /priority must be an integer from 0 to 255/],
    ['negative retries', { retries: -1 }, /retries must be a number of at least 0/],
    ['a fractional retry count', { retries: 1.5 }, /retries: 1.5 is not an integer/],
    ['a standard header as custom', { headers: { retries: 2 } }, /headers\.retries: set by the message itself/],
    ["amqplib's type escape", { headers: { x: { '!': 'int', value: 1 } } }, /"!" is reserved by amqplib/],
    ['an index-like header name', { headers: { '7': 'a' } }, /looks like an array index/],
    ['an undefined header', { headers: { x: undefined } }, /headers\.x: a undefined cannot be a header value/],
    ['a non-string shadow', { shadow: 5 as unknown as string }, /shadow must be a string or null/],
  ])('%s', (_name, options, message) => {
    const attempt = () => build(options);
    expect(attempt).toThrow(ProtocolError);
    expect(attempt).toThrow(message);
    try {
      attempt();
    } catch (error) {
      expect((error as ProtocolError).code).toBe('E_PROTOCOL');
    }
  });

  it('keeps custom headers after the standard ones, in the order given', () => {
    const keys = Object.keys(build({ headers: { 'x-b': 1, 'x-a': 'a' } }).properties.headers);
    expect(keys.slice(-3)).toEqual(['ignore_result', 'x-b', 'x-a']);
  });
});
