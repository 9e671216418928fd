import { describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  InvalidStateError,
  InvalidTaskIdError,
  ResultEncodeError,
  ResultTooLargeError,
} from '../../src/backend/errors.js';
import { resolveOptions } from '../../src/backend/options.js';
import { buildWrite, type TaskDetails } from '../../src/backend/task-write.js';

const settings = resolveOptions({ maxResultBytes: 1024 });
const now = new Date('2030-01-02T03:04:05.000Z');
const build = (taskId: unknown, state: unknown, result: unknown, details: TaskDetails = {}, options = settings) =>
  buildWrite(taskId, state, result, details, options, now);

describe('buildWrite', () => {
  it('stores a result as JSON, a void task\'s undefined as null', () => {
    expect(build('t', 'SUCCESS', { n: 1 }).write).toMatchObject({ taskId: 't', status: 'SUCCESS', result: '{"n":1}', dateDone: now });
    expect(build('t', 'SUCCESS', undefined).write.result).toBe('null');
  });

  it('stores an Error as Celery stores exceptions, with its stack as the traceback', () => {
    class QuotaError extends Error {}
    const error = new QuotaError('over quota');
    const { write } = build('t', 'FAILURE', error);
    expect(JSON.parse(write.result!)).toEqual({ exc_type: 'QuotaError', exc_message: ['over quota'], exc_module: 'javascript' });
    expect(write.traceback).toBe(error.stack);
    expect(JSON.parse(build('t', 'FAILURE', 'plain text').write.result!)).toEqual({
      exc_type: 'Error',
      exc_message: ['plain text'],
      exc_module: 'javascript',
    });
  });

  it('keeps an exception already in Celery\'s shape (from a Python worker) as it is', () => {
    const info = { exc_type: 'ValueError', exc_message: ['bad'], exc_module: 'builtins' };
    expect(JSON.parse(build('t', 'FAILURE', info, { traceback: 'Traceback…' }).write.result!)).toEqual(info);
  });

  it('turns an unserialisable SUCCESS into a stored FAILURE (EncodeError) and an error for the caller', () => {
    const built = build('t', 'SUCCESS', { big: 1n });
    expect(built.write.status).toBe('FAILURE');
    expect(JSON.parse(built.write.result!)).toEqual({
      exc_type: 'EncodeError',
      exc_message: ['task t: result.big is a BigInt (1n); convert it to a string or a number first'],
      exc_module: 'kombu.exceptions',
    });
    expect(built.error).toBeInstanceOf(ResultEncodeError);
    expect(built.error?.code).toBe('E_RESULT_ENCODE');
  });

  it('replaces a result over the cap by a marker exception, never cut JSON', () => {
    const built = build('t', 'SUCCESS', 'x'.repeat(2000));
    expect(built.write.status).toBe('FAILURE');
    expect(JSON.parse(built.write.result!)).toMatchObject({ exc_type: 'ResultTooLargeError', exc_module: 'prisma_celery' });
    expect(built.error).toBeInstanceOf(ResultTooLargeError);
    expect(built.error).toMatchObject({ bytes: 2002, limit: 1024 });
    // An unready state keeps its state: the task is still running.
    expect(build('t', 'PROGRESS', 'x'.repeat(2000)).write.status).toBe('PROGRESS');
  });

  it('cuts a traceback over the cap, and drops args over the cap with an event', () => {
    const built = build('t', 'FAILURE', new Error('x'), { traceback: 'y'.repeat(5000), args: ['z'.repeat(5000)] });
    expect(Buffer.byteLength(built.write.traceback!)).toBeLessThanOrEqual(1024);
    expect(built.write.args).toBeNull();
    expect(built.events).toEqual([{ type: 'args-dropped', taskId: 't', bytes: 5004 }]);
  });

  it('redacts args and kwargs through the hook, or stores none', () => {
    const redacting = resolveOptions({
      redactArgs: ({ args, kwargs }) => ({ args, kwargs: { ...(kwargs as object), password: '***' } }),
    });
    const { write } = build('t', 'STARTED', null, { name: 'login', args: [1], kwargs: { password: 'hunter2' } }, redacting);
    expect([write.args, write.kwargs]).toEqual(['[1]', '{"password":"***"}']);
    const none = build('t', 'STARTED', null, { args: [1], kwargs: {} }, resolveOptions({ storeArgs: false })).write;
    expect([none.args, none.kwargs]).toEqual([null, null]);
  });

  it.each([
    ['', InvalidTaskIdError, 'task id must not be empty'],
    [42, InvalidTaskIdError, 'task id must be a string, got number'],
    ['x'.repeat(256), InvalidTaskIdError, 'task id is 256 characters long; at most 255 fit'],
  ])('refuses task id %j', (id, type, message) => {
    expect(() => build(id, 'SUCCESS', 1)).toThrow(type);
    expect(() => build(id, 'SUCCESS', 1)).toThrow(message);
  });

  it('counts characters, not UTF-16 units, against the 255 limit', () => {
    expect(build('😀'.repeat(255), 'SUCCESS', 1).write.taskId).toHaveLength(510);
  });

  it.each([['success'], [''], [3], ['NOT A STATE'], [null]])('refuses state %j', (state) => {
    expect(() => build('t', state, 1)).toThrow(InvalidStateError);
  });

  it('refuses details of the wrong type before anything is written', () => {
    expect(() => build('t', 'STARTED', null, { retries: -1 })).toThrow(InvalidArgumentError);
    expect(() => build('t', 'STARTED', null, { name: 7 as unknown as string })).toThrow('name must be a string, got number');
    expect(() => build('t', 'STARTED', null, { args: [1n] })).toThrow('args[0] is a BigInt');
    expect(() => build('t', 'STARTED', null, { dateStarted: new Date(NaN) })).toThrow('dateStarted must be a valid Date');
    expect(() => build('t', 'SUCCESS', 1, { children: 'x' as unknown as unknown[] })).toThrow('children must be an array');
  });
});
