// Every error a command ends with, as one line that names the setting at
// fault, where its value came from and what to do, and the exit code: 2
// when the fix is in the command line or a setting, 1 when something that
// should work does not right now (a server down, a row missing).
import { vhostOf } from '../broker/amqp/errors.js';
import { BrokerError, type BrokerFault } from '../broker/errors.js';
import { parseRedisUrl, redactUrl as redactBrokerUrl, transportOf } from '../broker/url.js';
import { describeOrigin, type Origins } from '../config/resolve.js';
import { brokerUrl, databaseUrl } from '../config/settings.js';
import type { Setting } from '../config/setting.js';
import { adapterCause, causeLine } from '../db/adapter-error.js';
import { databaseFault, DatabaseFaultError, type Fault } from '../db/fault.js';
import { parseDatabaseUrl, redactUrl, type DatabaseTarget } from '../db/url.js';
import { PrismaCeleryError } from '../errors.js';

export interface Explained {
  readonly line: string;
  readonly exitCode: 1 | 2;
}

export interface ExplainContext {
  /** Where each setting came from; empty before settings were read. */
  readonly origins: Origins;
  /** The database URL in use, when settings were read. */
  readonly databaseUrl: string | undefined;
  /** The broker URL in use, when settings were read. */
  readonly brokerUrl: string | undefined;
  /** The command's name, for the usage hint. */
  readonly command: string | undefined;
}

// Codes of errors about what the user typed or configured.
const INPUT_CODES = new Set(['E_USAGE', 'E_CONFIG', 'E_LAYOUT_TABLES', 'E_ADOPT', 'E_SCHEDULE', 'E_ENTRY_INVALID', 'E_SCHEDULER_UNKNOWN', 'E_SCHEDULER_LOAD', 'E_INVALID_ARGUMENT', 'E_WORKER_TASKS', 'E_WORKER_PEER', 'E_WORKER_QUEUE']);

// Codes whose cause is the database's (wrapped by the part that met it).
const DATABASE_CODES = new Set(['E_MIGRATION_DATABASE', 'E_BACKEND_DATABASE', 'E_SNAPSHOT_DATABASE', 'E_SERVE_DATABASE']);

export function explain(error: unknown, context: ExplainContext): Explained {
  if (error instanceof DatabaseFaultError) return databaseLine(error.target, error.fault, context, error.missing);
  if (error instanceof BrokerError && error.fault !== undefined) return brokerLine(error.fault, context);
  const fromDatabase =
    (error instanceof PrismaCeleryError && DATABASE_CODES.has(error.code)) ||
    adapterCause(error) !== undefined ||
    (error instanceof Error && error.name.startsWith('PrismaClient'));
  if (fromDatabase && context.databaseUrl !== undefined) {
    const fault = databaseFault(error);
    const target = parseDatabaseUrl(context.databaseUrl);
    if (fault !== undefined) return databaseLine(target, fault, context);
    return { line: `${subject(databaseUrl, redactUrl(target.url), context)}: ${causeLine(error)}`, exitCode: 1 };
  }
  if (error instanceof PrismaCeleryError) {
    if (error.code === 'E_USAGE') {
      const help = `prisma-celery ${context.command === undefined ? '' : `${context.command} `}--help`;
      return { line: `${error.message} (see ${help})`, exitCode: 2 };
    }
    return { line: error.message, exitCode: INPUT_CODES.has(error.code) ? 2 : 1 };
  }
  return { line: `unexpected error: ${causeLine(error)} (--log-level debug shows where)`, exitCode: 1 };
}

/** "database <url> (<where it came from>)". */
function subject(setting: Setting, shownUrl: string, context: ExplainContext): string {
  const what = setting === databaseUrl ? 'database' : 'broker';
  return `${what} ${shownUrl} (${describeOrigin(setting, context.origins[setting.key])})`;
}

function hostPort(target: DatabaseTarget): string {
  if (target.provider === 'mysql') return `${target.host}:${target.port}`;
  if (target.provider === 'postgresql') {
    const url = new URL(target.connectionString);
    return `${url.hostname || 'localhost'}:${url.port || '5432'}`;
  }
  return target.file;
}

