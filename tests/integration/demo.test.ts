// `npm run demo` as a user runs it: a child process on the test vhost and a
// fresh SQLite file of its own, for a bounded time or until SIGINT. Checks
// that beat sent tasks, the worker ran them, the result backend stored them
// and the camera snapshotted them; that the monitor answered meanwhile; and
// that without a broker it says so in one line.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { describeWithBroker, testBrokerUrl } from '../support/broker.js';
import { freePort } from '../support/free-port.js';
import { LOG_LINE } from '../support/log-line.js';
import { claimRedisDb, describeWithRedis, type RedisTestDb } from '../support/redis.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Demo {
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves with the first stdout line matching `pattern`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  signal(name: NodeJS.Signals): void;
}

/** Runs src/demo/main.ts as `npm run demo` does (tsx), in a process of its own. */
function startDemo(args: string[], env: Record<string, string | undefined>): Demo {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, DEMO_SECONDS: undefined, BROKER_URL: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const waiter of [...waiters]) {
      const match = out.match(waiter.pattern);
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(match);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    exited,
    stdout: () => out,
    stderr: () => err,
    line(pattern, timeoutMs = 30_000) {
      const found = out.match(pattern);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout:\n${out}\nstderr:\n${err}`)), timeoutMs);
        waiters.push({ pattern, resolve: (m) => (clearTimeout(timer), resolve(m)) });
        void exited.then(() => reject(new Error(`the demo exited before printing ${pattern}; stdout:\n${out}\nstderr:\n${err}`)));
      });
    },
    signal: (name) => child.kill(name),
  };
}

const databases: string[] = [];
afterAll(() => {
  for (const url of databases) rmSync(dirname(url.slice('file:'.length)), { recursive: true, force: true });
});

// The demo on RabbitMQ and the demo on Redis run side by side: each spends
// its --seconds waiting on timers, and they share nothing (their own SQLite
// files, brokers and ports). Within each broker the tests run in order: two
// demos on one vhost would each see the other's worker.
describe.concurrent('npm run demo', () => {
  describeWithBroker('on RabbitMQ', () => {
    it.sequential('runs the whole system for --seconds, then stops cleanly and leaves the rows behind', async () => {
      const demo = startDemo(['--seconds', '20', '--port', '0'], { BROKER_URL: testBrokerUrl() });
      const [, databaseUrl = ''] = await demo.line(/setup +database (file:\S+\/demo\.db) /);
      databases.push(databaseUrl);
      const [, queue = ''] = await demo.line(/queue (prisma-celery-demo-[0-9a-f]+)/);

      // The monitor answers while the demo runs.
      const [, monitorUrl = ''] = await demo.line(/monitor +(http:\/\/\S+)/);
      const page = await fetch(monitorUrl);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<html');

      expect(await demo.exited).toBe(0);
      const out = demo.stdout();
      expect(demo.stderr()).toBe('');
      expect(out).toMatch(/beat +sent demo\.add-every-5s → demo\.add\[/);
      expect(out).toMatch(/beat +sent demo\.divide-by-zero-every-10s → demo\.divide\[/);
      expect(out).toMatch(/beat +sent demo\.local-time-in-kolkata → demo\.local-time\[/);
      expect(out).toMatch(/worker +Received task: demo\.add\[/);
      expect(out).toMatch(/backend +demo\.add\[[0-9a-f]{8}…\] SUCCESS in celery_taskmeta: 5/);
      expect(out).toMatch(/backend +demo\.divide\[[0-9a-f]{8}…\] FAILURE in celery_taskmeta: RangeError: division by zero/);
      expect(out).toMatch(/camera +snapshot: [1-9]\d* task row\(s\) → djcelery_taskstate/);
      expect(out).toMatch(/camera +final snapshot/);
      expect(out).toMatch(/demo +20 s are up: stopping/);
      expect(out).toMatch(/summary +celery_taskmeta \(result backend\): [1-9]\d* SUCCESS, [1-9]\d* FAILURE/);
      // The CLI's log format, the worker's lines included.
      for (const line of out.trimEnd().split('\n')) expect(line).toMatch(LOG_LINE);
      expect(out).toMatch(/^\S+ INFO  worker +Received task: demo\.add\[/m);

      await using db = await openDatabase(databaseUrl);
      // Stored by the result backend, as the worker ran them.
      const results = await db.prisma.taskMeta.findMany();
      const added = results.filter((row) => row.name === 'demo.add');
      expect(added.length).toBeGreaterThanOrEqual(3); // at 0 s, 5 s, 10 s, 15 s
      expect(added.every((row) => row.status === 'SUCCESS' && row.result === '5' && row.queue === queue)).toBe(true);
      // The crontab entry ran too, however far into its minute the demo started.
      expect(results.find((row) => row.name === 'demo.local-time')).toMatchObject({ status: 'SUCCESS', result: expect.stringMatching(/^"\d\d:\d\d in /) });
      const divided = results.find((row) => row.name === 'demo.divide');
      expect(divided).toMatchObject({ status: 'FAILURE', worker: expect.stringMatching(/^celery-node-demo@/) });
      expect(JSON.parse(divided?.result ?? 'null')).toEqual({ exc_type: 'RangeError', exc_message: ['division by zero'], exc_module: 'javascript' });
      // Snapshotted by the camera, from the worker's events. (The camera records every worker on the
      // vhost, as it should: other test files' workers may show up beside the demo's.)
      const states = (await db.prisma.taskState.findMany({ include: { worker: true } })).filter((row) => row.name?.startsWith('demo.'));
      expect(states.filter((row) => row.name === 'demo.add' && row.state === 'SUCCESS').length).toBeGreaterThanOrEqual(3);
      expect(states.some((row) => row.name === 'demo.divide' && row.state === 'FAILURE')).toBe(true);
      expect(states.every((row) => row.worker?.hostname.startsWith('celery-node-demo@'))).toBe(true);
      const workers = await db.prisma.workerState.findMany({ where: { hostname: { startsWith: 'celery-node-demo@' } } });
      expect(workers).toHaveLength(1);
      expect(workers[0]?.lastHeartbeat).toBeNull(); // offline: it said goodbye before the final snapshot
      // Sent by beat from the periodic tasks it was given.
      const entries = await db.prisma.periodicTask.findMany({ orderBy: { name: 'asc' } });
      expect(entries.map((row) => row.name)).toEqual(['demo.add-every-5s', 'demo.divide-by-zero-every-10s', 'demo.local-time-in-kolkata']);
      expect(entries[0]?.totalRunCount).toBeGreaterThanOrEqual(3);

      // The demo's queue is gone from the broker.
      const connection = await connect(testBrokerUrl());
      try {
        connection.on('error', () => {});
        const channel = await connection.createChannel();
        channel.on('error', () => {});
        await expect(channel.checkQueue(queue)).rejects.toThrow(/NOT_FOUND/);
      } finally {
        await connection.close().catch(() => {});
      }
      // The 20 s count from when everything is up; a loaded machine takes a while to get there.
    }, 90_000);

    it.sequential('stops cleanly on SIGINT, with a final snapshot and the summary', async () => {
      const demo = startDemo(['--seconds', '0', '--port', '0'], { BROKER_URL: testBrokerUrl() });
      const [, databaseUrl = ''] = await demo.line(/setup +database (file:\S+) /);
      databases.push(databaseUrl);
      await demo.line(/running until Ctrl-C/);
      await demo.line(/backend +demo\.add\[.*SUCCESS/);
      demo.signal('SIGINT');
      expect(await demo.exited).toBe(0);
      expect(demo.stdout()).toMatch(/SIGINT: stopping[\s\S]*final snapshot[\s\S]*summary +celery_taskmeta/);
      expect(demo.stderr()).toBe('');
    }, 60_000);
  });

  describeWithRedis('on Redis', () => {
    let redis: RedisTestDb;
    beforeAll(async () => {
      redis = await claimRedisDb();
    });
    afterAll(() => redis[Symbol.asyncDispose]());

    it.sequential('runs beat, the worker, the result backend and the camera on a Redis database, and leaves no key behind', async () => {
      const demo = startDemo(['--seconds', '15', '--port', '0'], { BROKER_URL: redis.url });
      const [, databaseUrl = ''] = await demo.line(/setup +database (file:\S+\/demo\.db) /);
      databases.push(databaseUrl);
      const [, queue = ''] = await demo.line(/setup +broker Redis redis:\/\/127\.0\.0\.1:6379\/\d+ \(BROKER_URL\), queue (prisma-celery-demo-[0-9a-f]+)/);
      expect(await demo.exited).toBe(0);
      const out = demo.stdout();
      expect(demo.stderr()).toBe('');
      expect(out).toMatch(/beat +sent demo\.add-every-5s → demo\.add\[/);
      expect(out).toMatch(/worker +Received task: demo\.add\[/);
      expect(out).toMatch(/backend +demo\.add\[[0-9a-f]{8}…\] SUCCESS in celery_taskmeta: 5/);
      expect(out).toMatch(/backend +demo\.divide\[[0-9a-f]{8}…\] FAILURE in celery_taskmeta: RangeError: division by zero/);
      expect(out).toMatch(/camera +snapshot: [1-9]\d* task row\(s\) → djcelery_taskstate/);
      expect(out).toMatch(/summary +celery_taskmeta \(result backend\): [1-9]\d* SUCCESS, [1-9]\d* FAILURE/);

      await using db = await openDatabase(databaseUrl);
      const added = (await db.prisma.taskMeta.findMany({ where: { name: 'demo.add' } })).filter((row) => row.status === 'SUCCESS' && row.result === '5');
      expect(added.length).toBeGreaterThanOrEqual(2); // at 0 s, 5 s, 10 s
      expect(added.every((row) => row.queue === queue)).toBe(true);
      const states = await db.prisma.taskState.findMany({ where: { name: 'demo.add', state: 'SUCCESS' } });
      expect(states.length).toBeGreaterThanOrEqual(2);
      // The queue's lists and its binding are gone.
      expect(await redis.client.keys(`*${queue}*`)).toEqual([]);
    }, 90_000);

    it.sequential('says nothing answers where the Redis URL points, in one line', async () => {
      const port = await freePort();
      const demo = startDemo([], { BROKER_URL: `redis://127.0.0.1:${port}/0` });
      expect(await demo.exited).toBe(1);
      expect(demo.stdout()).toBe('');
      expect(demo.stderr()).toBe(
        `prisma-celery demo: broker redis://127.0.0.1:${port}/0 (BROKER_URL): nothing answers at 127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}): ` +
          'start Redis (redis-server, or docker run -d -p 6379:6379 redis:7), or fix the host and port in the URL\n',
      );
    });

    it.sequential('says which databases the server has', async () => {
      const demo = startDemo(['--broker', 'redis://127.0.0.1:6379/99'], {});
      expect(await demo.exited).toBe(2);
      expect(demo.stderr()).toBe(
        'prisma-celery demo: broker redis://127.0.0.1:6379/99 (--broker): Redis at 127.0.0.1:6379 has no database 99 (it has 16): use /0../15, or raise `databases` in redis.conf\n',
      );
    });
  });
});

