// Eager mode's checks, which all happen before any database work: a backend
// on an unreachable server proves that nothing was attempted.
import { describe, expect, it } from 'vitest';
import { BackendDatabaseError, createEagerClient, EagerTaskFailedError, InvalidArgumentError, PrismaResultBackend, TaskFailedError } from '../../src/backend/index.js';

const unreachable = (): PrismaResultBackend => new PrismaResultBackend('postgresql://nobody@127.0.0.1:1/none');

describe('createEagerClient', () => {
  it('does no I/O until a task is sent', async () => {
    const backend = unreachable();
    const eager = createEagerClient({ 'tasks.add': (a: number, b: number) => a + b }, backend);
    await eager.disconnect();
    await backend.close();
  });

  it('refuses what is not a worker or an object of functions, and bad options', () => {
    const backend = unreachable();
    expect(() => createEagerClient(null as never, backend)).toThrow(InvalidArgumentError);
    expect(() => createEagerClient({}, backend, { hostname: '' })).toThrow(/hostname must be a non-empty string/);
    expect(() => createEagerClient({}, backend, { queue: 3 as never })).toThrow(/queue must be a non-empty string/);
  });

  it('checks a send before running anything', () => {
    let ran = false;
    const eager = createEagerClient({ 'tasks.x': () => (ran = true) }, unreachable());
    expect(() => eager.sendTask('')).toThrow(/needs a task name/);
    expect(() => eager.sendTask('tasks.x', {} as never)).toThrow(/args must be an array/);
    expect(() => eager.sendTask('tasks.x', [], [] as never)).toThrow(/kwargs must be an object/);
    expect(() => eager.sendTask('tasks.x', [1n])).toThrow(/args and kwargs must be JSON/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => eager.sendTask('tasks.x', [], cyclic)).toThrow(InvalidArgumentError);
    expect(ran).toBe(false);
  });

  it('rejects get() with the database error when nothing could be stored, and never runs the task', async () => {
    let ran = false;
    const backend = new PrismaResultBackend('postgresql://nobody@127.0.0.1:1/none', { retry: { attempts: 1 } });
    const eager = createEagerClient({ 'tasks.x': () => (ran = true) }, backend);
    const result = eager.sendTask('tasks.x');
    await expect(result.get(10_000)).rejects.toBeInstanceOf(BackendDatabaseError);
    await expect(result.status()).rejects.toMatchObject({ code: 'E_BACKEND_DATABASE' });
    expect(ran).toBe(false);
    await eager.disconnect();
    await backend.close();
  });
});

describe('EagerTaskFailedError', () => {
  it("carries Celery's field names next to TaskFailedError's", () => {
    const error = new EagerTaskFailedError({
      task_id: 't1',
      status: 'REVOKED',
      result: { exc_type: 'TaskRevokedError', exc_message: ['revoked'], exc_module: 'celery.exceptions' },
      traceback: null,
      children: [],
      date_done: null,
    });
    expect(error).toBeInstanceOf(TaskFailedError);
    expect(error).toMatchObject({
      code: 'E_TASK_FAILED',
      taskId: 't1',
      state: 'REVOKED',
      excType: 'TaskRevokedError',
      exc_type: 'TaskRevokedError',
      exc_message: ['revoked'],
      exc_module: 'celery.exceptions',
    });
    expect(error.message).toBe('task t1 REVOKED: TaskRevokedError: revoked');
  });
});
