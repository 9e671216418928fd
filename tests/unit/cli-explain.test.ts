// Classifying database and broker errors by code, and the one line each
// becomes. The error objects are shaped as the drivers, the adapters and
// Prisma raise them (captured from real runs against each server).
import { DriverAdapterError } from '@prisma/driver-adapter-utils';
import { describe, expect, it } from 'vitest';
import { brokerFault, vhostOf } from '../../src/broker/amqp/errors.js';
import { BrokerError, type BrokerFault } from '../../src/broker/errors.js';
import { redisFault } from '../../src/broker/redis/fault.js';
import { explain, type ExplainContext } from '../../src/cli/explain.js';
import { flagOptions, parseCommandLine } from '../../src/cli/flags.js';
import { schedulePriority, scheduleCrontab, scheduleEvery, scheduleName } from '../../src/config/settings.js';
import { causeLine } from '../../src/db/adapter-error.js';
import { databaseFault, DatabaseFaultError } from '../../src/db/fault.js';
import { openDatabase } from '../../src/db/open.js';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { MigrationError } from '../../src/errors.js';

// As ioredis raises a Redis error reply: named ReplyError, with the command it answered.
const replyError = (message: string, command: string) => Object.assign(new Error(message), { name: 'ReplyError', command: { name: command, args: [] } });
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

describe('redisFault', () => {
  // Whether the connection was up when it failed, and whether the URL asked for TLS.
  const onOpen = { opened: true, tls: false };
  const unopened = { opened: false, tls: false };
  const beforeTls = { opened: false, tls: true };

  it('reads the code of a Redis error reply and the command it answered', () => {
    const noauth = 'NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used';
    expect(redisFault(replyError(noauth, 'hello'), onOpen)).toEqual({ kind: 'access-denied', detail: 'NOAUTH HELLO must be called with the client already authenticated' });
    expect(redisFault(replyError('WRONGPASS invalid username-password pair or user is disabled.', 'hello'), onOpen)).toEqual({
      kind: 'access-denied',
      detail: 'WRONGPASS invalid username-password pair or user is disabled',
    });
    expect(redisFault(replyError('ERR invalid password', 'auth'), onOpen)?.kind).toBe('access-denied');
    expect(redisFault(replyError("NOPERM this user has no permissions to run the 'select' command", 'select'), onOpen)?.kind).toBe('no-permission');
    expect(redisFault(replyError('ERR DB index is out of range', 'select'), onOpen)).toEqual({ kind: 'no-database', detail: 'ERR DB index is out of range' });
    expect(redisFault(replyError('ERR max number of clients reached', 'info'), onOpen)).toBeUndefined();
  });

  it('tells a server of another protocol by what happened on an open connection', () => {
    expect(redisFault(undefined, onOpen)).toEqual({ kind: 'not-broker', detail: 'it closed the connection without answering' });
    expect(redisFault(new Error('Unknown RESP type 65 "A". Please report this.'), onOpen)).toEqual({
      kind: 'not-broker',
      detail: 'it answered in another protocol: Unknown RESP type 65 "A"',
    });
    expect(redisFault(nodeError('ECONNRESET', 'write ECONNRESET'), onOpen)).toEqual({ kind: 'not-broker', detail: 'it hung up: write ECONNRESET' });
    expect(redisFault(undefined, unopened)).toBeUndefined();
  });

  it('reads socket and TLS codes', () => {
    expect(redisFault(nodeError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), unopened)?.kind).toBe('unreachable');
    expect(redisFault(nodeError('ENOENT', 'connect ENOENT /run/redis.sock'), unopened)?.kind).toBe('unreachable');
    expect(redisFault(nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND nohost'), unopened)?.kind).toBe('host-not-found');
    expect(redisFault(nodeError('ETIMEDOUT', 'connect ETIMEDOUT'), unopened)?.kind).toBe('timeout');
    expect(redisFault(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), beforeTls)).toEqual({
      kind: 'tls-untrusted',
      detail: 'self-signed certificate',
    });
    expect(redisFault(Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), beforeTls)?.kind).toBe('tls-untrusted');
    const openssl = '80DCE1D2D17F0000:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:';
    expect(redisFault(Object.assign(new Error(openssl), { code: 'ERR_SSL_WRONG_VERSION_NUMBER', reason: 'wrong version number' }), beforeTls)).toEqual({
      kind: 'tls',
      detail: 'wrong version number',
    });
    const hungUp = nodeError('ECONNRESET', 'Client network socket disconnected before secure TLS connection was established');
    expect(redisFault(hungUp, beforeTls)).toEqual({ kind: 'tls', detail: 'Client network socket disconnected before secure TLS connection was established' });
  });
});

