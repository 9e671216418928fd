// What openDatabase sets up on each database's sessions.
import { expect, it } from 'vitest';
import { openDatabase } from '../../src/db/open.js';
import { describeEachDatabase } from '../support/databases.js';

describeEachDatabase('openDatabase', (testDb) => {
  it('keeps prepared statements on MySQL connections, so a repeated statement is prepared once', async (context) => {
    if (testDb.provider !== 'mysql') context.skip();
    // One connection, so the session counters below are that connection's.
    await using db = await openDatabase(testDb.url, { poolSize: 1 });
    const prepares = async (): Promise<number> => {
      const rows = await db.prisma.$queryRawUnsafe<{ Value: string }[]>("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'");
      return Number(rows[0]?.Value);
    };
    await prepares();
    const before = await prepares();
    for (let i = 0; i < 10; i++) await db.prisma.$queryRawUnsafe('SELECT task_id FROM celery_taskmeta WHERE task_id = ?', `id-${i}`);
    // Without a cache every one of the ten (and the second read) is prepared anew.
    expect((await prepares()) - before).toBeLessThanOrEqual(1);
  });
});
