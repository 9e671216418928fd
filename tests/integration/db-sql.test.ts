// db.sql on every database: what the adapter is sent and hands back, the
// same as through Prisma's raw calls (the path a useDatabase() Database
// takes), so callers need not care which path runs.
import Sqlite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseFault } from '../../src/db/fault.js';
import { isTransient } from '../../src/db/transient.js';
import { openDatabase, useDatabase, type Database } from '../../src/db/open.js';
import { describeEachDatabase } from '../support/databases.js';

const INSTANT = new Date('2024-02-29T23:59:58.123Z');
const WHOLE_SECOND = new Date('2024-03-01T00:00:00.000Z');

/** The stored text of date_done, as the database itself renders it. */
function storedTextSql(db: Database): string {
  const p = db.dialect.param(1);
  const column = { sqlite: 'CAST(date_done AS TEXT)', postgresql: 'date_done::text', mysql: 'CAST(date_done AS CHAR)' }[db.provider];
  return `SELECT ${column} AS text FROM celery_taskmeta WHERE task_id = ${p}`;
}

/** What the database should hold for an instant, written by Prisma's own calls. */
function expectedText(db: Database, at: Date): string {
  const iso = at.toISOString();
  switch (db.provider) {
    case 'sqlite':
      return iso.replace('Z', '+00:00');
    case 'postgresql':
      return `${iso.slice(0, 10)} ${iso.slice(11, 23).replace(/\.000$/, '')}+00`;
    case 'mysql':
      return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  }
}

