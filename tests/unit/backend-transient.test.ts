import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { describe, expect, it } from 'vitest';
import { describeDatabaseError, isMissingSchema, isTransient, withRetry } from '../../src/backend/transient.js';

// Shaped as Prisma 7 raises a failed raw query: P2010 with the adapter's
// mapped error in meta (captured from real runs against each database).
const prismaError = (cause: Record<string, unknown>) =>
  Object.assign(new Error('Raw query failed'), { code: 'P2010', meta: { driverAdapterError: { name: 'DriverAdapterError', cause } } });

const sqliteBusy = prismaError({ originalCode: 'SQLITE_BUSY', originalMessage: 'database is locked', kind: 'SocketTimeout' });
const pgTerminated = prismaError({ originalCode: '57P01', kind: 'postgres', code: '57P01', severity: 'FATAL', message: 'terminating connection' });
const mysqlKilled = prismaError({ originalCode: '45009', kind: 'mysql', code: 45009, message: 'socket has unexpectedly been closed', state: '08S01' });
const uniqueViolation = prismaError({ originalCode: '23505', kind: 'UniqueConstraintViolation' });

describe('isTransient', () => {
  it('retries busy, terminated, killed, deadlocked and write-conflicted statements', () => {
    expect(isTransient(sqliteBusy)).toBe(true);
    expect(isTransient(pgTerminated)).toBe(true);
    expect(isTransient(mysqlKilled)).toBe(true);
    expect(isTransient(prismaError({ kind: 'mysql', code: 1213, state: '40001' }))).toBe(true);
    expect(isTransient(prismaError({ kind: 'mysql', code: 1205, state: 'HY000' }))).toBe(true);
    expect(isTransient(prismaError({ kind: 'TransactionWriteConflict' }))).toBe(true);
    expect(isTransient(prismaError({ kind: 'postgres', code: '08006' }))).toBe(true);
    expect(isTransient(prismaError({ kind: 'sqlite', extendedCode: 261 }))).toBe(true); // SQLITE_BUSY_RECOVERY
  });

  it('does not retry what another try cannot fix', () => {
    expect(isTransient(uniqueViolation)).toBe(false);
    expect(isTransient(prismaError({ kind: 'postgres', code: '22P02' }))).toBe(false);
    expect(isTransient(new TypeError('bug'))).toBe(false);
    expect(isTransient(null)).toBe(false);
  });

  it('reads the adapter\'s own errors (db.sql\'s direct path) by the same codes', () => {
    const direct = (cause: ConstructorParameters<typeof DriverAdapterError>[0]) => new DriverAdapterError(cause);
    const noDetail = { detail: undefined, column: undefined, hint: undefined };
    expect(isTransient(direct({ kind: 'postgres', code: '57P01', severity: 'FATAL', message: 'terminating connection', ...noDetail }))).toBe(true);
    expect(isTransient(direct({ kind: 'mysql', code: 45009, message: 'socket closed', state: '08S01' }))).toBe(true);
    expect(isTransient(direct({ kind: 'SocketTimeout' }))).toBe(true);
    expect(isTransient(direct({ kind: 'sqlite', extendedCode: 6, message: 'database table is locked' }))).toBe(true);
    expect(isTransient(direct({ kind: 'UniqueConstraintViolation', constraint: { fields: ['task_id'] } }))).toBe(false);
    expect(isTransient(direct({ kind: 'postgres', code: '22P02', severity: 'ERROR', message: 'bad input', ...noDetail }))).toBe(false);
    expect(isMissingSchema(direct({ kind: 'TableDoesNotExist', table: 'celery_taskmeta' }))).toBe(true);
    expect(describeDatabaseError(direct({ kind: 'mysql', code: 1146, message: 'x', state: '42S02', originalCode: '1146', originalMessage: "Table 'celery_taskmeta' doesn't exist" }))).toBe(
      "Table 'celery_taskmeta' doesn't exist (1146)",
    );
  });

  it('finds the adapter error through wrapping causes', () => {
    expect(isTransient(new Error('store failed', { cause: pgTerminated }))).toBe(true);
    expect(isMissingSchema(new Error('x', { cause: prismaError({ kind: 'TableDoesNotExist' }) }))).toBe(true);
  });
});

describe('withRetry', () => {
  const policy = { attempts: 3, minDelayMs: 1, maxDelayMs: 4 };

  it('tries again after transient errors, with growing bounded waits', async () => {
    const notices: number[] = [];
    let calls = 0;
    const value = await withRetry(
      async () => {
        if (++calls < 3) throw sqliteBusy;
        return 'ok';
      },
      policy,
      (notice) => notices.push(notice.delayMs),
      () => 1,
    );
    expect([value, calls, notices]).toEqual(['ok', 3, [1, 2]]);
  });

  it('gives up after the attempts, and at once on other errors', async () => {
    let calls = 0;
    await expect(withRetry(() => (calls++, Promise.reject(sqliteBusy)), policy, () => {})).rejects.toBe(sqliteBusy);
    expect(calls).toBe(3);
    calls = 0;
    await expect(withRetry(() => (calls++, Promise.reject(uniqueViolation)), policy, () => {})).rejects.toBe(uniqueViolation);
    expect(calls).toBe(1);
  });
});

describe('describeDatabaseError', () => {
  it('gives the database\'s message and code rather than Prisma\'s wrapping', () => {
    expect(describeDatabaseError(sqliteBusy)).toBe('database is locked (SQLITE_BUSY)');
    expect(describeDatabaseError(new Error('plain'))).toBe('plain');
  });
});
