// The pure parts of /metrics: when figures are read again and what a scrape
// gets meanwhile (a fake clock, reads resolved by hand), the samples built
// from figures, and a Metrics with only this process's counters, read back
// by its own registry.
import { describe, expect, it } from 'vitest';
import { BACKEND_FAMILIES, CAMERA_FAMILIES, queueSamples, runtimeSamples, workerSamples } from '../../src/web/metrics/families.js';
import { Refreshing } from '../../src/web/metrics/refreshing.js';
import { RUNTIME_BUCKETS, type TableFigures } from '../../src/web/metrics/table-reads.js';
import { Metrics } from '../../src/web/index.js';
import { ConfigError } from '../../src/errors.js';

/** Reads that end when the test says, on a clock the test moves. */
function harness(options: { minIntervalMs?: number; waitMs?: number; maxStaleMs?: number; startDelayMs?: number } = {}) {
  let clock = 1_000_000;
  const reads: { resolve: (value: number) => void; reject: (error: Error) => void }[] = [];
  const refreshing = new Refreshing(
    () => new Promise<number>((resolve, reject) => reads.push({ resolve, reject })),
    { minIntervalMs: 5000, waitMs: 20, maxStaleMs: 60_000, ...options, now: () => clock },
  );
  return {
    refreshing,
    reads,
    tick: (ms: number) => (clock += ms),
    settle: () => new Promise((resolve) => setImmediate(resolve)),
  };
}

describe('Refreshing', () => {
  it('waits for the first read, then serves it for the interval without reading again', async () => {
    const h = harness();
    const first = h.refreshing.get();
    expect(h.reads).toHaveLength(1);
    h.tick(30);
    h.reads[0]?.resolve(1);
    expect(await first).toEqual({ value: 1, at: 1_000_000, tookMs: 30 });
    h.tick(4000);
    expect((await h.refreshing.get()).value).toBe(1);
    expect(h.reads).toHaveLength(1);
  });

  it('serves a read that ends within the wait, fresh', async () => {
    const h = harness();
    const first = h.refreshing.get();
    h.reads[0]?.resolve(1);
    await first;
    h.tick(5000);
    const second = h.refreshing.get();
    h.reads[1]?.resolve(2);
    expect((await second).value).toBe(2);
  });

  it('serves the previous value when a read takes longer than the wait, and the new one once it ends', async () => {
    const h = harness({ waitMs: 5 });
    const first = h.refreshing.get();
    h.reads[0]?.resolve(1);
    await first;
    h.tick(6000);
    expect((await h.refreshing.get()).value).toBe(1);
    // Asked again while the read goes on: no second read.
    expect((await h.refreshing.get()).value).toBe(1);
    expect(h.reads).toHaveLength(2);
    h.reads[1]?.resolve(2);
    await h.settle();
    expect((await h.refreshing.get()).value).toBe(2);
  });

  it('reads no more often than ten times what the last read took', async () => {
    const h = harness();
    const first = h.refreshing.get();
    h.tick(2000);
    h.reads[0]?.resolve(1);
    await first;
    expect(h.refreshing.intervalMs).toBe(20_000);
    h.tick(15_000);
    await h.refreshing.get();
    expect(h.reads).toHaveLength(1);
    h.tick(5001);
    void h.refreshing.get();
    expect(h.reads).toHaveLength(2);
  });

  it('waits for the read once the previous value is too stale to serve', async () => {
    const h = harness({ waitMs: 1, maxStaleMs: 10_000 });
    const first = h.refreshing.get();
    h.reads[0]?.resolve(1);
    await first;
    h.tick(15_000);
    const second = h.refreshing.get();
    await new Promise((resolve) => setTimeout(resolve, 10));
    h.reads[1]?.resolve(2);
    expect((await second).value).toBe(2);
  });

  it('fails the scrape that waited for a failed read, keeps nothing of it, and reads again next time', async () => {
    const h = harness();
    const first = h.refreshing.get();
    h.reads[0]?.reject(new Error('database down'));
    await expect(first).rejects.toThrow('database down');
    expect(h.refreshing.last).toBeUndefined();
    const second = h.refreshing.get();
    h.reads[1]?.resolve(3);
    expect((await second).value).toBe(3);
  });

  it('with no wait, answers at once with the previous value and starts the read a little later, once', async () => {
    const h = harness({ waitMs: 0, startDelayMs: 15 });
    const first = h.refreshing.get();
    h.reads[0]?.resolve(1);
    await first;
    h.tick(6000);
    expect((await h.refreshing.get()).value).toBe(1);
    expect((await h.refreshing.get()).value).toBe(1);
    expect(h.reads).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(h.reads).toHaveLength(2);
    h.reads[1]?.resolve(2);
    await h.settle();
    expect((await h.refreshing.get()).value).toBe(2);
  });

  it('lets a read that fails after the previous value was served go unnoticed until the next scrape reads again', async () => {
    const h = harness({ waitMs: 1 });
    const first = h.refreshing.get();
    h.reads[0]?.resolve(1);
    await first;
    h.tick(6000);
    expect((await h.refreshing.get()).value).toBe(1);
    h.reads[1]?.reject(new Error('database down'));
    await h.settle();
    const third = h.refreshing.get();
    expect(h.reads).toHaveLength(3);
    h.reads[2]?.resolve(4);
    expect((await third).value).toBe(4);
  });
});

