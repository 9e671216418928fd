import type { TableLookup } from '../../db/layout.js';
import type { SqlParam, SqlRow } from '../../db/sql.js';
import type { Cutoffs, ExpiryTargets } from '../expiry.js';
import type { GroupRecord } from '../groups.js';
import type { TaskWrite } from '../guard.js';
import type { MetaRow, RecordRow } from '../reads.js';

/**
 * What the result backend does differently per table layout, for one
 * database: the SQL of each operation and the decoding of what it reads.
 * Everything else (checking inputs, encoding results, the precedence guard,
 * batching, retries, waits) is the backend's and the same for every layout.
 */
export interface ResultLayout {
  /** Resolves when the tables hold every column the backend uses; otherwise throws a one-line error naming the fix. */
  check(db: TableLookup): Promise<void>;
  /**
   * Whether every writer's stores notify on PostgreSQL, so a waiter may sleep
   * until woken. False where writers we do not control (Python workers) store
   * without notifying: waiters then poll as well.
   */
  readonly storesAlwaysNotify: boolean;
  /** The upsert of `rows` writes (see store-sql.ts). */
  upsertSql(rows: number): string;
  upsertParams(writes: readonly TaskWrite[]): SqlParam[];
  /** One task's reads and delete, by id (parameter 1). */
  readonly taskSql: { readonly meta: string; readonly record: string; readonly forget: string };
  /** A row `taskSql.meta` read, as the backend decodes it; throws StoredDataError for a result it cannot decode. */
  metaRow(taskId: string, row: SqlRow): MetaRow;
  recordRow(taskId: string, row: SqlRow): RecordRow;
  /** A group's save (an upsert of groupParams), restore and remove by id (parameter 1). */
  readonly groupSql: { readonly save: string; readonly restore: string; readonly remove: string };
  groupParams(groupId: string, taskIds: readonly string[], now: Date): SqlParam[];
  decodeGroup(groupId: string, row: SqlRow): GroupRecord;
  expiry(cutoffs: Cutoffs): ExpiryTargets;
}
