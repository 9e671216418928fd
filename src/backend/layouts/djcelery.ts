/** The djcelery layout: our own tables, celery_taskmeta and celery_tasksetmeta, made by our migrations. */
import type { Dialect } from '../../db/dialect.js';
import { databaseFault } from '../../db/fault.js';
import { BackendDatabaseError, BackendNotMigratedError } from '../errors.js';
import { expiryTarget } from '../expiry.js';
import { decodeGroup, groupSql } from '../groups.js';
import { readSql, type MetaRow, type RecordRow } from '../reads.js';
import { upsertParams, upsertSql } from '../store-sql.js';
import type { ResultLayout } from './types.js';

/** `notify`: stores and group saves NOTIFY (PostgreSQL). */
export function djceleryLayout(dialect: Dialect, notify: boolean): ResultLayout {
  const reads = readSql(dialect);
  const groups = groupSql(dialect, notify);
  return {
    async check(db) {
      try {
        for (const probe of reads.probe) await db.sql.query(probe);
      } catch (error) {
        if (error instanceof BackendDatabaseError && databaseFault(error.cause)?.kind === 'no-tables') {
          throw new BackendNotMigratedError(
            'the result backend\'s tables or columns are missing: apply the migrations (prisma-celery migrate deploy)',
            { cause: error.cause },
          );
        }
        throw error;
      }
    },
    storesAlwaysNotify: true,
    upsertSql: (rows) => upsertSql(dialect, rows, notify),
    upsertParams,
    taskSql: reads,
    metaRow: (_, row) => row as unknown as MetaRow,
    recordRow: (_, row) => row as unknown as RecordRow,
    groupSql: groups,
    groupParams: (groupId, taskIds, now) => [groupId, JSON.stringify(taskIds), now],
    decodeGroup: (groupId, row) => decodeGroup(groupId, row as { result: unknown; date_done: unknown }),
    expiry: (cutoffs) => ({
      tasks: expiryTarget(dialect, 'celery_taskmeta', cutoffs),
      groups: expiryTarget(dialect, 'celery_tasksetmeta', cutoffs),
    }),
  };
}
