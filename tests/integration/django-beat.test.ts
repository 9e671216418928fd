// Beat and the periodic-task store on django-celery-beat's own tables, made
// by Django's migrations (Debian's Django and django-celery-beat), on every
// database: edits made through Django's ORM are obeyed by our beat, edits
// made through our CLI and API are read by Python's
// django_celery_beat.schedulers.DatabaseScheduler, and two of our beats on
// one database send each due run once. The broker is replaced by a recorder
// (what is sent is checked elsewhere against real workers); the clock is
// moved by hand.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TaskMessage } from '../../src/core/protocol/index.js';
import { LayoutTablesError } from '../../src/db/layout.js';
import { createHandler } from '../../src/web/index.js';
import { markersOf, markersSql } from '../../src/web/live/markers.js';
import type { Database } from '../../src/db/open.js';
import { Beat, DatabaseScheduler, PeriodicTaskStore, type BeatEvent } from '../../src/scheduler/index.js';
import { checkBeatTables } from '../../src/scheduler/django/tables.js';
import { runCliCaptured } from '../support/cli-in-process.js';
import { describeEachDatabase } from '../support/databases.js';
import { DjangoBeat, missingDjangoBeat } from '../support/django-beat.js';
import { describeUnlessMissing } from '../support/gates.js';
import { waitFor } from '../support/wait.js';

interface Harness {
  scheduler: DatabaseScheduler;
  sent: TaskMessage[];
  events: BeatEvent[];
}

function harness(db: Database, clock: () => Date, failPublishes = 0): Harness {
  const h: Harness = { scheduler: undefined as never, sent: [], events: [] };
  let failures = failPublishes;
  h.scheduler = new DatabaseScheduler({
    database: db,
    layout: 'django',
    publish: async (message) => {
      if (failures-- > 0) throw new Error('broker said no');
      h.sent.push(message);
    },
    origin: 'gen1@test',
    maxInterval: 5,
    syncInterval: 0.5,
    staticSchedule: [],
    clock,
    emit: (event) => h.events.push(event),
  });
  return h;
}

const argsOf = (message: TaskMessage): unknown => (JSON.parse(message.content.toString()) as unknown[])[0];
const SECOND = 1000;

