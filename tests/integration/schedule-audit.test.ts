// The audit trail of schedule changes on each database: an edit through the
// API, the CLI, the monitor page and raw SQL each appears in the entry's
// history with the fields before and after and who made it; two writers
// with different actors at once keep their own names; beat's claims write
// nothing; pruning deletes only old rows, by hand and by beat.
import { userInfo } from 'node:os';
import { beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { DatabaseScheduler, PeriodicTaskStore, pruneAudit, type AuditEntry } from '../../src/scheduler/index.js';
import { createHandler, type WebHandler } from '../../src/web/index.js';
import { runCliCaptured } from '../support/cli-in-process.js';
import { describeEachDatabase } from '../support/databases.js';

const TOKEN = 'schedule-audit-token-0123456789';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const DAY = 86_400_000;

describeEachDatabase('schedule audit trail', (testDb) => {
  let db: Database;
  let store: PeriodicTaskStore;
  let handler: WebHandler;
  const cli = (...argv: string[]) => runCliCaptured(argv, { env: { DATABASE_URL: testDb.url } });
  const last = async (name: string): Promise<AuditEntry | undefined> => (await store.history(name)).at(-1);
  const auditCount = () => db.prisma.periodicTaskAudit.count();

  beforeAll(async () => {
    db = await testDb.open();
    store = new PeriodicTaskStore(db);
    handler = createHandler({ database: db, token: TOKEN, tokenLabel: 'ops', monitor: true, onAction: () => {} });
  });

  it('records a creation and an edit through the API, with the actor given (or `api`)', async () => {
    await store.create({ name: 'api', task: 'tasks.add', schedule: { every: 300 }, kwargs: { n: 1 } });
    await store.update('api', { kwargs: { n: 2 }, queue: 'fast' }, { actor: 'deploy-bot' });
    const [created, changed] = await store.history('api');
    expect(created).toMatchObject({ action: 'created', actor: 'api', before: null });
    expect(created?.after).toMatchObject({ name: 'api', task: 'tasks.add', schedule: 'every 5 minutes', kwargs: '{"n":1}', enabled: true });
    expect(changed).toMatchObject({
      action: 'changed',
      actor: 'deploy-bot',
      before: { kwargs: '{"n":1}', queue: null },
      after: { kwargs: '{"n":2}', queue: 'fast' },
    });
  });

  it('records a CLI edit as the OS user, and prints the history one line per change', async () => {
    await store.create({ name: 'cli', task: 'tasks.add', schedule: { every: 60 } });
    expect((await cli('schedule', 'edit', 'cli', '--every', '2m')).code).toBe(0);
    expect((await cli('schedule', 'disable', 'cli')).code).toBe(0);
    const user = `cli:${userInfo().username}`;
    const history = await store.history('cli');
    expect(history.map((entry) => [entry.action, entry.actor])).toEqual([
      ['created', 'api'],
      ['changed', user],
      ['disabled', user],
    ]);
    expect(history[1]).toMatchObject({ before: { schedule: 'every minute' }, after: { schedule: 'every 2 minutes' } });

    const printed = await cli('schedule', 'history', 'cli');
    expect(printed).toMatchObject({ code: 0, stderr: '' });
    const lines = printed.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  ${user}  changed  schedule: every minute → every 2 minutes$`));
    expect(lines[2]).toMatch(/ disabled {2}enabled: true → false$/);
    const json = JSON.parse((await cli('schedule', 'history', 'cli', '--json')).stdout) as AuditEntry[];
    expect(json.map((entry) => entry.action)).toEqual(['created', 'changed', 'disabled']);
  });

  it('records a page edit under the token label, and the page reads the history', async () => {
    await store.create({ name: 'page', task: 'tasks.add', schedule: { every: 60 } });
    const form = (await (await handler(new Request('http://monitor/api/periodic-tasks/page'))).json()) as Record<string, unknown>;
    const put = await handler(
      new Request('http://monitor/api/periodic-tasks/page', { method: 'PUT', headers: auth, body: JSON.stringify({ ...form, kwargs: '{"page": true}' }) }),
    );
    expect(put.status).toBe(200);
    const answer = await handler(new Request('http://monitor/api/periodic-tasks/page/history'));
    const body = (await answer.json()) as { name: string; changes: AuditEntry[] };
    expect(body.changes.at(-1)).toMatchObject({ action: 'changed', actor: 'web:ops', before: { kwargs: '{}' }, after: { kwargs: '{"page":true}' } });
  });

  it('records a raw SQL edit and deletion as `sql`, and keeps the history of a deleted entry by its name', async () => {
    await store.create({ name: 'raw', task: 'tasks.add', schedule: { every: 60 }, description: 'before' });
    await db.prisma.$executeRawUnsafe(`UPDATE djcelery_periodictask SET description = 'after', task = 'tasks.mul' WHERE name = 'raw'`);
    expect(await last('raw')).toMatchObject({
      action: 'changed',
      actor: 'sql',
      before: { description: 'before', task: 'tasks.add' },
      after: { description: 'after', task: 'tasks.mul' },
    });
    await db.prisma.$executeRawUnsafe(`DELETE FROM djcelery_periodictask WHERE name = 'raw'`);
    const deleted = await last('raw');
    expect(deleted).toMatchObject({ action: 'deleted', actor: 'sql', after: null });
    expect(deleted?.before).toMatchObject({ task: 'tasks.mul', schedule: 'every minute' });
  });

  it('keeps each of two concurrent writers under its own name', async () => {
    await store.create({ name: 'race-a', task: 't', schedule: { every: 60 } });
    await store.create({ name: 'race-b', task: 't', schedule: { every: 60 } });
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2 === 0
          ? store.update('race-a', { kwargs: { i } }, { actor: 'alice' })
          : store.update('race-b', { kwargs: { i } }, { actor: 'bob' }),
      ),
    );
    const actors = async (name: string) => new Set((await store.history(name)).slice(1).map((entry) => entry.actor));
    expect(await actors('race-a')).toEqual(new Set(['alice']));
    expect(await actors('race-b')).toEqual(new Set(['bob']));
    // Nobody else ever reads an actor set.
    expect((await db.prisma.periodicTasks.findUnique({ where: { ident: 1 } }))?.actor).toBeNull();
  });

  it("writes nothing for beat's runs: claims, bookkeeping and touches are not schedule changes", async () => {
    await store.create({ name: 'due', task: 'tasks.add', schedule: { every: 1 } });
    const sent: unknown[] = [];
    const scheduler = new DatabaseScheduler({
      database: db,
      publish: async (message) => void sent.push(message),
      origin: 'test@audit',
      maxInterval: 1,
      syncInterval: 1,
      staticSchedule: [],
      clock: () => new Date(),
      emit: () => {},
    });
    await scheduler.start();
    const before = await auditCount();
    try {
      await scheduler.tick(new Date(Date.now() + 5_000));
      await scheduler.tick(new Date(Date.now() + 10_000));
    } finally {
      await scheduler.close();
    }
    expect(sent.length).toBeGreaterThanOrEqual(1);
    await db.prisma.$executeRawUnsafe("UPDATE djcelery_periodictask SET change_version = 0 WHERE name = 'due'");
    expect(await auditCount()).toBe(before);
  });

  it('prunes only rows older than the retention, by hand and when beat starts', async () => {
    const old = new Date(Date.now() - 100 * DAY);
    const recent = new Date(Date.now() - 10 * DAY);
    const row = (name: string, changedAt: Date) => ({ changedAt, periodicTaskId: 0, name, action: 'changed', actor: 'sql', before: '{}', after: '{}' });
    await db.prisma.periodicTaskAudit.createMany({ data: [row('old-1', old), row('old-2', old), row('recent', recent)] });
    const before = await auditCount();
    expect((await pruneAudit(db, new Date(Date.now() - 90 * DAY))).deleted).toBe(2);
    expect(await auditCount()).toBe(before - 2);

    await db.prisma.periodicTaskAudit.create({ data: row('week-old', new Date(Date.now() - 7 * DAY)) });
    const scheduler = new DatabaseScheduler({
      database: db,
      publish: async () => {},
      origin: 'test@audit',
      maxInterval: 1,
      syncInterval: 1,
      staticSchedule: [],
      auditRetention: 8 * 86_400,
      clock: () => new Date(),
      emit: () => {},
    });
    await scheduler.start();
    await scheduler.close();
    const names = (await db.prisma.periodicTaskAudit.findMany({ select: { name: true } })).map((r) => r.name);
    expect(names).toContain('week-old');
    expect(names).not.toContain('recent');
    expect(names).toContain('api');
  });
});
