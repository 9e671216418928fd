// A redis-server of a test's own, on a free port, that the test may kill
// (SIGKILL: no shutdown, no save) and start again; the shared server on 6379
// is never touched. With `durable` it writes an append-only file synced on
// every write, so what was pushed before the kill is there after it, as on
// a production broker with persistence.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';
import { describeUnlessMissing } from './gates.js';
import { describeWithRedis } from './redis.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

export interface PrivateRedisOptions {
  /** Keep the data across kill/start (appendonly, fsync always). Default false. */
  durable?: boolean;
  /** requirepass. */
  password?: string;
  /** TLS only, with this certificate and key (PEM files); url() is then rediss://. */
  tls?: { certFile: string; keyFile: string };
}

export interface PrivateRedis extends AsyncDisposable {
  readonly port: number;
  /** redis://[:password@]127.0.0.1:<port>/<db> (rediss:// with `tls`) */
  url(db?: number): string;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** Starts it again on the same port (and data); resolves with the instant (Date.now()) it first answered PING. */
  start(): Promise<number>;
}

/** What is missing to run a private Redis, or null when nothing is. */
export const privateRedisMissing = (): string | null =>
  existsSync(REDIS_SERVER) ? null : `${REDIS_SERVER} is missing: install redis-server`;

export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'pc-redis-'));
  const port = await freePort();
  const log = join(dir, 'redis.log');
  const tls = options.tls;
  const listen = tls ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-auth-clients', 'no'] : ['--port', String(port)];
  const args = [...listen, '--bind', '127.0.0.1', '--dir', dir, '--logfile', log, '--save', ''];
  args.push(...(options.durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  if (options.password !== undefined) args.push('--requirepass', options.password);
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  let child: ChildProcess | undefined;
  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  const start = async (): Promise<number> => {
    const started = spawn(REDIS_SERVER, args, { stdio: 'ignore' });
    child = started;
    process.once('exit', () => started.kill('SIGKILL'));
    const deadline = Date.now() + 30_000;
    for (;;) {
      const probe = new Redis({
        port,
        host: '127.0.0.1',
        password: options.password,
        ...(tls && { tls: { ca: readFileSync(tls.certFile) } }),
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      probe.on('error', () => {});
      try {
        await probe.connect();
        await probe.ping();
        return Date.now();
      } catch (error) {
        if (started.exitCode !== null || Date.now() > deadline) {
          const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-10).join('\n') : '(no log)';
          throw new Error(`the private redis-server on port ${port} did not answer (${String(error)}); its log ends:\n${tail}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      } finally {
        probe.disconnect();
      }
    }
  };
  await start();
  return {
    port,
    url: (db = 0) => `${tls ? 'rediss' : 'redis'}://${auth}127.0.0.1:${port}/${db}`,
    kill,
    start,
    async [Symbol.asyncDispose]() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `describe` for suites that start their own redis-server: skipped outside
 * CI when it is not installed (or Redis is down), a failure under CI=true.
 */
export function describeWithPrivateRedis(title: string, body: () => void): void {
  describeUnlessMissing(privateRedisMissing(), title, body, describeWithRedis);
}
