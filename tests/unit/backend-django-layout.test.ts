// The django layout's pure parts: Python's repr of arguments as Celery's
// saferepr writes it, Django's SQLite dates, Celery's GroupResult tuple, and
// the monitor's listing statement.
import { describe, expect, it } from 'vitest';
import { djangoLayout, listResultsSql, readDate, sqliteDate } from '../../src/backend/layouts/django.js';
import { pythonRepr } from '../../src/backend/layouts/python-repr.js';
import { StoredDataError } from '../../src/backend/errors.js';
import { dialectOf } from '../../src/db/dialect.js';

describe('pythonRepr', () => {
  it('writes JSON values as Celery\'s saferepr does', () => {
    expect(pythonRepr([2, 'x\'y', null, true, false, 2.5, { a: [1, {}] }, []])).toBe("[2, 'x\\'y', None, True, False, 2.5, {'a': [1, {}]}, []]");
    expect(pythonRepr({})).toBe('{}');
    expect(pythonRepr('line\nbreak')).toBe("'line\nbreak'");
  });
});

describe('Django\'s SQLite dates', () => {
  it('writes UTC with microseconds and reads naive text as UTC, whatever the zone', () => {
    const at = new Date('2026-12-07T14:40:45.106Z');
    expect(sqliteDate(at)).toBe('2026-12-07 14:40:45.106000');
    expect(readDate('2026-12-07 14:40:45.106238')).toEqual(at);
    expect(readDate('2026-12-07 14:40:45.106238+00:00')).toEqual(at);
    expect(readDate(at)).toBe(at);
    expect(() => readDate('soon')).toThrow(StoredDataError);
  });
});

describe('the django layout', () => {
  const layout = djangoLayout(dialectOf('sqlite'), false);

  it('saves groups as Celery\'s GroupResult tuple and reads members back, a nested group by its own id', () => {
    const now = new Date('2026-12-07T00:00:00Z');
    const [, result] = layout.groupParams('g', ['a', 'b'], now);
    expect(JSON.parse(String(result))).toEqual([['g', null], [[['a', null], null], [['b', null], null]]]);
    const nested = JSON.stringify([['g', null], [[['a', null], null], [['inner', null], [[['c', null], null]]]]]);
    expect(layout.decodeGroup('g', { result: nested, content_type: 'application/json', date_done: '2026-12-07 00:00:00' }))
      .toEqual({ groupId: 'g', taskIds: ['a', 'inner'], dateDone: now });
    expect(() => layout.decodeGroup('g', { result: '["a"]', content_type: 'application/json', date_done: now })).toThrow(StoredDataError);
  });

  it('refuses results another serializer wrote, naming it', () => {
    const row = { status: 'SUCCESS', result: 'gAJLBS4=', traceback: null, meta: null, date_done: new Date(), content_type: 'application/x-python-serialize', content_encoding: 'binary' };
    expect(() => layout.metaRow('t', row)).toThrow('task t: its result is stored as application/x-python-serialize (binary)');
  });

  it('lists newest first after a keyset cursor, with only the filters given', () => {
    const { sql, params } = listResultsSql(dialectOf('postgresql'), { status: 'FAILURE', worker: undefined }, { at: new Date(0), id: 7 }, 26);
    expect(sql).toBe(
      'SELECT id, task_id, status, task_name AS name, worker, date_done FROM django_celery_results_taskresult ' +
        'WHERE status = $1 AND (date_done < $2 OR (date_done = $3 AND id < $4)) ORDER BY date_done DESC, id DESC LIMIT 26',
    );
    expect(params).toEqual(['FAILURE', new Date(0), new Date(0), 7]);
  });
});
