import { describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/db/dialect.js';
import { expire, expirySql } from '../../src/backend/expiry.js';
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
    expect(upsertParams([write, write], new Date(1))).toHaveLength(2 * PARAMS_PER_ROW);
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
  it('work through primary-key ranges and re-check hidden before deleting', () => {
    const sql = expirySql(dialectOf('postgresql'), 'celery_taskmeta');
    expect(sql.hide).toBe(
      'UPDATE celery_taskmeta SET hidden = true WHERE id >= $1 AND id < $2 AND hidden = false AND date_done < $3',
    );
    expect(sql.remove).toBe('DELETE FROM celery_taskmeta WHERE id >= $1 AND id < $2 AND hidden = true');
    expect(expirySql(dialectOf('mysql'), 'celery_tasksetmeta').next).toBe('SELECT MIN(id) AS low FROM celery_tasksetmeta WHERE id >= ?');
  });
});

describe('expire()', () => {
  it('hides every expired row in all ranges before it deletes any, jumping over gaps in ids', async () => {
    const ids = [1, 2, 3, 10, 11, 30]; // gaps left by earlier deletes
    const log: string[] = [];
    const runner = {
      query: async <T>(sql: string, params: unknown[]): Promise<T[]> => {
        if (sql.includes('MAX(id)')) return [{ low: sql.includes('taskset') ? null : 1, high: sql.includes('taskset') ? null : 30 } as T];
        const from = params[0] as number;
        return [{ low: ids.find((id) => id >= from) ?? null } as T];
      },
      execute: async (sql: string, params: unknown[]): Promise<number> => {
        log.push(`${sql.startsWith('UPDATE') ? 'hide' : 'delete'} ${String(params[0])}-${String(params[1])}`);
        return ids.filter((id) => id >= (params[0] as number) && id < (params[1] as number)).length;
      },
    };
    const report = await expire(runner, dialectOf('sqlite'), new Date(0), 4);
    expect(log).toEqual(['hide 1-5', 'hide 10-14', 'hide 30-34', 'delete 1-5', 'delete 10-14', 'delete 30-34']);
    expect(report).toMatchObject({ tasks: { hidden: 6, deleted: 6 }, groups: { hidden: 0, deleted: 0 } });
  });
});