const figures = (partial: Partial<TableFigures>): TableFigures => ({ tasks: [], results: [], runtimes: [], workers: [], beats: [], ...partial });

describe('samples', () => {
  it('writes a histogram as cumulative buckets up to +Inf, then its sum and count', () => {
    const buckets = RUNTIME_BUCKETS.map((le) => (le >= 1 ? 2 : 0));
    const samples = runtimeSamples(figures({ runtimes: [{ name: 'tasks.add', buckets, count: 3, sum: 301.5 }] }));
    expect(samples).toHaveLength(RUNTIME_BUCKETS.length + 3);
    expect(samples.at(-4)).toEqual({ metricName: 'celery_task_runtime_seconds_bucket', labels: { name: 'tasks.add', le: 1800 }, value: 2 });
    expect(samples.slice(-3)).toEqual([
      { metricName: 'celery_task_runtime_seconds_bucket', labels: { name: 'tasks.add', le: '+Inf' }, value: 3 },
      { metricName: 'celery_task_runtime_seconds_sum', labels: { name: 'tasks.add' }, value: 301.5 },
      { metricName: 'celery_task_runtime_seconds_count', labels: { name: 'tasks.add' }, value: 3 },
    ]);
  });

  it("takes a worker for up within twice its heartbeat interval plus the camera's delay", () => {
    const now = new Date('2026-12-07T12:00:00Z');
    const seen = (seconds: number) => new Date(now.getTime() - seconds * 1000);
    const workers = [
      { hostname: 'a', lastHeartbeat: seen(5.9) },
      { hostname: 'b', lastHeartbeat: seen(6) },
      { hostname: 'c', lastHeartbeat: null },
    ];
    expect(workerSamples(figures({ workers }), now, { heartbeatFreq: 2, cameraFreq: 2 }).map((s) => s.value)).toEqual([1, 0, 0]);
  });

  it('leaves out queues the broker lacks, and consumers it cannot tell', () => {
    const depths = [
      { queue: 'a', messages: 3, consumers: 1, declared: true },
      { queue: 'b', messages: null, consumers: null, declared: false },
      { queue: 'c', messages: 7, consumers: null, declared: null },
    ];
    expect(queueSamples({ depths, up: true }, 'messages')).toEqual([
      { labels: { queue: 'a' }, value: 3 },
      { labels: { queue: 'c' }, value: 7 },
    ]);
    expect(queueSamples({ depths, up: true }, 'consumers')).toEqual([{ labels: { queue: 'a' }, value: 1 }]);
  });
});

describe('Metrics', () => {
  it("serves this process's camera and backend counters as they stand at each scrape", async () => {
    const camera = { events: 10, changesDropped: 0, snapshotFailures: 1, pendingTasks: 7, oldestPendingMs: 2500, slowSnapshots: 3 };
    const backend = { stores: 5, storeErrors: 2 };
    const metrics = new Metrics({ camera: { stats: () => camera }, backend: { stats: () => backend } });
    const first = await metrics.metrics();
    expect(first.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(first.text).toContain(`# TYPE ${CAMERA_FAMILIES.events.name} counter\n${CAMERA_FAMILIES.events.name} 10\n`);
    expect(first.text).toContain(`${BACKEND_FAMILIES.storeErrors.name} 2\n`);
    expect(first.text).toContain(`# TYPE ${CAMERA_FAMILIES.pending.name} gauge\n${CAMERA_FAMILIES.pending.name} 7\n`);
    expect(first.text).toContain(`${CAMERA_FAMILIES.oldestPending.name} 2.5\n`);
    expect(first.text).toContain(`${CAMERA_FAMILIES.slowSnapshots.name} 3\n`);
    expect(first.text).not.toContain('celery_tasks');
    camera.events = 12;
    expect((await metrics.metrics()).text).toContain(`${CAMERA_FAMILIES.events.name} 12\n`);
  });

  it('refuses options out of range in one line', () => {
    expect(() => new Metrics({ runtimeWindow: 0 })).toThrow(new ConfigError('runtimeWindow must be between 1 and 86400 seconds, got 0'));
    expect(() => new Metrics({ refreshInterval: -1 })).toThrow(ConfigError);
  });
});