describe('explain for a Redis broker', () => {
  const line = (url: string, fault: BrokerFault) =>
    explain(new BrokerError('E_BROKER_CONNECT', 'x', { fault }), { origins: { brokerUrl: 'BROKER_URL' }, databaseUrl: undefined, brokerUrl: url, command: 'beat' });
  const noauth: BrokerFault = { kind: 'access-denied', detail: 'NOAUTH HELLO must be called with the client already authenticated' };
  const wrongpass: BrokerFault = { kind: 'access-denied', detail: 'WRONGPASS invalid username-password pair or user is disabled' };

  it('says where the password goes when the URL has none', () => {
    expect(line('redis://10.0.0.5:6380/2', noauth)).toEqual({
      line:
        'broker redis://10.0.0.5:6380/2 (BROKER_URL): login refused by Redis at 10.0.0.5:6380 (NOAUTH HELLO must be called with the client already authenticated): ' +
        'put the password in the URL (redis://:PASSWORD@10.0.0.5:6380/2)',
      exitCode: 2,
    });
  });

  it('never shows the password, wrong or not', () => {
    const shown = line('rediss://:hunter2@cache:6380/0?ssl_cert_reqs=none', wrongpass);
    expect(shown.line).toBe(
      'broker rediss://:***@cache:6380/0?ssl_cert_reqs=none (BROKER_URL): login refused by Redis at cache:6380 (WRONGPASS invalid username-password pair or user is disabled): ' +
        'fix the password in the URL (rediss://:PASSWORD@cache:6380/0)',
    );
    expect(line('redis://app:hunter2@cache/0', wrongpass).line).toBe(
      'broker redis://app:***@cache/0 (BROKER_URL): login refused for user app by Redis at cache:6379 (WRONGPASS invalid username-password pair or user is disabled): ' +
        'fix the user and password in the URL (redis://USER:PASSWORD@cache/0)',
    );
  });

  it('gives the range of databases the server has', () => {
    expect(line('redis://:pw@cache:6379/20', { kind: 'no-database', detail: 'ERR DB index is out of range', databases: 16 })).toEqual({
      line: 'broker redis://:***@cache:6379/20 (BROKER_URL): Redis at cache:6379 has no database 20 (it has 16): use /0../15, or raise `databases` in redis.conf',
      exitCode: 2,
    });
    expect(line('redis+socket:///run/redis.sock?virtual_host=40', { kind: 'no-database', detail: 'ERR DB index is out of range' }).line).toBe(
      'broker redis+socket:///run/redis.sock?virtual_host=40 (BROKER_URL): Redis at /run/redis.sock has no database 40 (ERR DB index is out of range): ' +
        'use a lower number in virtual_host of the URL, or raise `databases` in redis.conf',
    );
  });

  it('names the port Redis listens on when another server answers', () => {
    expect(line('redis://127.0.0.1:5432/0', { kind: 'not-broker', detail: 'it closed the connection without answering' })).toEqual({
      line: 'broker redis://127.0.0.1:5432/0 (BROKER_URL): 127.0.0.1:5432 is not a Redis server (it closed the connection without answering): fix the port in the URL (Redis listens on 6379)',
      exitCode: 2,
    });
  });

  it('says to start Redis when nothing answers (exit 1: a server down)', () => {
    expect(line('redis://127.0.0.1:6379/0', { kind: 'unreachable', detail: 'connect ECONNREFUSED 127.0.0.1:6379' })).toEqual({
      line:
        'broker redis://127.0.0.1:6379/0 (BROKER_URL): nothing answers at 127.0.0.1:6379 (connect ECONNREFUSED 127.0.0.1:6379): ' +
        'start Redis (redis-server, or docker run -d -p 6379:6379 redis:7), or fix the host and port in the URL',
      exitCode: 1,
    });
    expect(line('redis+socket:///run/redis.sock', { kind: 'unreachable', detail: 'connect ENOENT /run/redis.sock' }).line).toMatch(
      /: start Redis \(redis-server --unixsocket \/run\/redis\.sock\), or fix the socket path in the URL$/,
    );
  });

  it('says what to do about TLS', () => {
    expect(line('rediss://cache:6380/0', { kind: 'tls-untrusted', detail: 'self-signed certificate' }).line).toBe(
      'broker rediss://cache:6380/0 (BROKER_URL): Redis at cache:6380 shows a certificate this machine does not trust (self-signed certificate): ' +
        'name its CA in the URL (?ssl_ca_certs=/path/to/ca.pem), or add ?ssl_cert_reqs=none to skip the check',
    );
    expect(line('rediss://cache:6379/0', { kind: 'timeout', detail: 'no answer within 2500 ms' }).line).toMatch(
      /no answer from cache:6379 \(no answer within 2500 ms\): check that Redis is up and reachable from here, and that this port speaks TLS$/,
    );
  });

  it('names an ACL user its missing permission', () => {
    expect(line('redis://reader:pw@cache:6379/3', { kind: 'no-permission', detail: "NOPERM this user has no permissions to run the 'select' command" }).line).toBe(
      "broker redis://reader:***@cache:6379/3 (BROKER_URL): Redis at cache:6379 does not let user reader run a command it needs (NOPERM this user has no permissions to run the 'select' command): " +
        'grant it (ACL SETUSER reader +@all ~* &*), or use another user',
    );
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