function databaseLine(
  target: DatabaseTarget,
  fault: Fault,
  context: ExplainContext,
  missing?: { table: string; foundIn: readonly string[] },
): Explained {
  const head = subject(databaseUrl, redactUrl(target.url), context);
  const from = context.origins[databaseUrl.key];
  const sameUrl = from === undefined || !from.startsWith('--') ? '' : ` with the same ${from}`;
  const server = hostPort(target);
  const say = (problem: string, fix: string, exitCode: 1 | 2): Explained => ({ line: `${head}: ${problem}: ${fix}`, exitCode });
  switch (fault.kind) {
    case 'no-directory':
      return say(fault.detail, 'create it, or fix the path', 2);
    case 'no-file':
      return say(
        `no such file, and this command does not create one`,
        `run \`prisma-celery migrate deploy\`${sameUrl} to create it, or give the URL of your database`,
        2,
      );
    case 'not-sqlite':
      return say(`not a SQLite database (${fault.detail})`, 'give the path of the database file', 2);
    case 'host-not-found':
      return say(`host ${server.split(':')[0] ?? ''} not found (${fault.detail})`, 'fix the host in the URL', 2);
    case 'unreachable':
      return say(`nothing answers at ${server} (${fault.detail})`, 'start the database server, or fix the host and port in the URL', 1);
    case 'timeout':
      return say(`no answer from ${server} (${fault.detail})`, 'check that the server is up and reachable from here', 1);
    case 'access-denied':
      return say(`access denied (${fault.detail})`, 'fix the user and password in the URL, or grant that user access', 2);
    case 'no-database':
      return say(`the server has no such database (${fault.detail})`, 'create it, or fix the database name in the URL', 2);
    case 'no-tables': {
      const problem = missing === undefined ? `prisma-celery's tables are missing (${fault.detail})` : fault.detail;
      const deploy = `run \`prisma-celery migrate deploy\`${sameUrl}`;
      const elsewhere = missing?.foundIn[0];
      if (target.provider === 'postgresql') {
        const hint = elsewhere === undefined ? 'or add ?schema=NAME to the URL if you deployed to another schema' : `or add ?schema=${elsewhere} to the URL (the tables are there)`;
        return say(problem, `${deploy}, ${hint}`, 2);
      }
      if (target.provider === 'mysql' && elsewhere !== undefined) {
        return say(problem, `${deploy}, or name the database ${elsewhere} in the URL (the tables are there)`, 2);
      }
      return say(problem, deploy, 2);
    }
  }
}

type Say = (problem: string, fix: string, exitCode: 1 | 2) => Explained;

function brokerLine(fault: BrokerFault, context: ExplainContext): Explained {
  const url = context.brokerUrl ?? '';
  const say: Say = (problem, fix, exitCode) => ({
    line: `${subject(brokerUrl, redactBrokerUrl(url), context)}: ${problem}: ${fix}`,
    exitCode,
  });
  return URL.canParse(url) && transportOf(url) === 'redis' ? redisLine(fault, url, say) : amqpLine(fault, url, say);
}

function amqpLine(fault: BrokerFault, url: string, say: Say): Explained {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  const server = `${parsed?.hostname ?? ''}:${parsed?.port || (parsed?.protocol === 'amqps:' ? '5671' : '5672')}`;
  const user = decodeURIComponent(parsed?.username ?? '') || 'guest';
  const vhost = vhostOf(url);
  switch (fault.kind) {
    case 'host-not-found':
      return say(`host ${parsed?.hostname ?? ''} not found (${fault.detail})`, 'fix the host in the URL', 2);
    case 'unreachable':
      return say(`nothing answers at ${server} (${fault.detail})`, 'start RabbitMQ (rabbitmq-server -detached, or docker run -d -p 5672:5672 rabbitmq:3), or fix the host and port in the URL', 1);
    case 'timeout':
      return say(`no answer from ${server} (${fault.detail})`, 'check that RabbitMQ is up and reachable from here', 1);
    case 'access-denied':
      return say(`login refused for user ${user} (${fault.detail})`, 'fix the user and password in the URL', 2);
    case 'no-vhost':
      return say(
        `vhost "${vhost}" does not exist, or user ${user} may not use it`,
        `create it (rabbitmqctl add_vhost ${shellWord(vhost)}; rabbitmqctl set_permissions -p ${shellWord(vhost)} ${shellWord(user)} ".*" ".*" ".*") or fix the vhost in the URL`,
        2,
      );
    default:
      return say(`cannot connect to ${server} (${fault.detail})`, 'fix the broker URL', 2);
  }
}

