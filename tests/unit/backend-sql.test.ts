import { describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/db/dialect.js';
import { expirySql } from '../../src/backend/expiry.js';
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
