// Beat's loop and options with a stand-in scheduler: the sleep each tick
// asks for, back-off and recovery after failing ticks, probing a database
// that does not answer, a clean close, the scheduler chosen by name or
// module, and bounded option messages.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { ConfigError } from '../../src/errors.js';
import {
  Beat,
  DatabaseScheduler,
  resolveBeatOptions,
  resolveScheduler,
  SchedulerError,
  type BeatEvent,
  type Scheduler,
  type SchedulerContext,
} from '../../src/scheduler/index.js';
import { waitFor } from '../support/wait.js';

/** A stand-in database that answers beat's probe while `up` says so, and keeps beat's heartbeat writes. */
function probedDatabase() {
  const state = { up: true, probes: 0, heartbeats: [] as { lastTick: Date; stopped: Date | null }[] };
  const database = {
    provider: 'postgresql',
    prisma: {
      beatState: {
        upsert: async ({ update }: { update: { lastTick: Date; stopped: Date | null } }) => void state.heartbeats.push(update),
        deleteMany: async () => ({ count: 0 }),
      },
    },
    sql: {
      execute: async () => {
        state.probes++;
        if (!state.up) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return 0;
      },
    },
  } as unknown as Database;
  return { database, state };
}

const { database, state: standInState } = probedDatabase();
const publisher = { publish: async () => {} };

