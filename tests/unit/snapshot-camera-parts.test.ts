// The camera's pure parts: maxrate, the heartbeat write throttle, row
// sanitizing and the SQL the upsert sends (MySQL assigns state last).
import { describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/db/dialect.js';
import { resolveCameraOptions } from '../../src/snapshot/camera/options.js';
import { parseRate, TokenBucket } from '../../src/snapshot/camera/rate-limit.js';
import { WorkerWriteThrottle } from '../../src/snapshot/camera/worker-throttle.js';
import type { TaskRow } from '../../src/snapshot/state/rows.js';
import { sanitizeTasks } from '../../src/snapshot/store/sanitize.js';
import { taskRowsJson, taskUpsertSql } from '../../src/snapshot/store/upsert-sql.js';
import type { Database } from '../../src/db/open.js';

describe('maxrate', () => {
  it('reads Celery rates', () => {
    expect(parseRate('100/m')).toBeCloseTo(100 / 60);
    expect(parseRate('5/s')).toBe(5);
    expect(parseRate('36/h')).toBe(0.01);
    expect(parseRate('2')).toBe(2);
    expect(() => parseRate('fast')).toThrow(/not a rate/);
    expect(() => parseRate('0/m')).toThrow(/more than zero/);
  });

  it('lets a shutter through only when a token is there (capacity 1)', () => {
    let now = 0;
    const bucket = new TokenBucket(parseRate('60/m'), () => now);
    expect(bucket.tryConsume()).toBe(true);
    expect(bucket.tryConsume()).toBe(false);
    now = 500;
    expect(bucket.tryConsume()).toBe(false);
    now = 1000;
    expect(bucket.tryConsume()).toBe(true);
    now = 10_000;
    expect(bucket.tryConsume()).toBe(true);
    expect(bucket.tryConsume()).toBe(false);
  });
});

describe('worker heartbeat throttle', () => {
  const row = (hostname: string, at: number | null) => ({ hostname, lastHeartbeat: at === null ? null : new Date(at) });

  it('writes once per interval per worker, and at once when liveness changes', () => {
    const throttle = new WorkerWriteThrottle(5000);
    let split = throttle.split([row('a', 1), row('b', 1)], 0);
    expect(split.write.map((w) => w.hostname)).toEqual(['a', 'b']);
    throttle.stored(split.write, 0);
    split = throttle.split([row('a', 2), row('b', null)], 1000);
    expect(split.write.map((w) => w.hostname)).toEqual(['b']);
    expect(split.later.map((w) => w.hostname)).toEqual(['a']);
    throttle.stored(split.write, 1000);
    expect(throttle.split([row('a', 3)], 5000).write).toHaveLength(1);
  });
});

describe('options', () => {
  const database = {} as Database;
  it('has djcelery defaults and bounded messages', () => {
    const o = resolveCameraOptions({ database, brokerUrl: 'amqp://x' });
    expect(o).toMatchObject({ freqMs: 1000, maxrate: null, expiry: { success: 86_400, error: 259_200, pending: 432_000 }, cleanupIntervalMs: 3_600_000 });
    expect(resolveCameraOptions({ database, brokerUrl: 'amqp://x', maxrate: '100/m', expireError: null }).expiry.error).toBeNull();
    expect(() => resolveCameraOptions({ database, brokerUrl: 'amqp://x', freq: 0 })).toThrow('freq must be between 0.01 and 3600 seconds, got 0');
  });
});

describe('rows and SQL', () => {
  const base: TaskRow = {
    taskId: 't',
    state: 'SUCCESS',
    name: null,
    tstamp: new Date(0),
    args: null,
    kwargs: null,
    eta: null,
    expires: null,
    result: null,
    traceback: null,
    runtime: null,
    retries: 0,
    worker: null,
  };

  it('cuts long text by code points, strips NUL only for PostgreSQL, refuses long ids', () => {
    const emoji = '😀'.repeat(300);
    const { rows, rejected } = sanitizeTasks([{ ...base, name: emoji, traceback: 'a\0b' }, { ...base, taskId: 'x'.repeat(256) }], 'postgresql');
    expect(Array.from(rows[0]?.name ?? '')).toHaveLength(255);
    expect(rows[0]?.traceback).toBe('ab');
    expect(rejected).toHaveLength(1);
    expect(sanitizeTasks([{ ...base, traceback: 'a\0b' }], 'mysql').rows[0]?.traceback).toBe('a\0b');
  });

  it('sends the rows as one JSON document, instants as each provider stores them', () => {
    const row = { ...base, tstamp: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67)), eta: null, worker: 'w@h' };
    const of = (provider: 'postgresql' | 'mysql' | 'sqlite') => JSON.parse(taskRowsJson(provider, [row], () => 7)) as Record<string, unknown>[];
    expect(of('postgresql')[0]).toMatchObject({ i: row.taskId, s: row.state, t: '2026-01-02T03:04:05.067Z', e: null, w: 7 });
    expect(of('mysql')[0]?.t).toBe('2026-01-02 03:04:05.067');
    expect(of('sqlite')[0]?.t).toBe('2026-01-02T03:04:05.067+00:00');
  });

  it('assigns state last on MySQL, after every guard that reads it', () => {
    const sql = taskUpsertSql(dialectOf('mysql'));
    const update = sql.slice(sql.indexOf('ON DUPLICATE KEY UPDATE'));
    const assignments = update.split(/, (?=`\w+` = )/);
    expect(assignments.at(-1)).toMatch(/^`state` = IF\(/);
    expect(sql.match(/\?/g)).toHaveLength(1);
  });
});
