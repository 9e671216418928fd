// The change-tracking triggers of the beat_change_tracking migration (as
// schedule_audit rewrote them), on
// every provider: what counts as a change (and so advances the marker and
// stamps the row), what does not (beat's own claims), deletions logged,
// schedule rows touching their tasks, and edits only MySQL's collation
// would have missed.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { BeatStore } from '../../src/scheduler/beat-store.js';
import { PeriodicTaskStore } from '../../src/scheduler/index.js';
import { describeEachDatabase, itWhen } from '../support/databases.js';

const TRIGGERS: Record<Database['provider'], string[]> = {
  sqlite: [
    'djcelery_periodictask_inserted',
    'djcelery_periodictask_updated',
    'djcelery_periodictask_deleted_log',
    'djcelery_intervalschedule_updated',
    'djcelery_intervalschedule_deleting',
    'djcelery_crontabschedule_updated',
    'djcelery_crontabschedule_deleting',
    'djcelery_clockedschedule_updated',
    'djcelery_clockedschedule_deleting',
  ],
  postgresql: [],
  mysql: [],
};
const AUDIT = ['djcelery_periodictask_audit_created', 'djcelery_periodictask_audit_changed'];
// PostgreSQL also tells listening beats when the marker moves (NOTIFY), and
// restamps date_changed in a trigger of its own.
TRIGGERS.postgresql = [
  ...TRIGGERS.sqlite,
  ...AUDIT,
  'djcelery_periodictask_audit_deleted',
  'djcelery_periodictask_edit_restamp',
  'djcelery_periodictasks_notify',
];
// MySQL audits a deletion in the trigger that logs it.
TRIGGERS.mysql = [...TRIGGERS.sqlite, ...AUDIT];
TRIGGERS.sqlite = [...TRIGGERS.sqlite, ...AUDIT, 'djcelery_periodictask_audit_deleted'];

async function triggerNames(db: Database): Promise<string[]> {
  const sql =
    db.provider === 'sqlite' ? "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    : db.provider === 'postgresql' ? 'SELECT DISTINCT tgname AS name FROM pg_trigger WHERE NOT tgisinternal'
    : 'SELECT TRIGGER_NAME AS name FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE()';
  const rows = await db.prisma.$queryRawUnsafe<{ name: string }[]>(sql);
  return rows.map((row) => row.name).sort();
}