function standIn(script: (tick: number) => number | Error) {
  const calls: string[] = [];
  let contextSeen: SchedulerContext | undefined;
  class StandIn implements Scheduler {
    #ticks = 0;
    constructor(context: SchedulerContext) {
      contextSeen = context;
    }
    async start() {
      calls.push('start');
    }
    async tick() {
      const outcome = script(this.#ticks++);
      calls.push(`tick ${this.#ticks}`);
      if (outcome instanceof Error) throw outcome;
      return outcome;
    }
    async close() {
      calls.push('close');
    }
  }
  return { StandIn, calls, context: () => contextSeen };
}

const polling = { timeoutMs: 5000, intervalMs: 5 };

describe('Beat', () => {
  it('ticks, sleeps what the tick asks, and closes the scheduler once', async () => {
    const { StandIn, calls, context } = standIn(() => 0.01);
    const events: BeatEvent[] = [];
    const beat = new Beat({ database, publisher, scheduler: StandIn, origin: 'gen7@here', onEvent: (e) => events.push(e) });
    await beat.start();
    await waitFor('five scheduler calls', () => calls.length >= 5, polling);
    await Promise.all([beat.close(), beat.close()]);
    expect(calls[0]).toBe('start');
    expect(calls.at(-1)).toBe('close');
    expect(calls.filter((c) => c === 'close')).toHaveLength(1);
    expect(context()).toMatchObject({ database, origin: 'gen7@here', maxInterval: 5, syncInterval: 0.5, staticSchedule: [] });
    expect(events.map((e) => e.type)).toEqual(['beat-started', 'beat-stopped']);
    // Written at start and on close; the ticks, 10 ms apart, are well within the heartbeat's pace.
    expect(standInState.heartbeats.map((h) => h.stopped === null)).toEqual([true, false]);
  });

  it('backs off after failing ticks, doubling to the maximum, and reports the recovery', async () => {
    const { StandIn } = standIn((n) => (n < 4 ? new Error(`down ${n}`) : 0.01));
    const events: BeatEvent[] = [];
    const beat = new Beat({ database, publisher, scheduler: StandIn, retry: { minDelay: 0.01, maxDelay: 0.03 }, onEvent: (e) => events.push(e) });
    await beat.start();
    await waitFor('recovery', () => events.some((e) => e.type === 'recovered'), polling);
    await beat.close();
    const failed = events.filter((e) => e.type === 'tick-failed') as Extract<BeatEvent, { type: 'tick-failed' }>[];
    expect(failed.map((e) => [e.failures, e.retryInSeconds])).toEqual([
      [1, 0.01],
      [2, 0.02],
      [3, 0.03],
      [4, 0.03],
    ]);
    expect(failed[0]?.error).toEqual(new Error('down 0'));
  });

  it('while the database does not answer, probes it and ticks as soon as it does, without backing off', async () => {
    const probed = probedDatabase();
    probed.state.up = false;
    const { StandIn, calls } = standIn(() => (probed.state.up ? 0.01 : new Error('connection refused')));
    const events: BeatEvent[] = [];
    const beat = new Beat({ database: probed.database, publisher, scheduler: StandIn, onEvent: (e) => events.push(e) });
    await beat.start();
    try {
      await waitFor('three probes', () => probed.state.probes >= 3, polling);
      expect(calls.filter((c) => c.startsWith('tick'))).toHaveLength(1);
      probed.state.up = true;
      const back = Date.now();
      await waitFor('recovery', () => events.some((e) => e.type === 'recovered'), polling);
      // The default back-off would wait 1 s, then 2 s, 4 s …: the probe is due within 0.5 s.
      expect(Date.now() - back).toBeLessThan(900);
    } finally {
      await beat.close();
    }
    const failed = events.filter((e) => e.type === 'tick-failed');
    expect(failed).toEqual([expect.objectContaining({ failures: 1, retryInSeconds: 0.5, databaseDown: true })]);
  });

  it('close() does not wait for a database that does not answer', async () => {
    const probed = probedDatabase();
    probed.state.up = false;
    const { StandIn } = standIn(() => new Error('connection refused'));
    const events: BeatEvent[] = [];
    const beat = new Beat({ database: probed.database, publisher, scheduler: StandIn, onEvent: (e) => events.push(e) });
    await beat.start();
    await waitFor('a failed tick', () => events.some((e) => e.type === 'tick-failed'), polling);
    const closing = Date.now();
    await beat.close();
    expect(Date.now() - closing).toBeLessThan(200);
  });

  it('a listener that throws does not stop the loop', async () => {
    const { StandIn, calls } = standIn(() => 0.005);
    const beat = new Beat({
      database,
      publisher,
      scheduler: StandIn,
      onEvent: () => {
        throw new Error('listener bug');
      },
    });
    const lines: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    try {
      await beat.start();
      await waitFor('more than three scheduler calls', () => calls.length > 3, polling);
      await beat.close();
    } finally {
      stderr.mockRestore();
    }
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(/^\S+Z ERROR beat     an event listener threw on "\w[\w-]*": listener bug\n$/);
  });

  it('rejects start() when the scheduler cannot start, and closes it', async () => {
    class Broken implements Scheduler {
      closed = false;
      async start(): Promise<void> {
        throw new Error('no tables');
      }
      async tick() {
        return 1;
      }
      async close() {}
    }
    const beat = new Beat({ database, publisher, scheduler: Broken });
    await expect(beat.start()).rejects.toThrow('no tables');
    await beat.close();
  });
});

describe('resolveBeatOptions', () => {
  const message = (options: Parameters<typeof resolveBeatOptions>[0]): string => {
    try {
      resolveBeatOptions(options);
    } catch (error) {
      if (error instanceof ConfigError) return error.message;
      throw error;
    }
    return '';
  };

  it('has the documented defaults', () => {
    const settings = resolveBeatOptions({ databaseUrl: 'file:x.db', brokerUrl: 'amqp://h' });
    expect(settings).toMatchObject({ scheduler: 'DatabaseScheduler', maxInterval: 5, syncInterval: 0.5, minDelay: 1, maxDelay: 30, schedule: [] });
    expect(settings.origin).toMatch(/^gen\d+@/);
    expect(resolveBeatOptions({ databaseUrl: 'x', brokerUrl: 'y', maxInterval: 0.2 }).syncInterval).toBe(0.2);
  });

  it('says what is wrong in one bounded line', () => {
    expect(message({ brokerUrl: 'y' })).toBe('Beat needs exactly one of databaseUrl or database');
    expect(message({ databaseUrl: 'x', database, brokerUrl: 'y' })).toBe('Beat needs exactly one of databaseUrl or database');
    expect(message({ databaseUrl: 'x' })).toBe('Beat needs exactly one of brokerUrl or publisher');
    expect(message({ databaseUrl: 'x', brokerUrl: 'y', maxInterval: 0 })).toBe('maxInterval must be between 0.1 and 300 seconds (got 0)');
    expect(message({ databaseUrl: 'x', brokerUrl: 'y', retry: { minDelay: 5, maxDelay: 1 } })).toBe('retry.maxDelay (1) must be at least retry.minDelay (5)');
    expect(message({ databaseUrl: 'x', brokerUrl: 'y', resultExpires: -1 })).toMatch(/^resultExpires must be/);
    expect(message({ databaseUrl: 'x', brokerUrl: 'y', schedule: { a: { task: 't', schedule: 'soon' } } })).toMatch(/^schedule: entry "a": duration "soon"/);
    expect(message({ databaseUrl: 'x', brokerUrl: 'y', schedule: [{ name: 'b', task: 't', schedule: { every: -1 } }] })).toMatch(/^schedule: periodic task "b": duration -1/);
  });

  it('adds celery.backend_cleanup to the static schedule when results expire', () => {
    const { schedule } = resolveBeatOptions({ databaseUrl: 'x', brokerUrl: 'y', resultExpires: 86_400, schedule: { a: { task: 't', schedule: 5 } } });
    expect(schedule.map((e) => e.name)).toEqual(['a', 'celery.backend_cleanup']);
  });
});

describe('resolveScheduler', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-registry-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("knows DatabaseScheduler by its own, Celery's and django-celery-beat's names", async () => {
    for (const name of ['DatabaseScheduler', 'django_celery_beat.schedulers:DatabaseScheduler', 'djcelery.schedulers.DatabaseScheduler']) {
      expect(await resolveScheduler(name)).toBe(DatabaseScheduler);
    }
  });

  it("loads a user's class from a module path, relative to the working directory", async () => {
    writeFileSync(join(dir, 'mine.mjs'), 'export class Mine { async start() {} async tick() { return 1; } async close() {} }\nexport const notAClass = 3;\n');
    expect((await resolveScheduler('./mine.mjs#Mine', dir)).name).toBe('Mine');
    expect((await resolveScheduler(`${join(dir, 'mine.mjs')}#Mine`)).name).toBe('Mine');
  });

  it('refuses, by code, names and modules that give no scheduler', async () => {
    const failure = async (spec: string) => {
      try {
        await resolveScheduler(spec, dir);
      } catch (error) {
        if (error instanceof SchedulerError) return [error.code, error.message];
      }
      return [];
    };
    expect(await failure('PersistentScheduler')).toEqual([
      'E_SCHEDULER_UNKNOWN',
      'unknown scheduler "PersistentScheduler": use one of DatabaseScheduler, django_celery_beat.schedulers:DatabaseScheduler, ' +
        'django_celery_beat.schedulers.DatabaseScheduler, djcelery.schedulers.DatabaseScheduler, or your own class as ./path/to/module.js#ExportName',
    ]);
    expect((await failure('./missing.mjs#X'))[0]).toBe('E_SCHEDULER_LOAD');
    expect(await failure('./mine.mjs#Other')).toEqual(['E_SCHEDULER_LOAD', 'scheduler module "./mine.mjs" has no export "Other" (it exports: Mine, notAClass)']);
    expect((await failure('./mine.mjs#notAClass'))[1]).toBe('"./mine.mjs#notAClass" is not a scheduler class: export a class with start(), tick(now) and close() methods');
  });
});
