// A PostgreSQL or MariaDB server of a test's own: its own data directory and
// port, so the test can crash it (pg_ctl stop -m immediate, SIGKILL) and
// start it again on the same data, which the shared servers must never see.
// Run as root, PostgreSQL runs as the `postgres` user and MariaDB as `mysql`,
// as their packages do.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mariadb from 'mariadb';
import pg from 'pg';
import { freePort } from './free-port.js';

const run = promisify(execFile);

export type ServerProvider = 'postgresql' | 'mysql';

export interface PrivateServer {
  readonly provider: ServerProvider;
  /** The server's admin URL (database `postgres` or none); see createDatabase. */
  readonly adminUrl: string;
  /** A new empty database on it; resolves to its URL. */
  createDatabase(name: string): Promise<string>;
  /** Resolves once no client connection is being set up (see startMariaDb). */
  quiet(): Promise<void>;
  /** Kills the server the way a crash does: no shutdown, no checkpoint. */
  crash(): Promise<void>;
  /** Starts it again on the same data (after crash()); resolves with the instant (Date.now()) it first answered a query. */
  start(): Promise<number>;
  /** Stops it if it runs and deletes its data. Safe to call twice. */
  destroy(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

/** What is missing to run a private server of this provider, or null when nothing is. */
export function privateServerMissing(provider: ServerProvider): string | null {
  if (provider === 'postgresql') {
    return postgresBin() === null ? 'PostgreSQL server binaries (initdb, pg_ctl under /usr/lib/postgresql/*/bin; set PG_BIN): install postgresql' : null;
  }
  return ['/usr/bin/mariadb-install-db', '/usr/sbin/mariadbd'].every(existsSync) ? null : 'mariadb-install-db and mariadbd: install mariadb-server';
}

export function startPrivateServer(provider: ServerProvider): Promise<PrivateServer> {
  return provider === 'postgresql' ? startPostgres() : startMariaDb();
}

function postgresBin(): string | null {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? null : join(root, versions[0], 'bin');
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** A directory the server's own user may write. */
function serverDir(prefix: string, user: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (isRoot()) {
    const { uid, gid } = userIds(user);
    chownSync(dir, uid, gid);
  }
  return dir;
}

function userIds(user: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error(`running as root, the private server needs the system user "${user}"`);
  return { uid: Number(uid), gid: Number(gid) };
}


/** Tries `probe` every 25 ms until it works; resolves with the instant it did. */
async function whenAnswering(what: string, probe: () => Promise<void>, log: () => string): Promise<number> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      await probe();
      return Date.now();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what} did not answer within ${READY_TIMEOUT_MS} ms (${String(error)}); its log ends:\n${log()}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

const tail = (file: string): string => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').slice(-15).join('\n') : '(no log)');

async function startPostgres(): Promise<PrivateServer> {
  const bin = postgresBin();
  if (bin === null) throw new Error(privateServerMissing('postgresql') ?? 'no PostgreSQL');
  const dir = serverDir('pc-pg-', 'postgres');
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  // As root, the binaries refuse to run: they run as the postgres user.
  const asServer = (tool: string, args: string[]) =>
    isRoot() ? run('runuser', ['-u', 'postgres', '--', join(bin, tool), ...args]) : run(join(bin, tool), args);
  const adminUrl = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  const answer = () =>
    whenAnswering(
      'the private PostgreSQL',
      async () => {
        const client = new pg.Client({ connectionString: adminUrl });
        try {
          await client.connect();
          await client.query('SELECT 1');
        } finally {
          await client.end().catch(() => {});
        }
      },
      () => tail(log),
    );
  let running = false;
  const start = async (): Promise<number> => {
    if (running) throw new Error('the private PostgreSQL is running already');
    // -W: pg_ctl does not wait; the first query that works marks the instant.
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`;
    await asServer('pg_ctl', ['start', '-W', '-D', data, '-l', log, '-o', options]);
    running = true;
    return answer();
  };
  const stop = async (mode: 'immediate' | 'fast'): Promise<void> => {
    if (!running) return;
    await asServer('pg_ctl', ['stop', '-m', mode, '-D', data]);
    running = false;
  };
  await asServer('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  const server: PrivateServer = {
    provider: 'postgresql',
    adminUrl,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return `postgresql://postgres@127.0.0.1:${port}/${name}`;
    },
    quiet: async () => {},
    crash: () => stop('immediate'),
    start,
    async destroy() {
      await stop('immediate').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await start();
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}

/**
 * The mariadb driver (3.4.5, which Prisma's adapter pins) leaves a promise
 * rejection unhandled when a connection dies between its handshake and its
 * first statements (fixed in 3.5.0), and its pools open their connections
 * in the background. A crash at that instant would take the test process
 * with it, so tests crash the server once the connection count holds still.
 */
async function connectionsHeldStill(connection: mariadb.ConnectionConfig): Promise<void> {
  const conn = await mariadb.createConnection(connection);
  try {
    let last = -1;
    for (let tries = 0; tries < 100; tries++) {
      const [row] = (await conn.query('SELECT COUNT(*) AS n FROM information_schema.processlist')) as { n: bigint }[];
      const count = Number(row?.n);
      if (count === last) return;
      last = count;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  } finally {
    await conn.end();
  }
}

async function startMariaDb(): Promise<PrivateServer> {
  const dir = serverDir('pc-my-', 'mysql');
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  const port = await freePort();
  const user = isRoot() ? ['--user=mysql'] : [];
  const connection = { host: '127.0.0.1', port, user: 'root', password: '' };
  await run('/usr/bin/mariadb-install-db', [
    '--no-defaults',
    ...user,
    `--datadir=${data}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    '--skip-name-resolve',
  ]);
  let child: ChildProcess | null = null;
  const start = async (): Promise<number> => {
    if (child !== null) throw new Error('the private MariaDB is running already');
    child = spawn(
      '/usr/sbin/mariadbd',
      [
        '--no-defaults',
        ...user,
        `--datadir=${data}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${join(dir, 'mysqld.sock')}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
        `--log-error=${log}`,
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=32M',
      ],
      { stdio: 'ignore' },
    );
    const exited = new Promise<never>((_, reject) => child?.once('exit', (code) => reject(new Error(`mariadbd exited (${code}); its log ends:\n${tail(log)}`))));
    exited.catch(() => {});
    return Promise.race([
      exited,
      whenAnswering(
        'the private MariaDB',
        async () => {
          const conn = await mariadb.createConnection({ ...connection, connectTimeout: 1000 });
          try {
            await conn.query('SELECT 1');
          } finally {
            await conn.end().catch(() => {});
          }
        },
        () => tail(log),
      ),
    ]);
  };
  const kill = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await gone;
  };
  const server: PrivateServer = {
    provider: 'mysql',
    adminUrl: `mysql://root@127.0.0.1:${port}`,
    async createDatabase(name) {
      const conn = await mariadb.createConnection(connection);
      try {
        await conn.query(`CREATE DATABASE \`${name}\``);
      } finally {
        await conn.end();
      }
      return `mysql://root@127.0.0.1:${port}/${name}`;
    },
    quiet: () => connectionsHeldStill(connection),
    crash: kill,
    start,
    async destroy() {
      if (child !== null) await connectionsHeldStill(connection).catch(() => {});
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await start();
  } catch (error) {
    await server.destroy();
    throw error;
  }
  return server;
}