function redisLine(fault: BrokerFault, url: string, say: Say): Explained {
  const target = parseRedisUrl(url);
  const socket = target.path !== undefined;
  const server = target.path ?? `${target.host ?? ''}:${target.port ?? 6379}`;
  const redis = `Redis at ${server}`;
  // The URL with placeholders where the login goes, to show where it belongs.
  const withLogin = (user: string): string => {
    if (socket) return `redis+socket://${user}:PASSWORD@${server}`;
    const shown = new URL(url);
    shown.search = '';
    shown.username = user;
    shown.password = 'PASSWORD';
    return shown.toString();
  };
  switch (fault.kind) {
    case 'access-denied': {
      if (target.username !== undefined) {
        return say(`login refused for user ${target.username} by ${redis} (${fault.detail})`, `fix the user and password in the URL (${withLogin('USER')})`, 2);
      }
      const fix = target.password === undefined ? 'put the password in the URL' : 'fix the password in the URL';
      return say(`login refused by ${redis} (${fault.detail})`, `${fix} (${withLogin('')})`, 2);
    }
    case 'no-permission': {
      const user = target.username ?? 'default';
      return say(`${redis} does not let user ${user} run a command it needs (${fault.detail})`, `grant it (ACL SETUSER ${shellWord(user)} +@all ~* &*), or use another user`, 2);
    }
    case 'no-database': {
      const where = socket ? 'virtual_host' : 'the path';
      if (fault.databases === undefined) {
        return say(`${redis} has no database ${target.db} (${fault.detail})`, `use a lower number in ${where} of the URL, or raise \`databases\` in redis.conf`, 2);
      }
      const range = socket ? `?virtual_host=0..${fault.databases - 1}` : `/0../${fault.databases - 1}`;
      return say(`${redis} has no database ${target.db} (it has ${fault.databases})`, `use ${range}, or raise \`databases\` in redis.conf`, 2);
    }
    case 'not-broker':
      return say(`${server} is not a Redis server (${fault.detail})`, socket ? 'fix the socket path in the URL' : 'fix the port in the URL (Redis listens on 6379)', 2);
    case 'host-not-found':
      return say(`host ${target.host ?? ''} not found (${fault.detail})`, 'fix the host in the URL', 2);
    case 'unreachable':
      return say(
        `nothing answers at ${server} (${fault.detail})`,
        socket
          ? `start Redis (redis-server --unixsocket ${server}), or fix the socket path in the URL`
          : 'start Redis (redis-server, or docker run -d -p 6379:6379 redis:7), or fix the host and port in the URL',
        1,
      );
    case 'timeout':
      return say(`no answer from ${server} (${fault.detail})`, `check that Redis is up and reachable from here${target.tls ? ', and that this port speaks TLS' : ''}`, 1);
    case 'tls-untrusted':
      return say(
        `${redis} shows a certificate this machine does not trust (${fault.detail})`,
        'name its CA in the URL (?ssl_ca_certs=/path/to/ca.pem), or add ?ssl_cert_reqs=none to skip the check',
        2,
      );
    case 'tls':
      return say(`TLS with ${server} failed (${fault.detail})`, 'check that this port speaks TLS, or use redis:// for one that does not', 2);
    default:
      return say(`cannot connect to ${server} (${fault.detail})`, 'fix the broker URL', 2);
  }
}

const shellWord = (word: string): string => (/^[\w./@-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);
