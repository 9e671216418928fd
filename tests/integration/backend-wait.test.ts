// Waiting on real databases, and the MySQL/MariaDB isolation warning
// (emitted on MariaDB only, once per backend; never on PostgreSQL or SQLite).
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { PrismaResultBackend, TaskFailedError, TaskTimeoutError, TX_ISOLATION_WARNING } from '../../src/backend/index.js';
import { describeEachDatabase } from '../support/databases.js';

const later = (ms: number, run: () => Promise<unknown>): Promise<unknown> =>
  new Promise((resolve, reject) => setTimeout(() => run().then(resolve, reject), ms));

describeEachDatabase('result backend waits', (testDb) => {
  let db: Database;
  let backend: PrismaResultBackend;
  const warnings: Error[] = [];
  const onWarning = (warning: Error): void => {
    if (warning.name === TX_ISOLATION_WARNING) warnings.push(warning);
  };

  beforeAll(async () => {
    db = await testDb.open();
    backend = new PrismaResultBackend(db, { pollInterval: 20 });
    process.on('warning', onWarning);
  });
  afterAll(async () => {
    process.off('warning', onWarning);
    await backend?.close();
  });
  afterEach(() => {
    warnings.length = 0;
  });

  // process.emitWarning delivers on the next tick.
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('resolves with the result once another writer stores SUCCESS', async () => {
    const [value] = await Promise.all([backend.waitFor('w-ok', { timeout: 5000 }), later(60, () => backend.markSucceeded('w-ok', { sum: 5 }))]);
    expect(value).toEqual({ sum: 5 });
  });

  it('rejects with the stored error on FAILURE and on REVOKED', async () => {
    const [failure] = await Promise.all([
      backend.waitFor('w-fail', { timeout: 5000 }).catch((e: unknown) => e),
      later(40, () => backend.markFailed('w-fail', new RangeError('out of range'))),
    ]);
    expect(failure).toBeInstanceOf(TaskFailedError);
    expect(failure).toMatchObject({ taskId: 'w-fail', state: 'FAILURE', excType: 'RangeError', excMessage: ['out of range'] });
    expect((failure as TaskFailedError).traceback).toMatch(/^RangeError: out of range\n/);
    await backend.markRevoked('w-revoked', 'terminated');
    await expect(backend.waitFor('w-revoked')).rejects.toMatchObject({ state: 'REVOKED', excType: 'TaskRevokedError', excMessage: ['terminated'] });
  });

  it('rejects with TaskTimeoutError when nothing is stored in time, and honours an abort', async () => {
    const started = Date.now();
    const error = await backend.waitFor('w-never', { timeout: 150, interval: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskTimeoutError);
    expect(error).toMatchObject({ taskId: 'w-never', timeout: 150, lastState: 'PENDING' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);

    await backend.markStarted('w-running');
    const controller = new AbortController();
    const waiting = backend.waitFor('w-running', { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop waiting')), 50);
    await expect(waiting).rejects.toThrow('stop waiting');
  });

  if (testDb.provider === 'mysql') {
    it('warns once per backend when a missing id is polled again under REPEATABLE-READ', async () => {
      const first = new PrismaResultBackend(db);
      const second = new PrismaResultBackend(db);
      try {
        await first.getTaskMeta('iso-missing');
        await first.getTaskMeta('iso-other');
        await settle();
        expect(warnings).toHaveLength(0); // a miss of each id is not yet a poll
        await first.getTaskMeta('iso-missing');
        await settle();
        expect(warnings).toHaveLength(1);
        expect(warnings[0]!.message).toMatch(/REPEATABLE-READ.*READ-COMMITTED/s);
        expect((warnings[0] as Error & { code?: string }).code).toBe('PRISMA_CELERY_TX_ISOLATION');
        for (let i = 0; i < 3; i++) await first.getTaskMeta('iso-missing');
        await settle();
        expect(warnings).toHaveLength(1);

        await second.getTaskMeta('iso-other');
        await second.getTaskMeta('iso-other');
        await settle();
        expect(warnings).toHaveLength(2);
      } finally {
        await first.close();
        await second.close();
      }
    });
  } else {
    it('never warns about isolation on PostgreSQL or SQLite', async () => {
      const fresh = new PrismaResultBackend(db);
      try {
        for (let i = 0; i < 4; i++) await fresh.getTaskMeta('iso-missing');
        await settle();
        expect(warnings).toHaveLength(0);
      } finally {
        await fresh.close();
      }
    });
  }
});
