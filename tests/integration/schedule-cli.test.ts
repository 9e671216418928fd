// `prisma-celery schedule add|edit|list|next` against each database, in
// process: what the commands print and what they leave in the tables.
import { beforeAll, expect, it } from 'vitest';
import { runCliCaptured } from '../support/cli-in-process.js';
import { PeriodicTaskStore } from '../../src/scheduler/index.js';
import { describeEachDatabase } from '../support/databases.js';

describeEachDatabase('schedule commands', (testDb) => {
  const cli = (...argv: string[]) => runCliCaptured(argv, { env: { DATABASE_URL: testDb.url } });
  let store: PeriodicTaskStore;
  beforeAll(async () => {
    store = new PeriodicTaskStore(await testDb.open());
  });
  const stored = (name: string) => store.get(name);

  it('refuses --args null, and every other non-list, before writing', async () => {
    for (const args of ['null', '{"a": 1}', '3']) {
      const { code, stderr } = await cli('schedule', 'add', 'nulls', 'tasks.x', '--every', '5m', '--args', args);
      expect(code, args).toBe(2);
      expect(stderr, args).toContain(`--args must be a JSON list such as [2, 3], got ${args}`);
    }
    expect((await cli('schedule', 'add', 'nulls', 'tasks.x', '--every', '5m', '--kwargs', 'null')).stderr).toContain(
      '--kwargs must be a JSON object such as {"n": 1}, got null',
    );
    expect(await stored('nulls')).toBeNull();
  });

  it('edits the fields given in place, and keeps the rest', async () => {
    expect((await cli('schedule', 'add', 'report', 'tasks.report', '--every', '5m', '--args', '[1]', '--queue', 'reports', '--description', 'weekly')).code).toBe(0);
    const before = await stored('report');

    const edited = await cli('schedule', 'edit', 'report', '--crontab', '30 4 * * *', '--tz', 'europe/berlin', '--kwargs', '{"n": 2}');
    expect(edited).toMatchObject({ code: 0, stderr: '' });
    expect(edited.stdout).toMatch(/^Changed report: tasks\.report at 04:30 .*\(Europe\/Berlin\); next run \d{4}-\d\d-\d\dT04:30:00\+0[12]:00\n$/);
    const after = await stored('report');
    expect(after).toMatchObject({
      id: before?.id,
      task: 'tasks.report',
      args: '[1]',
      kwargs: '{"n":2}',
      queue: 'reports',
      description: 'weekly',
      schedule: { kind: 'crontab', minute: '30', hour: '4', timezone: 'Europe/Berlin' },
    });

    // --tz alone moves a crontab to another zone; a TASK renames the task; route flags replace the route.
    expect((await cli('schedule', 'edit', 'report', 'tasks.other', '--tz', 'America/New_York', '--exchange', 'x', '--routing-key', 'k')).code).toBe(0);
    expect(await stored('report')).toMatchObject({
      task: 'tasks.other',
      queue: null,
      exchange: 'x',
      routingKey: 'k',
      schedule: { kind: 'crontab', minute: '30', hour: '4', timezone: 'America/New_York' },
    });
    // A new crontab keeps the entry's zone.
    expect((await cli('schedule', 'edit', 'report', '--crontab', '0 6 * * *')).code).toBe(0);
    expect((await stored('report'))?.schedule).toMatchObject({ hour: '6', minute: '0', timezone: 'America/New_York' });
    expect((await cli('schedule', 'edit', 'report', '--disabled')).stdout).toBe('Changed report: tasks.other at 06:00 every day (America/New_York) (disabled)\n');
  });

  it('refuses an edit with nothing to change, an unknown entry, and an invalid result, leaving the row alone', async () => {
    await cli('schedule', 'add', 'steady', 'tasks.x', '--every', '1h');
    const before = await stored('steady');
    expect(await cli('schedule', 'edit', 'steady')).toMatchObject({ code: 2, stderr: expect.stringContaining('give something to change') });
    expect(await cli('schedule', 'edit', 'nobody', '--every', '5m')).toMatchObject({ code: 1, stderr: expect.stringContaining('no periodic task is named "nobody"') });
    expect((await cli('schedule', 'edit', 'steady', '--crontab', '61 * * * *')).code).not.toBe(0);
    expect((await cli('schedule', 'edit', 'steady', '--tz', 'Europe/Berlin')).stderr).toContain('--tz applies to crontab entries; steady runs every hour');
    expect(await stored('steady')).toEqual(before);
  });

  it('shows the same next run in list as next --name, for an entry that has not run yet', async () => {
    await cli('schedule', 'add', 'fresh', 'tasks.x', '--every', '5m');
    await cli('schedule', 'add', 'fresh-cron', 'tasks.x', '--crontab', '*/2 * * * *', '--tz', 'Europe/Berlin');
    const listed = JSON.parse((await cli('schedule', 'list', '--json')).stdout) as { name: string; nextRunAt: string }[];
    for (const name of ['fresh', 'fresh-cron']) {
      const [next] = JSON.parse((await cli('schedule', 'next', '--name', name, '--count', '1', '--json')).stdout) as string[];
      expect(new Date(next ?? '').toISOString(), name).toBe(listed.find((entry) => entry.name === name)?.nextRunAt);
    }
  });
});