describeEachDatabase('change-tracking triggers', (testDb) => {
  let db: Database;
  let store: BeatStore;
  let tasks: PeriodicTaskStore;
  const version = async () => (await store.readVersion()) ?? -1;
  const row = async (name: string) =>
    (await db.prisma.periodicTask.findUniqueOrThrow({ where: { name } })) as { id: number; changeVersion: number; dateChanged: Date };
  const exec = (sql: string) => db.prisma.$executeRawUnsafe(sql);

  beforeAll(async () => {
    db = await testDb.open();
    store = new BeatStore(db);
    tasks = new PeriodicTaskStore(db);
  });

  it('are all installed, with the marker row', async () => {
    expect(await triggerNames(db)).toEqual([...TRIGGERS[db.provider]].sort());
    expect(await version()).toBeGreaterThanOrEqual(0);
  });

  it('stamp an inserted row with the advanced version', async () => {
    const before = await version();
    await tasks.create({ name: 'ins', task: 't', schedule: { every: 60 } });
    expect(await version()).toBe(before + 1);
    expect((await row('ins')).changeVersion).toBe(before + 1);
  });

  it('count edits of the columns beat does not own, from raw SQL too', async () => {
    for (const set of [
      "kwargs = '{\"a\": 2}'",
      'enabled = false',
      "queue = 'q2'",
      'priority = 5',
      'one_off = true',
      "description = 'new'",
    ]) {
      await exec("UPDATE djcelery_periodictask SET total_run_count = 3 WHERE name = 'ins'");
      const before = await version();
      const { dateChanged } = await row('ins');
      await new Promise((resolve) => setTimeout(resolve, 5));
      await exec(`UPDATE djcelery_periodictask SET ${set} WHERE name = 'ins'`);
      expect(await version(), set).toBe(before + 1);
      const after = await row('ins');
      expect(after.changeVersion, set).toBe(before + 1);
      expect(after.dateChanged.getTime(), set).toBeGreaterThan(dateChanged.getTime());
    }
  });

  it("do not count beat's claim (last_run_at, total_run_count + 1, next_run_at) nor a no-op update", async () => {
    const before = await version();
    const { changeVersion } = await row('ins');
    await exec(
      'UPDATE djcelery_periodictask SET last_run_at = CURRENT_TIMESTAMP, total_run_count = total_run_count + 1, ' +
        "next_run_at = CURRENT_TIMESTAMP WHERE name = 'ins'",
    );
    await exec("UPDATE djcelery_periodictask SET queue = queue WHERE name = 'ins'");
    expect(await version()).toBe(before);
    expect((await row('ins')).changeVersion).toBe(changeVersion);
  });

  it('never count beat\'s bookkeeping (last_run_at, total_run_count, next_run_at), nor restamp date_changed', async () => {
    await exec("UPDATE djcelery_periodictask SET last_run_at = NULL, total_run_count = 3 WHERE name = 'ins'");
    const { changeVersion, dateChanged } = await row('ins');
    const before = await version();
    for (const set of [
      'last_run_at = CURRENT_TIMESTAMP, total_run_count = total_run_count + 1', // a claim
      'last_run_at = NULL, total_run_count = total_run_count - 1', // its give-back
      'total_run_count = 0', // a reset
      'next_run_at = CURRENT_TIMESTAMP',
    ]) {
      await exec(`UPDATE djcelery_periodictask SET ${set} WHERE name = 'ins'`);
      expect(await version(), set).toBe(before);
      expect(await row('ins'), set).toMatchObject({ changeVersion, dateChanged });
    }
  });

  it('count a touch with bookkeeping (a give-back) as a change to re-read, not as an edit: date_changed stays', async () => {
    const { dateChanged } = await row('ins');
    const before = await version();
    await exec("UPDATE djcelery_periodictask SET total_run_count = total_run_count + 1, change_version = 0 WHERE name = 'ins'");
    expect(await version()).toBe(before + 1);
    expect(await row('ins')).toMatchObject({ changeVersion: before + 1, dateChanged });
  });

  it('count a change of letter case and trailing spaces (MySQL compares text as bytes)', async () => {
    await exec(`UPDATE djcelery_periodictask SET kwargs = '{"a": "x"}' WHERE name = 'ins'`);
    let before = await version();
    await exec(`UPDATE djcelery_periodictask SET kwargs = '{"a": "X"}' WHERE name = 'ins'`);
    expect(await version()).toBe(before + 1);
    before = await version();
    await exec(`UPDATE djcelery_periodictask SET task = 't ' WHERE name = 'ins'`);
    expect(await version()).toBe(before + 1);
  });

  it('count a touch (change_version = 0) and stamp every row of a multi-row statement', async () => {
    await tasks.create({ name: 'multi-a', task: 't', schedule: { every: 60 } });
    await tasks.create({ name: 'multi-b', task: 't', schedule: { every: 60 } });
    const before = await version();
    await exec("UPDATE djcelery_periodictask SET change_version = 0 WHERE name LIKE 'multi-%'");
    const stamps = [(await row('multi-a')).changeVersion, (await row('multi-b')).changeVersion].sort();
    if (db.provider === 'postgresql') {
      // Once per transaction: both rows carry the one version.
      expect(await version()).toBe(before + 1);
      expect(stamps).toEqual([before + 1, before + 1]);
    } else {
      expect(await version()).toBe(before + 2);
      expect(stamps).toEqual([before + 1, before + 2]);
    }
  });

  itWhen(testDb.provider === 'postgresql')('advance the marker once per transaction on PostgreSQL, however many statements', async () => {
    const before = await version();
    await db.prisma.$transaction([
      db.prisma.$executeRawUnsafe(`UPDATE djcelery_periodictask SET kwargs = '{"t": 1}' WHERE name = 'multi-a'`),
      db.prisma.$executeRawUnsafe("DELETE FROM djcelery_periodictask WHERE name = 'nothing-here'"),
      db.prisma.$executeRawUnsafe(`UPDATE djcelery_periodictask SET kwargs = '{"t": 2}' WHERE name = 'multi-b'`),
    ]);
    expect(await version()).toBe(before + 1);
    expect([(await row('multi-a')).changeVersion, (await row('multi-b')).changeVersion]).toEqual([before + 1, before + 1]);
    // The next transaction bumps again.
    await exec(`UPDATE djcelery_periodictask SET kwargs = '{"t": 3}' WHERE name = 'multi-a'`);
    expect((await row('multi-a')).changeVersion).toBe(before + 2);
  });

  it('log deletions with their version', async () => {
    const { id } = await row('multi-a');
    const before = await version();
    await exec("DELETE FROM djcelery_periodictask WHERE name = 'multi-a'");
    expect(await version()).toBe(before + 1);
    expect(await store.deletedSince(before)).toEqual([id]);
  });

  it('touch the tasks of an edited or deleted schedule row, and only those', async () => {
    await tasks.create({ name: 'cron-a', task: 't', schedule: { crontab: '0 4 * * *' } });
    await tasks.create({ name: 'cron-b', task: 't', schedule: { crontab: '0 4 * * *' } });
    const crontabId = (await db.prisma.periodicTask.findUniqueOrThrow({ where: { name: 'cron-a' } })).crontabId;
    let before = await version();
    await exec(`UPDATE djcelery_crontabschedule SET hour = '5' WHERE id = ${crontabId}`);
    expect(await version()).toBe(before + (db.provider === 'postgresql' ? 1 : 2));
    expect((await store.loadChanged(before, null, 1000)).map((s) => s.row.name).sort()).toEqual(['cron-a', 'cron-b']);

    before = await version();
    await exec(`UPDATE djcelery_crontabschedule SET hour = '5' WHERE id = ${crontabId}`);
    expect(await version()).toBe(before);

    await exec(`DELETE FROM djcelery_crontabschedule WHERE id = ${crontabId}`);
    const changed = await store.loadChanged(before, null, 1000);
    expect(changed.map((s) => [s.row.name, s.row.crontab]).sort()).toEqual([
      ['cron-a', null],
      ['cron-b', null],
    ]);
  });

  it('make the API write and its marker bump one transaction', async () => {
    const before = await version();
    await expect(
      db.prisma.$transaction(async (tx) => {
        await tx.periodicTask.update({ where: { name: 'ins' }, data: { kwargs: '{"rolled": "back"}' } });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await version()).toBe(before);
  });
});

describe('change-tracking triggers (meta)', () => {
  it('list one set of names per provider', () => {
    expect(new Set(TRIGGERS.sqlite).size).toBe(12);
  });
});
