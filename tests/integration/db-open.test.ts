// What openDatabase sets up on each database's sessions.
import { expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/db/open.js';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { describeEachDatabase, itWhen, mysqlAdmin } from '../support/databases.js';

describeEachDatabase('openDatabase', (testDb) => {
  /** The same small statement through db.sql, ten times. */
  const repeat = async (db: Database): Promise<void> => {
    const sql = `SELECT task_id FROM celery_taskmeta WHERE task_id = ${db.dialect.param(1)}`;
    for (let i = 0; i < 10; i++) await db.sql.query(sql, [`id-${i}`]);
  };

  itWhen(testDb.provider === 'mysql')('keeps prepared statements on MySQL connections, so a repeated statement is prepared once', async () => {
    const prepares = async (db: Database): Promise<number> => {
      const rows = await db.prisma.$queryRawUnsafe<{ Value: string }[]>("SHOW SESSION STATUS LIKE 'Com_stmt_prepare'");
      return Number(rows[0]?.Value);
    };
    for (const preparedStatements of [true, false]) {
      // One connection, so the session counters are that connection's.
      await using db = await openDatabase(testDb.url, { poolSize: 1, preparedStatements });
      await prepares(db);
      const before = await prepares(db);
      await repeat(db);
      // Without a cache every one of the ten (and the second read) is prepared anew.
      const prepared = (await prepares(db)) - before;
      if (preparedStatements) expect(prepared).toBeLessThanOrEqual(1);
      else expect(prepared).toBeGreaterThanOrEqual(10);
    }
  });

  itWhen(testDb.provider === 'mysql')('opens MySQL connections as they are needed, not the whole pool up front', async () => {
    const target = parseDatabaseUrl(testDb.url);
    const name = target.provider === 'mysql' ? target.database : '';
    const open = (): Promise<number> =>
      mysqlAdmin(async (conn) => Number((await conn.query('SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = ?', [name]))[0].n));
    await using db = await openDatabase(testDb.url, { poolSize: 10 });
    // One after another: one connection in use and one spare, never the ten the pool may hold.
    for (let i = 0; i < 10; i++) await db.sql.query('SELECT 1 AS one');
    expect(await open()).toBeLessThanOrEqual(2);
    // Several at once: the pool grows for them.
    await Promise.all(Array.from({ length: 4 }, () => db.sql.query('SELECT SLEEP(0.2) AS slept')));
    expect(await open()).toBeGreaterThanOrEqual(3);
  });

  itWhen(testDb.provider === 'postgresql')('runs db.sql\'s small statements as named prepared statements on PostgreSQL', async () => {
    const named = async (db: Database): Promise<string[]> =>
      (await db.prisma.$queryRawUnsafe<{ name: string }[]>('SELECT name FROM pg_prepared_statements ORDER BY name')).map((r) => r.name);
    for (const preparedStatements of [true, false]) {
      await using db = await openDatabase(testDb.url, { poolSize: 1, preparedStatements });
      await repeat(db);
      // Prisma's own statements (this very read) stay unnamed.
      expect(await named(db)).toEqual(preparedStatements ? ['prisma_celery_1'] : []);
    }
  });

  it('refuses a preparedStatements that is not a boolean', async () => {
    await expect(openDatabase(testDb.url, { preparedStatements: 'yes' as unknown as boolean })).rejects.toThrow(/preparedStatements must be true or false/);
  });
});
