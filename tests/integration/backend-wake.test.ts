// Waiters woken by stores on real databases: PostgreSQL's NOTIFY (no polling
// while idle, a killed listening connection, a thousand waiters, NOTIFY off)
// and adaptive polling elsewhere (stores through another Database, as
// another process would make them; in-process stores wake at once).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, expect } from 'vitest';
import { AsyncResult } from 'celery-node/dist/app/result.js';
import { attachBackend, PrismaResultBackend } from '../../src/backend/index.js';
import type { Database } from '../../src/db/open.js';
import { LISTENER_NAME } from '../../src/db/pg-listener.js';
import { openDatabase, useDatabase } from '../../src/db/open.js';
import { describeEachDatabase, itWhen, postgresAdmin } from '../support/databases.js';
import { dropNotifications } from '../support/pg-notify-eater.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The Database with its reads counted (the waiter's only statements); `reads` counts those answered. */
function counted(db: Database): { db: Database; reads: () => number; busy: () => boolean } {
  let sent = 0;
  let answered = 0;
  const sql = {
    query: async <T extends object>(...args: Parameters<Database['sql']['query']>) => {
      sent++;
      try {
        return await db.sql.query<T>(...args);
      } finally {
        answered++;
      }
    },
    execute: (...args: Parameters<Database['sql']['execute']>) => db.sql.execute(...args),
  };
  return { db: { ...db, sql }, reads: () => answered, busy: () => answered !== sent };
}

