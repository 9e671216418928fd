// DatabaseScheduler on every database, with the clock moved by hand and
// the broker replaced by a recorder: what is sent when, claims, live edits
// through the API and raw SQL, bad rows, failed publishes, one-off and
// expired entries, catch-up, and two schedulers on one database.
import { beforeAll, beforeEach, expect, it } from 'vitest';
import type { TaskMessage } from '../../src/core/protocol/index.js';
import type { Database } from '../../src/db/open.js';
import {
  DatabaseScheduler,
  PeriodicTaskStore,
  type BeatEvent,
  type PeriodicTaskInput,
} from '../../src/scheduler/index.js';
import { describeEachDatabase } from '../support/databases.js';

interface Harness {
  scheduler: DatabaseScheduler;
  sent: TaskMessage[];
  events: BeatEvent[];
  /** Set to make the next publishes reject. */
  failPublishes: number;
}

function harness(db: Database, clock: () => Date, onPublish?: (message: TaskMessage) => Promise<void>): Harness {
  const h: Harness = { scheduler: undefined as never, sent: [], events: [], failPublishes: 0 };
  h.scheduler = new DatabaseScheduler({
    database: db,
    publish: async (message) => {
      await onPublish?.(message);
      if (h.failPublishes > 0) {
        h.failPublishes--;
        throw new Error('broker said no');
      }
      h.sent.push(message);
    },
    origin: 'gen1@test',
    maxInterval: 5,
    syncInterval: 1,
    staticSchedule: [],
    clock,
    emit: (event) => h.events.push(event),
  });
  return h;
}

/**
 * The database with a connection that fails on the statements `fault`
 * picks: 'before' (the statement never reached the server), 'after' (it was
 * applied, and its answer lost), or undefined (it goes through).
 */
function faulty(db: Database, fault: (sql: string) => 'before' | 'after' | undefined): Database {
  const cut =
    <P extends unknown[], R>(run: (sql: string, ...rest: P) => Promise<R>) =>
    async (sql: string, ...rest: P): Promise<R> => {
      const when = fault(sql);
      if (when === 'before') throw new Error('connection lost before the statement');
      const result = await run(sql, ...rest);
      if (when === 'after') throw new Error('connection lost after the statement');
      return result;
    };
  const prisma = new Proxy(db.prisma, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (prop !== '$executeRawUnsafe' && prop !== '$queryRawUnsafe') return typeof value === 'function' ? value.bind(target) : value;
      return cut((value as (sql: string, ...params: unknown[]) => Promise<unknown>).bind(target));
    },
  });
  const sql = { query: cut(db.sql.query.bind(db.sql)), execute: cut(db.sql.execute.bind(db.sql)) } as Database['sql'];
  return { ...db, prisma, sql };
}
const isClaim = (sql: string) => sql.includes('total_run_count + 1');

const body = (message: TaskMessage) => JSON.parse(message.content.toString()) as [unknown[], Record<string, unknown>, unknown];
const names = (h: Harness) => h.sent.map((m) => m.properties.headers.task);