describeUnlessMissing(missingDjangoBeat(), 'django-celery-beat layout', () => {
  describeEachDatabase(
    'beat on django-celery-beat tables',
    (tdb) => {
      let django: DjangoBeat;
      let db: Database;
      let missing: unknown;
      let cliBefore: { code: number; stderr: string };

      beforeAll(async () => {
        db = await tdb.open();
        missing = await checkBeatTables(db).catch((error: unknown) => error);
        cliBefore = await runCliCaptured(['schedule', 'list', '--layout', 'django', '--database-url', tdb.url]);
        django = new DjangoBeat(tdb.url);
        await django.send({ op: 'migrate' });
      }, 60_000);
      afterAll(() => django[Symbol.asyncDispose]());

      it('names the missing tables and the command that makes them, before Django migrated', async () => {
        expect(missing).toBeInstanceOf(LayoutTablesError);
        expect((missing as Error).message).toMatch(/^missing table django_celery_beat_periodictask, .*run `python manage.py migrate django_celery_beat`/);
        await expect(checkBeatTables(db)).resolves.toBeUndefined();
        expect(cliBefore.code).not.toBe(0);
        expect(cliBefore.stderr.trim().split('\n')).toHaveLength(1);
        expect(cliBefore.stderr).toContain('python manage.py migrate django_celery_beat');
      });

      it('obeys what Django’s ORM saves, updates and deletes while it runs', async () => {
        await django.send({ op: 'save', name: 'orm-add', task: 'tasks.add', every: 10, args: [1, 2] });
        await django.send({ op: 'save', name: 'orm-sunrise', task: 'tasks.wake', solar: { event: 'sunrise', latitude: '60.17', longitude: '24.94' } });
        let now = new Date(Date.now() + SECOND);
        const h = harness(db, () => now);
        await h.scheduler.start();
        expect(h.scheduler.entryNamed('orm-sunrise')?.schedule.describe()).toBe('at sunrise (60.17, 24.94)');

        now = new Date(now.getTime() + 11 * SECOND);
        await h.scheduler.tick(now);
        expect(h.sent.map(argsOf)).toEqual([[1, 2]]);
        // Beat's bookkeeping is Django's: its admin shows the run.
        expect(((await django.send({ op: 'schedule' })) as { entries: Record<string, { total_run_count: number }> }).entries['orm-add']?.total_run_count).toBe(1);

        await django.send({ op: 'save', name: 'orm-add', args: [3, 4] });
        now = new Date(now.getTime() + SECOND);
        await h.scheduler.tick(now);
        expect(h.scheduler.entryNamed('orm-add')?.args).toEqual([3, 4]);
        now = new Date(now.getTime() + 10 * SECOND);
        await h.scheduler.tick(now);
        expect(h.sent.map(argsOf)).toEqual([[1, 2], [3, 4]]);

        await django.send({ op: 'save', name: 'orm-add', enabled: false });
        now = new Date(now.getTime() + SECOND);
        await h.scheduler.tick(now);
        expect(h.scheduler.entryNamed('orm-add')).toBeUndefined();

        // A queryset update sends no signal and leaves date_changed: read at the next full read, within a minute.
        await django.send({ op: 'update', name: 'orm-add', fields: { enabled: true } });
        now = new Date(now.getTime() + SECOND);
        await h.scheduler.tick(now);
        expect(h.scheduler.entryNamed('orm-add')).toBeUndefined();
        now = new Date(now.getTime() + 60 * SECOND);
        await h.scheduler.tick(now);
        expect(h.scheduler.entryNamed('orm-add')).toBeDefined();

        await django.send({ op: 'delete', name: 'orm-add' });
        now = new Date(now.getTime() + SECOND);
        await h.scheduler.tick(now);
        expect(h.scheduler.entryNamed('orm-add')).toBeUndefined();
        await h.scheduler.close();
      });

      it('runs as Beat with layout django on Django’s tables alone (no heartbeat table), sending what Django scheduled', async () => {
        await django.send({ op: 'save', name: 'beat-every-1s', task: 'tasks.beat', every: 1 });
        const sent: TaskMessage[] = [];
        const events: BeatEvent[] = [];
        const beat = new Beat({
          databaseUrl: tdb.url,
          layout: 'django',
          publisher: { publish: async (message) => void sent.push(message) },
          onEvent: (event) => events.push(event),
        });
        await beat.start();
        try {
          await waitFor('a run of beat-every-1s', () => sent.some((m) => m.properties.headers.task === 'tasks.beat'));
        } finally {
          await beat.close();
        }
        expect(events.filter((e) => e.type === 'heartbeat-failed' || e.type === 'tick-failed')).toEqual([]);
        await django.send({ op: 'delete', name: 'beat-every-1s' });
      });

      it('sends each due run once with two beats on one database', async () => {
        await django.send({ op: 'save', name: 'pair', task: 'tasks.pair', every: 5 });
        let now = new Date(Date.now() + SECOND);
        const [dbA, dbB] = [await tdb.open(), await tdb.open()];
        const a = harness(dbA, () => now);
        const b = harness(dbB, () => now);
        await Promise.all([a.scheduler.start(), b.scheduler.start()]);
        const runs = 12;
        for (let k = 1; k <= runs; k++) {
          now = new Date(now.getTime() + 5 * SECOND + 1);
          // Both tick at once: each run's claim races.
          await Promise.all([a.scheduler.tick(now), b.scheduler.tick(now)]);
        }
        const ids = [...a.sent, ...b.sent].filter((m) => m.properties.headers.task === 'tasks.pair').map((m) => m.id);
        expect(ids).toHaveLength(runs);
        expect(new Set(ids).size).toBe(runs);
        expect(a.sent.length).toBeGreaterThan(0);
        expect(b.events.some((e) => e.type === 'run-taken') || a.events.some((e) => e.type === 'run-taken')).toBe(true);
        await Promise.all([a.scheduler.close(), b.scheduler.close()]);
      });

      it('gives a run back when its message is not sent, and sends it at the next try', async () => {
        await django.send({ op: 'save', name: 'flaky', task: 'tasks.flaky', every: 30 });
        let now = new Date(Date.now() + 31 * SECOND);
        const h = harness(db, () => now, 1);
        await h.scheduler.start();
        await h.scheduler.tick(now);
        expect(h.events.some((e) => e.type === 'publish-failed')).toBe(true);
        type Counts = { entries: Record<string, { total_run_count: number }> };
        // Given back: the row, as Django reads it, does not count the run.
        expect(((await django.send({ op: 'schedule' })) as Counts).entries.flaky?.total_run_count).toBe(0);
        now = new Date(now.getTime() + 2 * SECOND);
        await h.scheduler.tick(now);
        expect(h.sent.map((m) => m.properties.headers.task)).toEqual(['tasks.flaky']);
        await h.scheduler.close();
      });

      it('writes through the CLI and the API that Python’s DatabaseScheduler reads', async () => {
        type Entries = { entries: Record<string, { task: string; args: unknown[]; schedule: string }> };
        const python = async () => ((await django.send({ op: 'schedule' })) as Entries).entries;
        await python(); // Python's scheduler has read the table; from here it sees changes through the marker.
        const cli = (...args: string[]) => runCliCaptured(['schedule', ...args, '--layout', 'django', '--database-url', tdb.url]);

        expect((await cli('add', 'cli-mul', 'tasks.mul', '--every', '30s', '--args', '[2, 3]')).code).toBe(0);
        expect((await python())['cli-mul']).toMatchObject({ task: 'tasks.mul', args: [2, 3], schedule: '<freq: 30.00 seconds>' });

        expect((await cli('edit', 'cli-mul', '--crontab', '0 4 * * *', '--tz', 'Europe/Berlin')).code).toBe(0);
        // Celery's repr of a crontab spreads over lines.
        expect((await python())['cli-mul']?.schedule.replace(/\s+/g, ' ')).toBe('<crontab: 0 4 * * * (m/h/d/dM/MY), Europe/Berlin> ');

        const store = new PeriodicTaskStore(db, { layout: 'django' });
        await store.create({ name: 'api-sunset', task: 'tasks.add', schedule: { solar: { event: 'sunset', latitude: 40.7128, longitude: -74.006 } } });
        expect((await python())['api-sunset']?.schedule).toBe('<solar: sunset at latitude 40.712800, longitude: -74.006000>');

        expect((await cli('disable', 'cli-mul')).code).toBe(0);
        expect((await python())['cli-mul']).toBeUndefined();
        expect((await cli('list')).stdout).toContain('api-sunset');
      });

      it('moves the live feed\'s periodic marker on a Django save, and lists the queues of Django\'s entries', async () => {
        const periodicMarker = async () => markersOf((await db.sql.query(markersSql(db, ['periodic'], 'django')))[0] ?? {}, ['periodic']).periodic;
        const before = await periodicMarker();
        await django.send({ op: 'save', name: 'q-orm', task: 'tasks.queued', every: 60 });
        expect(await periodicMarker()).not.toBe(before);

        await django.send({ op: 'update', name: 'q-orm', fields: { queue: 'django-queue' } });
        const handler = createHandler({ database: db, layout: 'django', monitor: true, token: 'monitor-token-0123456789' });
        const response = await handler(new Request('http://monitor/api/queues'));
        const body = (await response.json()) as { items: { queue: string }[] };
        expect(body.items.map((item) => item.queue)).toContain('django-queue');
      });

      it('lists and edits the entries in the monitor, which Python then reads', async () => {
        await django.send({ op: 'save', name: 'm-orm', task: 'tasks.orm', every: 60 });
        const handler = createHandler({ database: db, layout: 'django', monitor: true, token: 'monitor-token-0123456789' });
        const call = async (path: string, init: RequestInit = {}) => {
          const response = await handler(new Request(`http://monitor${path}`, init));
          return { status: response.status, body: (await response.json()) as Record<string, unknown> };
        };
        const listed = (await call('/api/periodic-tasks?after=m-')).body.items as { name: string; kind: string; schedule: string }[];
        expect(listed.find((item) => item.name === 'm-orm')).toMatchObject({ kind: 'interval', schedule: 'every 60 seconds' });
        expect((await call('/api/periodic-tasks/m-orm/disable', { method: 'POST', headers: { authorization: 'Bearer monitor-token-0123456789' } })).status).toBe(200);
        expect(((await django.send({ op: 'schedule' })) as { entries: Record<string, unknown> }).entries['m-orm']).toBeUndefined();
      });
    },
    { migrate: false },
  );
});
