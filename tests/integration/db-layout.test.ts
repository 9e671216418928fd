// The start-up check of a table layout against each real database: tables
// and columns found in the connection's own schema or database, and every
// one missing named in one line.
import { expect, it } from 'vitest';
import { checkTables, LayoutTablesError } from '../../src/db/layout.js';
import { describeEachDatabase } from '../support/databases.js';

describeEachDatabase('checkTables', (testDb) => {
  it('passes when every table and column is there, and names each one missing otherwise', async () => {
    const db = await testDb.open();
    await db.sql.execute('CREATE TABLE layout_probe (id INTEGER PRIMARY KEY, task_id VARCHAR(255), status VARCHAR(50))');
    await expect(checkTables(db, { layout_probe: ['id', 'task_id', 'status'] }, 'run it')).resolves.toBeUndefined();

    const error = await checkTables(db, { layout_probe: ['task_id', 'date_done', 'meta'], layout_gone: ['id'] }, 'run `manage.py migrate`').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LayoutTablesError);
    expect((error as LayoutTablesError).code).toBe('E_LAYOUT_TABLES');
    expect((error as Error).message).toBe('missing layout_probe.{date_done, meta}, table layout_gone: run `manage.py migrate`');
  });
}, { migrate: false });
