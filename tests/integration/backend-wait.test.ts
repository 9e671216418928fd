// Waiting on real databases, and the MySQL/MariaDB isolation warning
// (emitted on MariaDB only, once per backend; never on PostgreSQL or SQLite).
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { PrismaResultBackend, TaskFailedError, TaskTimeoutError, TX_ISOLATION_WARNING } from '../../src/backend/index.js';
import { IsolationCheck, STALE_AFTER_MS } from '../../src/backend/isolation.js';
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
    it('warns once per check when a missing id is still missing after a while under REPEATABLE-READ', async () => {
      let now = 0;
      const check = new IsolationCheck(db, () => now);
      await check.missed('iso-missing');
      await check.missed('iso-other');
      now = STALE_AFTER_MS - 1;
      await check.missed('iso-missing');
      await settle();
      expect(warnings).toHaveLength(0); // an ordinary wait polls a missing id a few times
      now = STALE_AFTER_MS;
      await check.missed('iso-missing');
      await settle();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]!.message).toMatch(/still not stored after 5 s.*REPEATABLE-READ.*READ-COMMITTED/s);
      expect((warnings[0] as Error & { code?: string }).code).toBe('PRISMA_CELERY_TX_ISOLATION');
      for (let i = 0; i < 3; i++) await check.missed('iso-other');
      await settle();
      expect(warnings).toHaveLength(1);
    });

    it('does not warn about a wait that ends as waits do', async () => {
      const backend = new PrismaResultBackend(db);
      try {
        for (let i = 0; i < 4; i++) await backend.getTaskMeta('iso-quick');
        await backend.markSucceeded('iso-quick', 1);
        await expect(backend.waitFor('iso-quick')).resolves.toBe(1);
        await settle();
        expect(warnings).toHaveLength(0);
      } finally {
        await backend.close();
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
