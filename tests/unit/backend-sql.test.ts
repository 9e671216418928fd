import { describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/db/dialect.js';
import { cutoffsAt, expire, expiryTarget } from '../../src/backend/expiry.js';
import { rangeDeleteSql } from '../../src/db/range-delete.js';
import { PARAMS_PER_ROW, upsertParams, upsertSql } from '../../src/backend/store-sql.js';
import type { TaskWrite } from '../../src/backend/guard.js';

const write: TaskWrite = {
  taskId: 't', status: 'SUCCESS', result: '1', traceback: null, meta: null, dateDone: new Date(0),
  name: null, args: null, kwargs: null, worker: null, queue: null, retries: null, dateStarted: null,
};

describe('the upsert statement', () => {
  it('has one placeholder per parameter, numbered on PostgreSQL', () => {
    const pg = upsertSql(dialectOf('postgresql'), 3);
    expect(pg.match(/\$\d+/g)).toHaveLength(3 * PARAMS_PER_ROW);
    expect(pg).toContain(`$${3 * PARAMS_PER_ROW}, false)`);
    expect(upsertSql(dialectOf('sqlite'), 2).match(/\?/g)).toHaveLength(2 * PARAMS_PER_ROW);
    expect(upsertParams([write, write])).toHaveLength(2 * PARAMS_PER_ROW);
  });

  it("creates a row at its write's own clock reading, never after its date_done", () => {
    // A write waits in the batch before it is flushed: the flush's time must not become date_created.
    const params = upsertParams([write]);
    expect(params[PARAMS_PER_ROW - 1]).toEqual(write.dateDone);
  });

  it('assigns status and hidden last on MySQL, whose later assignments see earlier ones', () => {
    const sql = upsertSql(dialectOf('mysql'), 1);
    const update = sql.slice(sql.indexOf('ON DUPLICATE KEY UPDATE'));
    const assigned = [...update.matchAll(/(?:UPDATE |, )(\w+) = /g)].map((m) => m[1]);
    expect(assigned.slice(-2)).toEqual(['status', 'hidden']);
    expect(new Set(assigned).size).toBe(assigned.length);
  });

  it('guards every state column, and only those', () => {
    for (const provider of ['postgresql', 'sqlite'] as const) {
      const sql = upsertSql(dialectOf(provider), 1);
      for (const column of ['status', 'result', 'traceback', 'meta', 'date_done']) {
        expect(sql, `${provider} ${column}`).toMatch(new RegExp(`[ ,]${column} = CASE WHEN \\(celery_taskmeta\\.hidden OR`));
      }
      expect(sql).toContain('name = COALESCE(excluded.name, celery_taskmeta.name)');
      expect(sql).not.toContain('date_created =');
    }
  });
});

describe('the expiry statements', () => {
  const DAY = 86_400_000;
  const cutoffs = cutoffsAt(10 * DAY, DAY, 7 * DAY);

  it('delete expired and hidden rows in one statement per primary-key range', () => {
    const pg = rangeDeleteSql(dialectOf('postgresql'), expiryTarget(dialectOf('postgresql'), 'celery_taskmeta', cutoffs));
    expect(pg.remove).toBe(
      'DELETE FROM "celery_taskmeta" WHERE "id" BETWEEN $1 AND $2 AND ' +
        "(hidden = true OR (date_done < $3 AND status IN ('SUCCESS', 'FAILURE', 'REVOKED')) OR date_done < $4)",
    );
    const mysql = rangeDeleteSql(dialectOf('mysql'), expiryTarget(dialectOf('mysql'), 'celery_tasksetmeta', cutoffs));
    expect(mysql.remove).toBe('DELETE FROM `celery_tasksetmeta` WHERE `id` BETWEEN ? AND ? AND (hidden = true OR date_done < ?)');
    expect(mysql.next).toBe('SELECT MIN(`id`) AS low FROM `celery_tasksetmeta` WHERE `id` >= ?');
    expect(expiryTarget(dialectOf('sqlite'), 'celery_taskmeta', cutoffs)).toMatchObject({
      params: [cutoffs.ready, cutoffs.unready],
      covers: [{ condition: 'date_done < ?', params: [cutoffs.ready] }, { condition: 'hidden = true', params: [] }],
    });
    expect(pg.cover('date_done < $1')).toBe('SELECT MAX("id") AS high FROM "celery_taskmeta" WHERE date_done < $1');
  });

  it('keep unfinished tasks for the longer of the two ages', () => {
    expect(cutoffs).toEqual({ ready: new Date(9 * DAY), unready: new Date(3 * DAY) });
    expect(cutoffsAt(10 * DAY, 8 * DAY, 7 * DAY)).toEqual({ ready: new Date(2 * DAY), unready: new Date(2 * DAY) });
  });
});

describe('expire()', () => {
  it('deletes from both tables and adds their figures up', async () => {
    const log: string[] = [];
    const runner = {
      query: async <T>(sql: string): Promise<T[]> => [(sql.includes('tasksetmeta') ? { low: 7, high: 8 } : { low: 1, high: 3 }) as T],
      execute: async (sql: string, params: unknown[]): Promise<number> => {
        log.push(`${sql.includes('tasksetmeta') ? 'groups' : 'tasks'} ${String(params[0])}-${String(params[1])}`);
        return Number(params[1]) - Number(params[0]) + 1;
      },
    };
    let now = 0;
    const report = await expire(runner, dialectOf('sqlite'), { ready: new Date(0), unready: new Date(0) }, 2, () => (now += 100));
    // Every statement "takes" 100 ms: the span stays at the batch size.
    expect(log).toEqual(['tasks 1-2', 'tasks 3-3', 'groups 7-8']);
    // Per table: the id bounds, the last expired id, the last hidden id, then the deletes.
    expect(report).toEqual({ cutoff: new Date(0), unreadyCutoff: new Date(0), tasks: { deleted: 3 }, groups: { deleted: 2 }, statements: 3 + 2 + 3 + 1, longestStatementMs: 100 });
  });
});