describeEachDatabase('DatabaseScheduler', (testDb) => {
  let db: Database;
  let tasks: PeriodicTaskStore;
  let now: Date;
  const clock = () => now;
  const advance = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000);
  };
  const exec = (sql: string) => db.prisma.$executeRawUnsafe(sql);
  const create = (input: PeriodicTaskInput) => tasks.create(input);
  const row = (name: string) => db.prisma.periodicTask.findUniqueOrThrow({ where: { name } });
  /** Entries that never ran count from their row's date_changed (the database's clock); pin them to `now` instead. */
  const ranAtNow = () => db.prisma.periodicTask.updateMany({ where: { lastRunAt: null, oneOff: false }, data: { lastRunAt: now } });

  beforeAll(async () => {
    db = await testDb.open();
  });

  beforeEach(async () => {
    await db.prisma.periodicTask.deleteMany();
    // Whole milliseconds, a little ahead of the database's own clock (date_changed).
    now = new Date(Math.ceil(Date.now() / 1000) * 1000 + 1000);
    tasks = new PeriodicTaskStore(db, { clock });
  });

  it('sends each entry when due, claimed before it is sent, with its options', async () => {
    await create({ name: 'every-2s', task: 'tasks.add', schedule: { every: 2 }, args: [2, 3], lastRunAt: undefined } as PeriodicTaskInput);
    await create({
      name: 'echo',
      task: 'tasks.echo',
      schedule: { every: 3 },
      kwargs: { k: 'v' },
      queue: 'beat.q',
      priority: 4,
      expireSeconds: 10,
      headers: { 'x-trace': 't1' },
    });
    await create({ name: 'via-exchange', task: 'tasks.add', schedule: { every: 3 }, exchange: 'beat.x', routingKey: 'beat.k' });
    await ranAtNow();
    const h = harness(db, clock, async (message) => {
      // Reserve before send: the row already holds this run when the message goes out.
      const name = message.properties.headers.task === 'tasks.echo' ? 'echo' : null;
      if (name) expect((await row(name)).lastRunAt).toEqual(now);
    });
    await h.scheduler.start();
    expect(h.scheduler.size).toBe(3);

    expect(await h.scheduler.tick(now)).toBe(1); // nothing due: poll again in a second
    expect(h.sent).toEqual([]);
    advance(2);
    await h.scheduler.tick(now);
    expect(names(h)).toEqual(['tasks.add']);
    advance(1);
    await h.scheduler.tick(now);
    expect(names(h).sort()).toEqual(['tasks.add', 'tasks.add', 'tasks.echo']);

    const echo = h.sent.find((m) => m.properties.headers.task === 'tasks.echo')!;
    expect(echo).toMatchObject({ exchange: '', routingKey: 'beat.q', queue: 'beat.q' });
    expect(echo.properties).toMatchObject({ priority: 4, expiration: '10000', correlationId: echo.id });
    expect(echo.properties.headers).toMatchObject({
      lang: 'py',
      task: 'tasks.echo',
      argsrepr: '()',
      kwargsrepr: "{'k': 'v'}",
      origin: 'gen1@test',
      expires: new Date(now.getTime() + 10_000).toISOString().replace('.000Z', '+00:00'), // Python's isoformat: no fraction when it is 0
      'x-trace': 't1',
    });
    expect(body(echo).slice(0, 2)).toEqual([[], { k: 'v' }]);
    const routed = h.sent.find((m) => m.exchange === 'beat.x')!;
    expect(routed).toMatchObject({ routingKey: 'beat.k', queue: null });
    const add = await row('every-2s');
    expect(add).toMatchObject({ totalRunCount: 1, lastRunAt: new Date(now.getTime() - 1000) });
    expect(add.nextRunAt).toEqual(new Date(now.getTime() + 1000));
    expect(h.events.filter((e) => e.type === 'task-sent')).toHaveLength(3);
    await h.scheduler.close();
  });

  it('sleeps exactly until the next due run when it is sooner than the poll', async () => {
    await create({ name: 'soon', task: 't', schedule: { every: 60 } });
    await ranAtNow();
    const h = harness(db, clock);
    await h.scheduler.start();
    advance(59.75);
    expect(await h.scheduler.tick(now)).toBeCloseTo(0.25, 2);
    advance(0.25);
    await h.scheduler.tick(now);
    expect(h.sent).toHaveLength(1);
  });

  it('picks up edits made through the API and raw SQL at the next tick, re-reading only those rows', async () => {
    await create({ name: 'edited', task: 'tasks.echo', schedule: { every: 1 }, kwargs: { v: 1 } });
    for (let i = 0; i < 20; i++) await create({ name: `other-${i}`, task: 't', schedule: { every: 3600 } });
    await ranAtNow();
    const h = harness(db, clock);
    await h.scheduler.start();
    advance(1);
    await h.scheduler.tick(now);
    expect(body(h.sent.at(-1)!)[1]).toEqual({ v: 1 });

    await tasks.update('edited', { kwargs: { v: 2 } });
    advance(1);
    await h.scheduler.tick(now);
    expect(body(h.sent.at(-1)!)[1]).toEqual({ v: 2 });
    expect(h.events.filter((e) => e.type === 'schedule-synced').at(-1)).toMatchObject({ changed: 1, removed: 0 });

    await exec(`UPDATE djcelery_periodictask SET kwargs = '{"v": 3}', queue = 'raw.q' WHERE name = 'edited'`);
    advance(1);
    await h.scheduler.tick(now);
    expect(h.sent.at(-1)).toMatchObject({ routingKey: 'raw.q' });
    expect(body(h.sent.at(-1)!)[1]).toEqual({ v: 3 });
    // Beat's own writes (the claims) left the edit alone.
    expect(await row('edited')).toMatchObject({ kwargs: '{"v": 3}', queue: 'raw.q', totalRunCount: 3, lastRunAt: now });

    await exec("UPDATE djcelery_periodictask SET enabled = false WHERE name = 'edited'");
    advance(1);
    await h.scheduler.tick(now);
    expect(h.scheduler.entryNamed('edited')).toBeUndefined();
    const count = h.sent.length;
    advance(2);
    await h.scheduler.tick(now);
    expect(h.sent).toHaveLength(count);

    await exec("UPDATE djcelery_periodictask SET enabled = true WHERE name = 'edited'");
    await exec("DELETE FROM djcelery_periodictask WHERE name = 'other-3'");
    advance(1);
    await h.scheduler.tick(now);
    expect(h.events.at(-1)?.type === 'task-sent' || h.events.some((e) => e.type === 'schedule-synced' && e.removed === 1)).toBe(true);
    expect(h.scheduler.size).toBe(20);
    expect(h.sent.length).toBe(count + 1);

    // A schedule row edited in SQL moves its tasks.
    await exec("UPDATE djcelery_intervalschedule SET every = 2 WHERE every = 1 AND period = 'hours'");
    advance(1);
    await h.scheduler.tick(now);
    expect(h.scheduler.entryNamed('other-0')?.schedule.describe()).toBe('every 2 hours');
    expect(h.events.filter((e) => e.type === 'schedule-synced').at(-1)).toMatchObject({ changed: 19 });
  });

  it('an edit between the load and the claim wins: the claim fails and the new version is sent', async () => {
    await create({ name: 'race', task: 'tasks.echo', schedule: { every: 1 }, args: ['old'] });
    await ranAtNow();
    const h = harness(db, clock);
    await h.scheduler.start();
    // Edited after beat read it, and before it ticks (no sync in between: same tick).
    const original = h.scheduler.tick.bind(h.scheduler);
    advance(1);
    await exec(`UPDATE djcelery_periodictask SET args = '["new"]' WHERE name = 'race'`);
    await original(now);
    expect(h.sent.map((m) => body(m)[0])).toEqual([['new']]);
    expect(await row('race')).toMatchObject({ args: '["new"]', totalRunCount: 1 });
  });

  it('disables bad rows with the reason, and keeps sending the good ones', async () => {
    await create({ name: 'good', task: 'tasks.add', schedule: { every: 1 } });
    await ranAtNow();
    const intervalId = (await row('good')).intervalId;
    const insert = (name: string, columns: string, values: string) =>
      exec(
        `INSERT INTO djcelery_periodictask (name, task, ${columns}, enabled, one_off, total_run_count, description, date_changed) ` +
          `VALUES ('${name}', 'tasks.add', ${values}, true, false, 0, '', CURRENT_TIMESTAMP)`,
      );
    await insert('bad-json', 'interval_id, args, kwargs, headers', `${intervalId}, '[1, 2', '{}', '{}'`);
    await insert('bad-kwargs', 'interval_id, args, kwargs, headers', `${intervalId}, '[]', '[1]', '{}'`);
    await insert('no-schedule', 'args, kwargs, headers', `'[]', '{}', '{}'`);
    await exec("INSERT INTO djcelery_crontabschedule (minute, hour, day_of_week, day_of_month, month_of_year, timezone) VALUES ('0', '4', '*', '*', '*', 'Mars/Olympus')");
    await exec("INSERT INTO djcelery_crontabschedule (minute, hour, day_of_week, day_of_month, month_of_year, timezone) VALUES ('0', '4', 'funday', '*', '*', 'UTC')");
    const [mars, funday] = await db.prisma.crontabSchedule.findMany({ orderBy: { id: 'asc' }, take: 2, where: { hour: '4' } });
    await insert('bad-zone', 'crontab_id, args, kwargs, headers', `${mars!.id}, '[]', '{}', '{}'`);
    await insert('bad-crontab', 'crontab_id, args, kwargs, headers', `${funday!.id}, '[]', '{}', '{}'`);
    await insert('two-kinds', 'interval_id, crontab_id, args, kwargs, headers', `${intervalId}, ${funday!.id}, '[]', '{}', '{}'`);
    await insert('bad-header', 'interval_id, args, kwargs, headers', `${intervalId}, '[]', '{}', '{"x": 99999999999}'`);

    const h = harness(db, clock);
    await h.scheduler.start();
    for (let i = 0; i < 3; i++) {
      advance(1);
      await h.scheduler.tick(now);
    }
    expect(names(h)).toEqual(['tasks.add', 'tasks.add', 'tasks.add']);
    const disabled = h.events.filter((e) => e.type === 'entry-disabled') as Extract<BeatEvent, { type: 'entry-disabled' }>[];
    expect(Object.fromEntries(disabled.map((e) => [e.entry, e.reason]))).toEqual({
      'bad-json': expect.stringContaining('args is not valid JSON'),
      'bad-kwargs': expect.stringContaining('kwargs must be a JSON object'),
      'no-schedule': expect.stringContaining('needs exactly one schedule'),
      'bad-zone': expect.stringContaining('unknown time zone "Mars/Olympus"'),
      'bad-crontab': expect.stringContaining('day_of_week "funday"'),
      'two-kinds': expect.stringContaining('found interval and crontab'),
      'bad-header': expect.stringContaining('headers.x'),
    });
    const enabled = await db.prisma.periodicTask.findMany({ where: { enabled: true }, select: { name: true } });
    expect(enabled).toEqual([{ name: 'good' }]);
  });

  it('gives a run back when the broker did not confirm it, and sends it on a later tick', async () => {
    await create({ name: 'flaky', task: 'tasks.add', schedule: { every: 60 } });
    await ranAtNow();
    const ranAt = now;
    const attempts: string[] = [];
    const h = harness(db, clock, async (message) => void attempts.push(message.id));
    await h.scheduler.start();
    h.failPublishes = 1;
    advance(60);
    await h.scheduler.tick(now);
    expect(h.sent).toEqual([]);
    expect(h.events.find((e) => e.type === 'publish-failed')).toMatchObject({ entry: 'flaky', retryInSeconds: 1 });
    // Given back: the database says it never ran, so any beat may send it.
    expect(await row('flaky')).toMatchObject({ lastRunAt: ranAt, totalRunCount: 0 });
    advance(0.5);
    await h.scheduler.tick(now);
    expect(h.sent).toEqual([]); // backing off
    advance(0.5);
    await h.scheduler.tick(now);
    expect(names(h)).toEqual(['tasks.add']);
    expect(await row('flaky')).toMatchObject({ lastRunAt: now, totalRunCount: 1 });
    // The run keeps its task id: had the first message reached the queue after all, the worker sees one task twice.
    expect(attempts).toEqual([h.sent[0]!.id, h.sent[0]!.id]);
    // Any beat gives that run the same id; the next run gets another.
    const other = harness(db, clock);
    await other.scheduler.start();
    // Replays the run's row as the first beat found it (a touch, so the other beat re-reads it).
    await db.prisma.periodicTask.updateMany({ where: { name: 'flaky' }, data: { lastRunAt: ranAt, totalRunCount: 0, changeVersion: 0 } });
    await other.scheduler.tick(now);
    expect(other.sent.map((m) => m.id)).toEqual([h.sent[0]!.id]);
    advance(60);
    await other.scheduler.tick(now);
    expect(other.sent[1]!.id).not.toBe(h.sent[0]!.id);
  });

  it('sends a given-back first run of an entry that never ran after the back-off, not a period later', async () => {
    // A daily crontab made an hour before its 04:00 run, never run, no start_time: it counts from date_changed.
    const day = 86_400_000;
    const fourOClock = Math.floor((Date.now() - 4 * 3600_000) / day) * day + 4 * 3600_000;
    now = new Date(fourOClock + 1000);
    await create({ name: 'daily', task: 't', schedule: { crontab: '0 4 * * *', timezone: 'UTC' } });
    await db.prisma.periodicTask.updateMany({ where: { name: 'daily' }, data: { dateChanged: new Date(fourOClock - 3600_000) } });
    const h = harness(db, clock);
    await h.scheduler.start();
    h.failPublishes = 1;
    await h.scheduler.tick(now);
    expect(h.events.find((e) => e.type === 'publish-failed')).toMatchObject({ entry: 'daily', retryInSeconds: 1 });
    expect(await row('daily')).toMatchObject({ lastRunAt: null, totalRunCount: 0, dateChanged: new Date(fourOClock - 3600_000) });
    advance(1);
    await h.scheduler.tick(now);
    expect(names(h)).toEqual(['t']);
  });

  it('sends a run it cannot give back (another beat claimed the next one on top) once the broker confirms', async () => {
    await create({ name: 'moved', task: 't', schedule: { every: 1 } });
    await ranAtNow();
    const attempts: string[] = [];
    const h = harness(db, clock, async (message) => {
      attempts.push(message.id);
      if (attempts.length === 1) {
        // While this publish hangs, another beat claims the next run on top of this one.
        await exec("UPDATE djcelery_periodictask SET total_run_count = total_run_count + 1, last_run_at = CURRENT_TIMESTAMP WHERE name = 'moved'");
      }
    });
    await h.scheduler.start();
    h.failPublishes = 1;
    advance(1);
    await h.scheduler.tick(now);
    h.failPublishes = 10;
    advance(1);
    await h.scheduler.tick(now); // the broker still fails: kept
    expect(attempts.filter((id) => id === attempts[0]).length).toBeGreaterThan(1);
    h.failPublishes = 0;
    advance(1);
    await h.scheduler.tick(now);
    expect(h.sent.map((m) => m.id)).toContain(attempts[0]);
    expect(h.events.filter((e) => e.type === 'run-lost')).toEqual([]);
  });

  for (const applied of [true, false]) {
    it(`settles a claim whose answer was lost (${applied ? 'it took: sent late, once' : 'it did not: claimed again'})`, async () => {
      await create({ name: 'lost', task: 't', schedule: { every: 1 } });
      await ranAtNow();
      let armed = true;
      // The claim's statement reaches the database (or not), and the connection drops before the answer.
      const cut = faulty(db, (sql) => {
        if (!armed || !isClaim(sql)) return undefined;
        armed = false;
        return applied ? 'after' : 'before';
      });
      const h = harness(cut, clock);
      await h.scheduler.start();
      advance(1);
      await expect(h.scheduler.tick(now)).rejects.toThrow(/connection lost/);
      expect(h.sent).toEqual([]);
      expect((await row('lost')).totalRunCount).toBe(applied ? 1 : 0);
      advance(3); // the outage lasts
      await h.scheduler.tick(now);
      expect(h.sent).toHaveLength(1);
      expect(await row('lost')).toMatchObject({ totalRunCount: 1, lastRunAt: now });
      advance(0.5);
      await h.scheduler.tick(now);
      expect(h.sent).toHaveLength(1); // the one catch-up, then the schedule
      advance(0.5);
      await h.scheduler.tick(now);
      expect(h.sent).toHaveLength(2);
      expect(await row('lost')).toMatchObject({ totalRunCount: 2, lastRunAt: now });
    });
  }

  it('sends a lost claim that took even when moving it to the send time fails at first', async () => {
    await create({ name: 'lost', task: 't', schedule: { every: 60 } });
    await ranAtNow();
    let down = false;
    const cut = faulty(db, (sql) => {
      if (isClaim(sql) && !down) {
        down = true;
        return 'after';
      }
      return down ? 'before' : undefined;
    });
    const h = harness(cut, clock);
    await h.scheduler.start();
    advance(60);
    await expect(h.scheduler.tick(now)).rejects.toThrow(/connection lost/);
    let restamps = 0;
    // Back for the read, down again for the restamp.
    down = false;
    const restamp = faulty(db, (sql) => (sql.startsWith('UPDATE') && !isClaim(sql) && restamps++ === 0 ? 'before' : undefined));
    Object.assign(cut, { prisma: restamp.prisma, sql: restamp.sql });
    advance(1);
    await expect(h.scheduler.tick(now)).rejects.toThrow(/connection lost/);
    expect(h.sent).toEqual([]);
    advance(1);
    await h.scheduler.tick(now);
    expect(h.sent).toHaveLength(1);
    expect(h.events.some((e) => e.type === 'run-lost')).toBe(false);
    expect(await row('lost')).toMatchObject({ totalRunCount: 1, lastRunAt: now });
  });

  it('on close, gives back a claim whose answer was lost', async () => {
    await create({ name: 'lost', task: 't', schedule: { every: 60 } });
    await ranAtNow();
    const ranAt = now;
    let armed = true;
    const h = harness(
      faulty(db, (sql) => (armed && isClaim(sql) ? ((armed = false), 'after') : undefined)),
      clock,
    );
    await h.scheduler.start();
    advance(60);
    await expect(h.scheduler.tick(now)).rejects.toThrow(/connection lost/);
    expect((await row('lost')).totalRunCount).toBe(1);
    await h.scheduler.close();
    expect(await row('lost')).toMatchObject({ totalRunCount: 0, lastRunAt: ranAt });
    expect(h.sent).toEqual([]);
    expect(h.events.filter((e) => e.type === 'run-lost')).toEqual([]);
  });

  for (const broker of ['up', 'down'] as const) {
    it(`on close, sends a lost claim another beat went on from, or reports it lost (broker ${broker})`, async () => {
      await create({ name: 'lost', task: 't', schedule: { every: 1 } });
      await ranAtNow();
      let armed = true;
      const h = harness(
        faulty(db, (sql) => (armed && isClaim(sql) ? ((armed = false), 'after') : undefined)),
        clock,
      );
      const other = harness(db, clock);
      await Promise.all([h.scheduler.start(), other.scheduler.start()]);
      advance(1);
      await expect(h.scheduler.tick(now)).rejects.toThrow(/connection lost/);
      await other.scheduler.tick(now); // taken: it re-reads the row, with the claim
      advance(1);
      await other.scheduler.tick(now); // and claims the next run on top
      expect(other.sent).toHaveLength(1);
      expect((await row('lost')).totalRunCount).toBe(2);
      h.failPublishes = broker === 'up' ? 0 : 1;
      await h.scheduler.close();
      if (broker === 'up') {
        expect(h.sent).toHaveLength(1);
        expect(h.sent[0]!.id).not.toBe(other.sent[0]!.id);
      } else {
        expect(h.events.filter((e) => e.type === 'run-lost')).toMatchObject([{ entry: 'lost' }]);
      }
      await other.scheduler.close();
    });
  }

  it('catches up once per entry after downtime, then keeps the schedule (no burst)', async () => {
    await create({ name: 'minutely', task: 't', schedule: { every: 60 } });
    await create({ name: 'nightly', task: 't', schedule: { crontab: '0 4 * * *' } });
    const dayAgo = new Date(now.getTime() - 86_400_000);
    await db.prisma.periodicTask.updateMany({ data: { lastRunAt: dayAgo } });
    const h = harness(db, clock);
    await h.scheduler.start();
    await h.scheduler.tick(now);
    expect(names(h).sort()).toEqual(['t', 't']);
    for (let i = 0; i < 59; i++) {
      advance(1);
      await h.scheduler.tick(now);
    }
    expect(h.sent).toHaveLength(2);
    advance(1);
    await h.scheduler.tick(now);
    expect(h.sent).toHaveLength(3);
  });

  it('disables a one-off entry after its run and an expired entry before any, as django-celery-beat does', async () => {
    await create({ name: 'once', task: 't', schedule: { clocked: new Date(now.getTime() + 2000) }, oneOff: true });
    await create({ name: 'expired', task: 't', schedule: { every: 1 }, expires: new Date(now.getTime() + 1500) });
    await ranAtNow();
    const h = harness(db, clock);
    await h.scheduler.start();
    advance(1);
    await h.scheduler.tick(now); // expired sends once (before its expiry)
    advance(1);
    await h.scheduler.tick(now); // once is due; expired has expired
    advance(1);
    await h.scheduler.tick(now);
    expect(h.sent.map((m) => m.properties.headers.task)).toEqual(['t', 't']);
    expect(await row('once')).toMatchObject({ enabled: false, totalRunCount: 0 });
    expect(await row('expired')).toMatchObject({ enabled: false, totalRunCount: 1 });
    expect(h.events.filter((e) => e.type === 'entry-disabled').map((e) => (e as { reason: string }).reason).sort()).toEqual([
      expect.stringMatching(/^expired at /),
      'one-off task has run',
    ]);
  });

  it('resets the run count of a finished one-off entry it disables, so enabling it again runs it again', async () => {
    await create({ name: 'once-more', task: 't', schedule: { clocked: new Date(now.getTime() + 1000) }, oneOff: true });
    const h = harness(db, clock);
    await h.scheduler.start();
    advance(1);
    await h.scheduler.tick(now);
    advance(1);
    await h.scheduler.tick(now);
    expect(names(h)).toEqual(['t']);
    expect(await row('once-more')).toMatchObject({ enabled: false, totalRunCount: 0 });
    expect(await tasks.enable('once-more')).toBe(true);
    for (let i = 0; i < 3; i++) {
      advance(1);
      await h.scheduler.tick(now);
    }
    expect(names(h)).toEqual(['t', 't']);
    expect(await row('once-more')).toMatchObject({ enabled: false, totalRunCount: 0 });
  });

  it('prunes the deletion log after a day, at start and hourly', async () => {
    const old = (name: string) =>
      db.prisma.periodicTaskDeletion.create({ data: { version: 0, periodicTaskId: 0, name, deletedAt: new Date(now.getTime() - 2 * 86_400_000) } });
    await old('at-start');
    const h = harness(db, clock);
    await h.scheduler.start();
    expect(await db.prisma.periodicTaskDeletion.count({ where: { name: 'at-start' } })).toBe(0);
    await old('later');
    advance(1800);
    await h.scheduler.tick(now);
    expect(await db.prisma.periodicTaskDeletion.count({ where: { name: 'later' } })).toBe(1);
    advance(1800);
    await h.scheduler.tick(now);
    expect(await db.prisma.periodicTaskDeletion.count({ where: { name: 'later' } })).toBe(0);
  });

  it('two schedulers on one database never send the same run twice', async () => {
    for (let i = 0; i < 15; i++) await create({ name: `shared-${i}`, task: 't', schedule: { every: 1 }, args: [i] });
    await ranAtNow();
    const other = await testDb.open();
    const a = harness(db, clock);
    const b = harness(other, clock);
    await Promise.all([a.scheduler.start(), b.scheduler.start()]);
    for (let step = 0; step < 12; step++) {
      advance(1);
      // Either may reach the database first (SQLite's driver is synchronous, so alternate who starts).
      const pair = step % 2 === 0 ? [a, b] : [b, a];
      await Promise.all(pair.map((h) => h.scheduler.tick(now)));
    }
    const all = [...a.sent, ...b.sent];
    const runs = await db.prisma.periodicTask.aggregate({ _sum: { totalRunCount: true } });
    expect(all).toHaveLength(runs._sum.totalRunCount!);
    expect(all).toHaveLength(15 * 12);
    // One message per entry per second: never two for the same run.
    const perEntry = new Map<string, number>();
    for (const m of all) perEntry.set(String(body(m)[0]), (perEntry.get(String(body(m)[0])) ?? 0) + 1);
    expect([...perEntry.values()]).toEqual(Array(15).fill(12));
    expect(new Set(all.map((m) => m.id)).size).toBe(all.length);
    expect(a.sent.length).toBeGreaterThan(0);
    expect(b.sent.length).toBeGreaterThan(0);
  });
});
