// Classifying database and broker errors by code, and the one line each
// becomes. The error objects are shaped as the drivers, the adapters and
// Prisma raise them (captured from real runs against each server).
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { describe, expect, it } from 'vitest';
import { BrokerError, brokerFault, vhostOf } from '../../src/broker/amqp/errors.js';
import { explain, type ExplainContext } from '../../src/cli/explain.js';
import { flagOptions, parseCommandLine } from '../../src/cli/flags.js';
import { schedulePriority, scheduleCrontab, scheduleEvery, scheduleName } from '../../src/config/settings.js';
import { causeLine } from '../../src/db/adapter-error.js';
import { databaseFault, DatabaseFaultError } from '../../src/db/fault.js';
import { openDatabase } from '../../src/db/open.js';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { MigrationError } from '../../src/errors.js';

const nodeError = (code: string, message: string) => Object.assign(new Error(message), { code, errno: -1, syscall: 'connect' });
const pgError = (code: string, message: string) => Object.assign(new Error(message), { name: 'error', code, severity: 'FATAL' });
const mariadbError = (errno: number, sqlState: string, message: string) =>
  Object.assign(new Error(`(conn:1, no: ${errno}, SQLState: ${sqlState}) ${message}`), { name: 'SqlError', errno, sqlState, sqlMessage: message, code: 'ER_X' });
const prismaError = (cause: Record<string, unknown>) =>
  Object.assign(new Error('\nInvalid `prisma.periodicTask.findMany()` invocation in\n/app/x.ts:1:2\n\n→ 1 …\n\nThe cause'), {
    name: 'PrismaClientKnownRequestError',
    code: 'P2010',
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });

describe('databaseFault', () => {
  it('reads Node, PostgreSQL, MariaDB, adapter and Prisma codes, not messages', () => {
    expect(databaseFault(nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND nohost'))).toEqual({ kind: 'host-not-found', detail: 'getaddrinfo ENOTFOUND nohost' });
    expect(databaseFault(nodeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'))?.kind).toBe('unreachable');
    expect(databaseFault(pgError('28000', 'role "x" does not exist'))).toEqual({ kind: 'access-denied', detail: 'role "x" does not exist' });
    expect(databaseFault(pgError('3D000', 'database "x" does not exist'))?.kind).toBe('no-database');
    expect(databaseFault(mariadbError(1049, '42000', "Unknown database 'x'"))).toEqual({ kind: 'no-database', detail: "Unknown database 'x'" });
    expect(databaseFault(mariadbError(1698, '28000', "Access denied for user 'x'@'h'"))?.kind).toBe('access-denied');
    expect(databaseFault(mariadbError(45012, '08S01', 'Connection timeout: failed to create socket after 3001ms'))?.kind).toBe('timeout');
    expect(databaseFault(new DriverAdapterError({ kind: 'DatabaseNotReachable', host: 'h', port: 1 }))?.kind).toBe('unreachable');
    expect(databaseFault(prismaError({ kind: 'TableDoesNotExist', originalCode: '42P01', originalMessage: 'relation "x" does not exist' }))).toEqual({
      kind: 'no-tables',
      detail: 'relation "x" does not exist',
    });
    expect(databaseFault(prismaError({ kind: 'sqlite', extendedCode: 26, message: 'file is not a database' }))?.kind).toBe('not-sqlite');
    expect(databaseFault(Object.assign(new Error('x'), { code: 'P1001' }))?.kind).toBe('unreachable');
  });

  it('takes the innermost fault: the refusal behind a wrapping error', () => {
    const wrapped = new MigrationError('E_MIGRATION_DATABASE', 'cannot read', { cause: pgError('28P01', 'password authentication failed for user "app"') });
    expect(databaseFault(wrapped)).toEqual({ kind: 'access-denied', detail: 'password authentication failed for user "app"' });
  });

  it('has no fault for errors that are not about reaching or finding the database', () => {
    expect(databaseFault(new TypeError('bug'))).toBeUndefined();
    expect(databaseFault(pgError('22P02', 'invalid input syntax'))).toBeUndefined();
    expect(databaseFault(prismaError({ kind: 'UniqueConstraintViolation' }))).toBeUndefined();
  });
});

describe('openDatabase', () => {
  it('says a SQLite directory is missing as a fault, not as the driver\'s TypeError', async () => {
    await expect(openDatabase('file:/no/such/directory/app.db')).rejects.toMatchObject({
      name: 'DatabaseFaultError',
      fault: { kind: 'no-directory', detail: 'directory /no/such/directory does not exist' },
    });
  });
});

describe('causeLine', () => {
  it("gives the database's own words, not Prisma's header", () => {
    expect(causeLine(prismaError({ kind: 'postgres', originalCode: '42P01', originalMessage: 'relation "djcelery_periodictasks" does not exist' }))).toBe(
      'relation "djcelery_periodictasks" does not exist (42P01)',
    );
    const plain = Object.assign(new Error('\nInvalid `prisma.$queryRawUnsafe()` invocation:\n\n\nThe table `main.x` does not exist in the current database.'), {
      name: 'PrismaClientKnownRequestError',
    });
    expect(causeLine(plain)).toBe('The table `main.x` does not exist in the current database.');
    expect(causeLine(new DriverAdapterError({ kind: 'DatabaseNotReachable', host: 'db', port: 5432 }))).toBe('DatabaseNotReachable (host db, port 5432)');
    expect(causeLine(new Error('first\nsecond'))).toBe('first');
  });
});

describe('brokerFault', () => {
  it("reads amqplib's handshake refusals and socket codes", () => {
    expect(brokerFault(new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'))?.kind).toBe('no-vhost');
    expect(brokerFault(new Error('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused"'))?.kind).toBe('access-denied');
    expect(brokerFault(nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND nohost'))?.kind).toBe('host-not-found');
    expect(brokerFault(new Error('connect ETIMEDOUT'))?.kind).toBe('timeout');
    expect(brokerFault(new Error('Channel closed'))).toBeUndefined();
  });

  it('reads the vhost as RabbitMQ does', () => {
    expect(vhostOf('amqp://h//')).toBe('/');
    expect(vhostOf('amqp://h')).toBe('/');
    expect(vhostOf('amqp://h/app%2Fprod')).toBe('app/prod');
  });
});

describe('explain', () => {
  const context = (origins: Record<string, string | undefined>, urls: Partial<ExplainContext> = {}): ExplainContext => ({
    origins,
    databaseUrl: undefined,
    brokerUrl: undefined,
    command: 'beat',
    ...urls,
  });

  it('names the database, where its URL came from, the problem and the fix; 2 for a setting, 1 for a server down', () => {
    const target = parseDatabaseUrl('postgresql://app:secret@db:5432/app');
    const denied = new DatabaseFaultError(target, { kind: 'access-denied', detail: 'password authentication failed for user "app"' });
    expect(explain(denied, context({ databaseUrl: 'DATABASE_URL' }))).toEqual({
      line:
        'database postgresql://app:***@db:5432/app (DATABASE_URL): access denied (password authentication failed for user "app"): ' +
        'fix the user and password in the URL, or grant that user access',
      exitCode: 2,
    });
    const down = new DatabaseFaultError(target, { kind: 'unreachable', detail: 'connect ECONNREFUSED 10.0.0.1:5432' });
    expect(explain(down, context({ databaseUrl: 'prisma-celery.config.json "databaseUrl"' }))).toEqual({
      line:
        'database postgresql://app:***@db:5432/app (prisma-celery.config.json "databaseUrl"): nothing answers at db:5432 (connect ECONNREFUSED 10.0.0.1:5432): ' +
        'start the database server, or fix the host and port in the URL',
      exitCode: 1,
    });
  });

  it('explains a database error met after the checks, from the URL in use', () => {
    const error = prismaError({ kind: 'TableDoesNotExist', originalCode: '1146', originalMessage: "Table 'app.djcelery_periodictask' doesn't exist" });
    expect(explain(error, context({ databaseUrl: '--database-url' }, { databaseUrl: 'mysql://root@db/app' }))).toEqual({
      line:
        "database mysql://root@db/app (--database-url): prisma-celery's tables are missing (Table 'app.djcelery_periodictask' doesn't exist): " +
        'run `prisma-celery migrate deploy` with the same --database-url',
      exitCode: 2,
    });
  });

  it('names the broker and its vhost', () => {
    const error = new BrokerError('E_BROKER_CONNECT', 'x', { fault: { kind: 'no-vhost', detail: 'Expected ConnectionOpenOk; got <ConnectionClose channel:0>' } });
    expect(explain(error, context({}, { brokerUrl: 'amqp://app:pw@mq:5672/prod' })).line).toBe(
      'broker amqp://app:***@mq:5672/prod (the default: no --broker, BROKER_URL, config "brokerUrl"): vhost "prod" does not exist, or user app may not use it: ' +
        'create it (rabbitmqctl add_vhost prod; rabbitmqctl set_permissions -p prod app ".*" ".*" ".*") or fix the vhost in the URL',
    );
  });

  it('keeps an unexpected error to one line that says how to see more', () => {
    expect(explain(new TypeError('x is undefined'), context({}))).toEqual({ line: 'unexpected error: x is undefined (--log-level debug shows where)', exitCode: 1 });
  });
});

describe('flag values that start with a dash', () => {
  const options = flagOptions([scheduleCrontab, scheduleEvery, schedulePriority, scheduleName]);

  it('are taken as the value of the flag before them', () => {
    expect(parseCommandLine(['next', '--crontab', '-1 * * * *', '--every', '-5s', '--priority', '-1'], options).flags).toMatchObject({
      crontab: '-1 * * * *',
      every: '-5s',
      priority: '-1',
    });
  });

  it('unless they are flags themselves, or follow the end of the options', () => {
    expect(() => parseCommandLine(['next', '--crontab', '--every', '5s'], options)).toThrow(/--crontab/);
    expect(() => parseCommandLine(['next', '--crontab', '-h'], options)).toThrow(/--crontab/);
    expect(parseCommandLine(['next', '--', '--every', '-5s'], options).positionals).toEqual(['next', '--every', '-5s']);
  });
});