describe('npm run demo without a broker', () => {
  it('exits at once with one line saying what to start or set', async () => {
    const started = Date.now();
    const demo = startDemo([], { BROKER_URL: 'amqp://guest:guest@127.0.0.1:1//' });
    expect(await demo.exited).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(demo.stdout()).toBe('');
    const lines = demo.stderr().split('\n').filter((line) => line !== '');
    expect(lines).toEqual([
      'prisma-celery demo: broker amqp://guest:***@127.0.0.1:1// (BROKER_URL): nothing answers at 127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1): ' +
        'start RabbitMQ (rabbitmq-server -detached, or docker run -d -p 5672:5672 rabbitmq:3), or fix the host and port in the URL',
    ]);
  });

  it('says a wrong command line in one line, exit code 2', async () => {
    const demo = startDemo(['--seconds', 'soon'], {});
    expect(await demo.exited).toBe(2);
    expect(demo.stderr()).toBe('prisma-celery demo: --seconds must be a whole number from 0 to 86400, got "soon" (npm run demo -- --help)\n');
  });

  it('names the broker URLs it takes when given another', async () => {
    const demo = startDemo(['--broker', 'sentinel://127.0.0.1:26379'], {});
    expect(await demo.exited).toBe(2);
    expect(demo.stderr()).toBe(
      'prisma-celery demo: "sentinel://127.0.0.1:26379" is not a broker URL (use amqp://, amqps://, redis://, rediss:// or redis+socket://) (npm run demo -- --help)\n',
    );
  });
});

describeWithBroker('npm run demo with a broker that refuses', () => {
  it('names the vhost and how to create it, in one line', async () => {
    const url = new URL(testBrokerUrl());
    url.pathname = '/no-such-vhost-for-the-demo';
    const demo = startDemo([], { BROKER_URL: url.toString() });
    expect(await demo.exited).toBe(2);
    const lines = demo.stderr().split('\n').filter((line) => line !== '');
    expect(lines).toEqual([
      `prisma-celery demo: broker amqp://guest:***@127.0.0.1:5672/no-such-vhost-for-the-demo (BROKER_URL): vhost "no-such-vhost-for-the-demo" does not exist, ` +
        'or user guest may not use it: create it (rabbitmqctl add_vhost no-such-vhost-for-the-demo; ' +
        'rabbitmqctl set_permissions -p no-such-vhost-for-the-demo guest ".*" ".*" ".*") or fix the vhost in the URL',
    ]);
  });
});