describeEachDatabase('db.sql', (testDb) => {
  let db: Database;
  let viaPrisma: Database;

  beforeAll(async () => {
    db = await testDb.open();
    viaPrisma = useDatabase(db.prisma, testDb.url);
  });

  const insertSql = (d: Database): string => {
    const p = d.dialect.param;
    return (
      'INSERT INTO celery_taskmeta (task_id, status, result, date_done, date_created, retries, hidden) ' +
      `VALUES (${[1, 2, 3, 4, 5, 6, 7].map(p).join(', ')})`
    );
  };

  it('stores a Date as Prisma\'s own writes store it, to the millisecond', async () => {
    for (const at of [INSTANT, WHOLE_SECOND]) {
      const tag = at.getTime();
      await db.prisma.taskMeta.create({ data: { taskId: `prisma-${tag}`, status: 'SUCCESS', dateDone: at, dateCreated: at } });
      await db.sql.execute(insertSql(db), [`sql-${tag}`, 'SUCCESS', null, at, at, null, false]);
      await viaPrisma.sql.execute(insertSql(db), [`raw-${tag}`, 'SUCCESS', null, at, at, null, false]);
      const texts = [];
      for (const id of [`prisma-${tag}`, `sql-${tag}`, `raw-${tag}`]) {
        const [row] = await db.sql.query<{ text: string }>(storedTextSql(db), [id]);
        texts.push(row?.text);
      }
      expect(texts).toEqual(Array(3).fill(expectedText(db, at)));
      const read = await db.prisma.taskMeta.findUniqueOrThrow({ where: { taskId: `sql-${tag}` } });
      expect(read.dateDone.toISOString()).toBe(at.toISOString());
    }
  });

  it('finds rows by a Date parameter as Prisma does', async () => {
    const where = `WHERE date_done = ${db.dialect.param(1)} ORDER BY task_id`;
    const direct = await db.sql.query<{ task_id: string }>(`SELECT task_id FROM celery_taskmeta ${where}`, [INSTANT]);
    expect(direct.map((r) => r.task_id)).toEqual([`prisma-${INSTANT.getTime()}`, `raw-${INSTANT.getTime()}`, `sql-${INSTANT.getTime()}`]);
    expect(await viaPrisma.sql.query(`SELECT task_id FROM celery_taskmeta ${where}`, [INSTANT])).toEqual(direct);
  });

  it('hands rows back in the same shapes on both paths: Dates, numbers, booleans, nulls', async () => {
    await db.sql.execute(insertSql(db), ['shapes', 'FAILURE', '{"é": "ü"}', INSTANT, WHOLE_SECOND, 7, true]);
    const p = db.dialect.param(1);
    const sql =
      'SELECT id, task_id, status, result, date_done, date_created, date_started, retries, hidden, ' +
      `(SELECT COUNT(*) FROM celery_taskmeta) AS n, 9007199254740993 AS big, 1.5 AS half ` +
      `FROM celery_taskmeta WHERE task_id = ${p}`;
    const [direct] = await db.sql.query<Record<string, unknown>>(sql, ['shapes']);
    const [fallback] = await viaPrisma.sql.query<Record<string, unknown>>(sql, ['shapes']);
    expect(direct).toMatchObject({
      task_id: 'shapes',
      status: 'FAILURE',
      result: '{"é": "ü"}',
      date_done: INSTANT,
      date_created: WHOLE_SECOND,
      date_started: null,
      retries: 7,
      // MySQL's BOOLEAN is TINYINT(1): a number through either path.
      hidden: db.provider === 'mysql' ? 1 : true,
      big: 9007199254740993n,
    });
    expect(typeof direct?.id).toBe('number');
    expect(typeof direct?.n).toBe('number');
    expect(Number(direct?.half)).toBe(1.5);
    const { half: directHalf, ...directRest } = direct ?? {};
    const { half: fallbackHalf, ...fallbackRest } = fallback ?? {};
    expect(fallbackRest).toEqual(directRest);
    // MySQL's 1.5 is DECIMAL: text directly, a Decimal through Prisma.
    expect(Number(fallbackHalf)).toBe(Number(directHalf));
  });

  it('takes strings, integers, floats, bigints, booleans and nulls as parameters', async () => {
    const p = db.dialect.param;
    const sql = `SELECT task_id FROM celery_taskmeta WHERE task_id = ${p(1)} AND retries = ${p(2)} AND retries + 0.5 = ${p(3)} AND retries < ${p(4)} AND COALESCE(date_started, ${p(5)}) IS NULL`;
    const params = ['shapes', 7, 7.5, 8n, null] as const;
    expect(await db.sql.query(sql, [...params])).toEqual([{ task_id: 'shapes' }]);
    expect(await viaPrisma.sql.query(sql, [...params])).toEqual([{ task_id: 'shapes' }]);
    const flag = `SELECT COUNT(*) AS n FROM celery_taskmeta WHERE task_id = ${p(1)} AND hidden = ${p(2)}`;
    expect(await db.sql.query(flag, ['shapes', true])).toEqual([{ n: 1 }]);
    expect(await viaPrisma.sql.query(flag, ['shapes', true])).toEqual([{ n: 1 }]);
    await expect(db.sql.query(flag, ['shapes', new Date(Number.NaN)])).rejects.toThrow(TypeError);
  });

  it('counts the rows a statement changed', async () => {
    const sql = `UPDATE celery_taskmeta SET retries = 1 WHERE task_id IN (${db.dialect.param(1)}, ${db.dialect.param(2)})`;
    expect(await db.sql.execute(sql, ['shapes', `sql-${INSTANT.getTime()}`])).toBe(2);
    expect(await viaPrisma.sql.execute(sql, ['shapes', 'nothing'])).toBe(1);
  });

  it('fails with errors classified by code on both paths', async () => {
    const duplicate = [`sql-${INSTANT.getTime()}`, 'SUCCESS', null, INSTANT, INSTANT, null, false];
    for (const path of [db, viaPrisma]) {
      const error = await path.sql.execute(insertSql(db), duplicate).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(isTransient(error)).toBe(false);
      const missing = await path.sql.query('SELECT 1 FROM no_such_table', []).catch((e: unknown) => e);
      expect(databaseFault(missing)?.kind).toBe('no-tables');
    }
  });

  it('follows the client through a disconnect: Prisma\'s path meanwhile, the new adapter after', async () => {
    const own = await openDatabase(testDb.url);
    try {
      await own.prisma.$disconnect();
      expect(await own.sql.query(`SELECT COUNT(*) AS n FROM celery_taskmeta WHERE task_id = ${own.dialect.param(1)}`, ['shapes'])).toEqual([{ n: 1 }]);
      expect(await own.sql.execute(`UPDATE celery_taskmeta SET retries = 2 WHERE task_id = ${own.dialect.param(1)}`, ['shapes'])).toBe(1);
    } finally {
      await own.close();
    }
  });

  if (testDb.provider === 'sqlite') {
    describe('SQLite busy', () => {
      let impatient: Database;
      beforeAll(async () => {
        impatient = await openDatabase(testDb.url, { sqliteBusyTimeoutMs: 10 });
      });
      afterAll(() => impatient.close());

      it('is transient on both paths', async () => {
        const locker = new Sqlite(testDb.url.slice('file:'.length));
        try {
          locker.exec('BEGIN IMMEDIATE');
          for (const path of [impatient, useDatabase(impatient.prisma, testDb.url)]) {
            const error = await path.sql.execute('UPDATE celery_taskmeta SET retries = 3', []).catch((e: unknown) => e);
            expect(isTransient(error)).toBe(true);
          }
        } finally {
          locker.exec('ROLLBACK');
          locker.close();
        }
      });
    });
  }
});