describeEachDatabase('waiters woken by stores', (testDb) => {
  const postgres = testDb.provider === 'postgresql';
  let writerDb: Database;
  let waiterDb: Database;
  let writer: PrismaResultBackend;
  const opened: PrismaResultBackend[] = [];

  const waiterBackend = (options: ConstructorParameters<typeof PrismaResultBackend>[1] = {}) => {
    const counter = counted(waiterDb);
    const backend = new PrismaResultBackend(counter.db, options);
    opened.push(backend);
    return { backend, ...counter };
  };

  /** Until the waiter's reads stop growing, none in flight: it listens (PostgreSQL) and has read again after it began to. */
  const settledReads = async ({ reads, busy }: { reads: () => number; busy: () => boolean }): Promise<number> => {
    let last = -1;
    return waitFor('the waiter to stop reading', async () => {
      const now = reads();
      if (now === last && !busy()) return now + 1;
      last = now;
      await pause(300);
      return 0;
    }).then((n) => n - 1);
  };

  /** Runs `body` on a connection of our own that LISTENs to the result channel, with what it heard. */
  const hearing = async <T>(body: (payloads: string[]) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: testDb.url });
    await client.connect();
    try {
      const payloads: string[] = [];
      client.on('notification', (message) => payloads.push(message.payload ?? ''));
      await client.query('LISTEN prisma_celery_result');
      return await body(payloads);
    } finally {
      await client.end();
    }
  };

  const listenerPids = (): Promise<number[]> =>
    postgresAdmin(async (c) => {
      const { rows } = await c.query<{ pid: number }>(
        'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
        [testDb.name, LISTENER_NAME],
      );
      return rows.map((row) => row.pid);
    });

  beforeAll(async () => {
    writerDb = await testDb.open();
    waiterDb = await testDb.open();
    writer = new PrismaResultBackend(writerDb, { notify: true });
  });
  afterAll(async () => {
    await Promise.all(opened.map((backend) => backend.close()));
    await writer?.close();
  });

  itWhen(postgres)('a waiter sends no query while it waits and reads once when the NOTIFY comes', async () => {
    const counter = waiterBackend({ pollInterval: 50 });
    const { backend, reads } = counter;
    const result = backend.waitFor('notify-1', { timeout: 20_000 });
    await waitFor('the listening connection', async () => (await listenerPids()).length === 1);
    const idle = await settledReads(counter);
    await pause(700); // 14 polls' worth at pollInterval 50
    expect(reads()).toBe(idle);
    await writer.markSucceeded('notify-1', { n: 1 });
    await expect(result).resolves.toEqual({ n: 1 });
    expect(reads()).toBe(idle + 1);
  });

  itWhen(postgres)('a celery-node client\'s get() waits without polling too, and settles as celery-node does', async () => {
    const counter = waiterBackend({ pollInterval: 50 });
    const { backend, reads } = counter;
    // celery-node's Client makes its results this way (asyncResult, and sendTask after publishing).
    const client = attachBackend(
      { conf: { CELERY_QUEUE: 'celery' }, asyncResult(id: string) { return new AsyncResult(id, (this as unknown as { _backend: never })._backend); } },
      backend,
    );
    const ok = client.asyncResult('cn-ok').get();
    const failed = client.asyncResult('cn-failed').get(20_000, 50).catch((e: unknown) => e);
    await waitFor('the listening connection', async () => (await listenerPids()).length === 1);
    const idle = await settledReads(counter);
    await pause(500);
    expect(reads()).toBe(idle);
    await writer.markSucceeded('cn-ok', [1, 2]);
    await writer.markFailed('cn-failed', new RangeError('too far'));
    await expect(ok).resolves.toEqual([1, 2]);
    expect(await failed).toMatchObject({ message: 'FAILURE', exc_type: 'RangeError', exc_message: ['too far'] });
    expect(reads()).toBe(idle + 2);
    await expect(client.asyncResult('cn-never').get(100, 20)).rejects.toThrow('TIMEOUT');
  });

  itWhen(postgres)('every waiter resolves when the listening connection is killed and stores land meanwhile', async () => {
    const { backend } = waiterBackend({ pollInterval: 100 });
    const ids = Array.from({ length: 20 }, (_, i) => `killed-${i}`);
    const results = Promise.all(ids.map((id) => backend.waitFor(id, { timeout: 20_000 })));
    const pid = await waitFor('the listening connection', async () => {
      const pids = await listenerPids();
      return pids.length === 1 && pids[0];
    });
    await postgresAdmin((c) => c.query('SELECT pg_terminate_backend($1)', [pid]));
    await Promise.all(ids.map((id, i) => writer.markSucceeded(id, i)));
    await expect(results).resolves.toEqual(ids.map((_, i) => i));
    const again = await waitFor('a new listening connection', async () => {
      const pids = await listenerPids();
      return pids.length === 1 && pids[0] !== pid && pids;
    });
    expect(again).toHaveLength(1);
  });

  itWhen(postgres)('a thousand waiters and a thousand stores: each waiter resolves with one read after its store', async () => {
    const counter = waiterBackend({ pollInterval: 500 });
    const { backend, reads } = counter;
    const ids = Array.from({ length: 1000 }, (_, i) => `many-${i}`);
    const results = Promise.all(ids.map((id) => backend.waitFor(id, { timeout: 30_000 })));
    await waitFor('the listening connection', async () => (await listenerPids()).length === 1);
    const idle = await settledReads(counter);
    await Promise.all(ids.map((id, i) => writer.markSucceeded(id, i)));
    await expect(results).resolves.toEqual(ids.map((_, i) => i));
    expect(reads() - idle).toBe(1000);
  });

  itWhen(postgres)('with notify off, waiters poll to the result and stores still NOTIFY (for waiters that listen)', async () => {
    const quiet = new PrismaResultBackend(writerDb, { notify: false });
    opened.push(quiet);
    const { backend, reads } = waiterBackend({ notify: false, pollInterval: 40 });
    const outcome = await hearing(async (heard) => {
      const result = backend.waitFor('quiet-1', { timeout: 10_000 });
      await pause(200);
      await quiet.markSucceeded('quiet-1', 'polled');
      const value = await result;
      await waitFor('the notification', () => heard.length > 0);
      return { value, heard };
    });
    expect(outcome.value).toBe('polled');
    expect(outcome.heard).toEqual(['["quiet-1"]']);
    expect(reads()).toBeGreaterThan(2);
  });

  itWhen(postgres)('a many-row store of long ids notifies every id in payloads under the 8000-byte limit; a group save its id', async () => {
    const heard = await hearing(async (payloads) => {
      const ids = Array.from({ length: 256 }, (_, i) => `${String(i).padStart(3, '0')}${'é'.repeat(252)}`);
      await Promise.all(ids.map((id) => writer.markSucceeded(id, 1)));
      await writer.markStarted('not-ready-yet');
      await writer.saveGroup('group-1', ['a', 'b']);
      await waitFor('the notifications', () => payloads.some((p) => p.includes('group-1')));
      return { payloads, ids };
    });
    const heardIds = heard.payloads.flatMap((p) => JSON.parse(p) as string[]);
    expect(new Set(heardIds)).toEqual(new Set([...heard.ids, 'group-1']));
    expect(heard.payloads.every((p) => Buffer.byteLength(p) < 8000)).toBe(true);
    expect(heard.payloads.length).toBeLessThan(heard.ids.length / 4); // many ids to a notification, not one each
  });

  itWhen(postgres)('behind a pooler that never delivers notifications: said once in the log, and waits poll', async () => {
    const direct = new URL(testDb.url);
    const eater = new TcpProxy(direct.hostname, Number(direct.port || 5432), dropNotifications);
    const port = await eater.listen();
    const pooled = new URL(testDb.url);
    pooled.host = `127.0.0.1:${port}`;
    const db = await openDatabase(pooled.toString());
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      lines.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    try {
      const backend = new PrismaResultBackend(db, { pollInterval: 50 });
      const result = backend.waitFor('pooled-1', { timeout: 15_000 });
      await waitFor('the warning', () => lines.some((line) => line.includes('never arrive')));
      await writer.markSucceeded('pooled-1', 'polled');
      await expect(result).resolves.toBe('polled');
      await expect(backend.waitFor('pooled-1')).resolves.toBe('polled');
      await backend.close();
      const again = new PrismaResultBackend(db, { pollInterval: 50 });
      await again.markSucceeded('pooled-2', 'polled again');
      await expect(again.waitFor('pooled-2', { timeout: 5000 })).resolves.toBe('polled again');
      await again.close();
      expect(lines.filter((line) => / WARN .*notifications sent to this connection never arrive: waiting by polling/.test(line))).toHaveLength(1);
    } finally {
      process.stderr.write = write;
      await db.close();
      await eater.cut();
    }
  });

  itWhen(postgres)('stores and group saves through Prisma\'s raw calls (a useDatabase Database) notify too', async () => {
    const viaPrisma = new PrismaResultBackend(useDatabase(writerDb.prisma, testDb.url), { notify: false });
    opened.push(viaPrisma);
    const heard = await hearing(async (payloads) => {
      await viaPrisma.markSucceeded('via-prisma', 1);
      await viaPrisma.saveGroup('group-via-prisma', ['via-prisma']);
      await waitFor('both notifications', () => payloads.length >= 2);
      return payloads;
    });
    expect(heard).toEqual(['["via-prisma"]', '["group-via-prisma"]']);
  });

  itWhen(postgres)('a waiter keeps its process alive while it waits; the listening connection does not keep it after', async () => {
    // The backend is never closed, as when a library makes one on the caller's Database.
    const script = `
      const { openDatabase } = await import('./src/db/open.ts');
      const { PrismaResultBackend } = await import('./src/backend/index.ts');
      const db = await openDatabase(process.env.WAKE_URL);
      const backend = new PrismaResultBackend(db, { pollInterval: 50 });
      console.log('waiting');
      console.log('got', await backend.waitFor('alive-1'));
      await db.close();
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], {
      cwd: ROOT,
      env: { ...process.env, WAKE_URL: testDb.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor('the child to wait', () => output.includes('waiting'), { timeoutMs: 20_000 });
      await waitFor('the child to listen', async () => (await listenerPids()).length === 2); // ours and the child's
      await pause(300);
      await writer.markSucceeded('alive-1', 'kept');
      expect(await exited).toBe(0);
      expect(output).toContain('got kept');
    } finally {
      child.kill();
    }
  }, 30_000);

  itWhen(!postgres)('polls adaptively to results stored through another connection, many at a time', async () => {
    const { backend, reads } = waiterBackend({ pollInterval: 200 });
    const ids = Array.from({ length: 200 }, (_, i) => `poll-${i}`);
    const results = Promise.all(ids.map((id) => backend.waitFor(id, { timeout: 20_000 })));
    await waitFor('every waiter to have read once', () => reads() >= ids.length);
    // The writer stores in waves while the waiters' polls back off.
    for (let wave = 0; wave < 4; wave++) {
      await pause(60);
      await Promise.all(ids.filter((_, i) => i % 4 === wave).map((id) => writer.markSucceeded(id, { id })));
    }
    await expect(results).resolves.toEqual(ids.map((id) => ({ id })));
    // Each waiter read again after its store, never more often than the backoff allows (5, 10, 20… ms up to 200).
    expect(reads()).toBeGreaterThanOrEqual(ids.length * 2);
    expect(reads()).toBeLessThan(ids.length * 40);
  });

  itWhen(!postgres)('a store made in this process wakes the waiter at once, between its polls', async () => {
    const { backend, reads } = waiterBackend({ pollInterval: 60_000 });
    const result = backend.waitFor('local-1', { timeout: 20_000 });
    await pause(400); // polls at 0, 5, 15, 35, 75, 155, 315 ms; the next is due at 635
    const before = reads();
    await backend.markSucceeded('local-1', 'woken');
    await expect(result).resolves.toBe('woken');
    expect(reads()).toBe(before + 1);
  });
});
