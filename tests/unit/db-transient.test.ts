import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { describe, expect, it } from 'vitest';
import { causeLine, mysqlErrorCode } from '../../src/db/adapter-error.js';
import { databaseFault } from '../../src/db/fault.js';
import { isTransient, withRetry } from '../../src/db/transient.js';

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
    // MariaDB's pool could make no connection before its acquire timeout (the server is down).
    expect(isTransient(prismaError({ kind: 'mysql', code: 45028, state: 'HY000', originalCode: '45028' }))).toBe(true);
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
    expect(databaseFault(direct({ kind: 'TableDoesNotExist', table: 'celery_taskmeta' }))?.kind).toBe('no-tables');
    expect(causeLine(direct({ kind: 'mysql', code: 1146, message: 'x', state: '42S02', originalCode: '1146', originalMessage: "Table 'celery_taskmeta' doesn't exist" }))).toBe(
      "Table 'celery_taskmeta' doesn't exist (1146)",
    );
  });

  it('finds the adapter error through wrapping causes', () => {
    expect(isTransient(new Error('store failed', { cause: pgTerminated }))).toBe(true);
    expect(isTransient(new Error('a', { cause: new Error('b', { cause: new DriverAdapterError({ kind: 'SocketTimeout' }) }) }))).toBe(true);
    expect(databaseFault(new Error('x', { cause: prismaError({ kind: 'TableDoesNotExist' }) }))?.kind).toBe('no-tables');
    expect(mysqlErrorCode(prismaError({ kind: 'mysql', code: 1193, state: 'HY000' }))).toBe(1193);
    expect(mysqlErrorCode(new DriverAdapterError({ kind: 'mysql', code: 1193, message: 'x', state: 'HY000' }))).toBe(1193);
    expect(mysqlErrorCode(pgTerminated)).toBeUndefined();
  });

  it('retries Prisma\'s own codes for an unreachable server, a timed-out pool, a closed connection, a write conflict', () => {
    for (const code of ['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2034']) {
      expect(isTransient(Object.assign(new Error('prisma'), { code })), code).toBe(true);
    }
    expect(isTransient(Object.assign(new Error('prisma'), { code: 'P2002' }))).toBe(false);
    // P2010 (a raw query failed) says nothing by itself: its cause decides.
    expect(isTransient(prismaError({ kind: 'postgres', code: '23514' }))).toBe(false);
  });

  it('retries socket errors thrown as they are, or named by the adapter', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'EHOSTUNREACH']) {
      expect(isTransient(Object.assign(new Error('socket'), { code })), code).toBe(true);
      expect(isTransient(prismaError({ kind: 'postgres', code: 'N/A', originalCode: code })), code).toBe(true);
    }
    expect(isTransient(Object.assign(new Error('fs'), { code: 'ENOENT' }))).toBe(false);
  });

  it('retries PostgreSQL\'s connection class 08, lock and shutdown codes, and MySQL\'s by number or SQLSTATE 08', () => {
    for (const code of ['40001', '40P01', '55P03', '57P01', '57P02', '57P03', '53300', '08000', '08003', '08006', '08P01']) {
      expect(isTransient(prismaError({ kind: 'postgres', code })), code).toBe(true);
    }
    for (const code of [1205, 1213, 1040, 1053, 1927, 2006, 2013, 45009]) {
      expect(isTransient(prismaError({ kind: 'mysql', code, state: 'HY000' })), String(code)).toBe(true);
    }
    expect(isTransient(prismaError({ kind: 'mysql', code: 9999, state: '08S01' }))).toBe(true);
    expect(isTransient(prismaError({ kind: 'mysql', code: 1062, state: '23000' }))).toBe(false);
    expect(isTransient(prismaError({ kind: 'sqlite', extendedCode: 6 }))).toBe(true); // SQLITE_LOCKED
    expect(isTransient(prismaError({ kind: 'sqlite', extendedCode: 19 }))).toBe(false); // SQLITE_CONSTRAINT
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

describe('causeLine', () => {
  it('gives the database\'s message and code rather than Prisma\'s wrapping', () => {
    expect(causeLine(sqliteBusy)).toBe('database is locked (SQLITE_BUSY)');
    expect(causeLine(new Error('plain'))).toBe('plain');
  });
});
