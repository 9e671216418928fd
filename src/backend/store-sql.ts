/**
 * The one statement a store is: a multi-row upsert into celery_taskmeta with
 * the precedence guard evaluated by the database per row, so two writers
 * racing on one task id can neither fail nor move it backwards. Pure: SQL
 * text and parameters, no I/O.
 */
import type { Dialect } from '../db/dialect.js';
import type { Provider } from '../db/url.js';
import { READY_STATES, RETRY } from '../core/states.js';
import { CUSTOM_PRECEDENCE, PRECEDENCE_TABLE, type TaskWrite } from './guard.js';
import { withNotify } from './notify-sql.js';

const TABLE = 'celery_taskmeta';

/**
 * Inserted columns, in parameter order; `date_created` only matters for a new
 * row, and takes the write's own clock reading (its date_done), so a task
 * is never created after it was done however long the write waited in a batch.
 */
const COLUMNS = [
  'task_id', 'status', 'result', 'traceback', 'meta', 'date_done',
  'name', 'args', 'kwargs', 'worker', 'queue', 'retries', 'date_started', 'date_created',
] as const;

/** Taken from the write only when the guard lets it replace the row. `status` is last on purpose (MySQL). */
const GUARDED = ['result', 'traceback', 'meta', 'date_done', 'status'] as const;
/** A non-null value in the write wins, whatever the guard says. */
const DESCRIPTIVE = ['name', 'args', 'kwargs', 'worker', 'queue', 'retries', 'date_started'] as const;

export const PARAMS_PER_ROW = COLUMNS.length;

type Param = string | number | Date | null;

export function upsertParams(writes: readonly TaskWrite[]): Param[] {
  const params: Param[] = [];
  for (const w of writes) {
    params.push(
      w.taskId, w.status, w.result, w.traceback, w.meta, w.dateDone,
      w.name, w.args, w.kwargs, w.worker, w.queue, w.retries, w.dateStarted, w.dateDone,
    );
  }
  return params;
}

const precedenceSql = (expression: string): string =>
  `CASE ${expression} ${PRECEDENCE_TABLE.map((r) => `WHEN '${r.state}' THEN ${r.rank}`).join(' ')} ELSE ${CUSTOM_PRECEDENCE} END`;

const READY_LIST = [...READY_STATES].map((state) => `'${state}'`).join(', ');

/** guard.ts's `replaces` as SQL: `next` is the write's state, `row` qualifies the existing row's columns. */
export const guardSql = (next: string, row: string): string => {
  const current = `${row}status`;
  return (
    `(${row}hidden OR ((${next} IN (${READY_LIST}) OR ${current} NOT IN (${READY_LIST})) AND ` +
    `(${next} = '${RETRY}' OR ${current} = '${RETRY}' OR ${precedenceSql(next)} >= ${precedenceSql(current)})))`
  );
};

const cache = new Map<string, string>();

/**
 * The upsert of `rows` writes (one statement, `rows * PARAMS_PER_ROW`
 * parameters); with `notify` (PostgreSQL) it also notifies the ids it made ready.
 */
export function upsertSql(dialect: Dialect, rows: number, notify = false): string {
  const key = `${dialect.provider}:${rows}:${notify}`;
  let sql = cache.get(key);
  if (sql === undefined) {
    sql = build(dialect, rows);
    if (notify) sql = withNotify(sql, 'task_id', `status IN (${READY_LIST})`);
    cache.set(key, sql);
  }
  return sql;
}

function build(dialect: Dialect, rows: number): string {
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const params = COLUMNS.map((_, c) => dialect.param(r * PARAMS_PER_ROW + c + 1));
    tuples.push(`(${params.join(', ')}, false)`);
  }
  const insert = `INSERT INTO ${TABLE} (${COLUMNS.join(', ')}, hidden) VALUES ${tuples.join(', ')}`;
  return `${insert} ${conflictClause(dialect.provider)}`;
}

function conflictClause(provider: Provider): string {
  if (provider === 'mysql') {
    // MySQL assigns left to right and later expressions see earlier
    // assignments: the guard reads `status` and `hidden`, so those two go
    // last. A hidden row always passes the guard, so un-hiding needs no
    // condition.
    const guard = guardSql('VALUES(status)', '');
    return (
      'ON DUPLICATE KEY UPDATE ' +
      [
        ...DESCRIPTIVE.map((c) => `${c} = COALESCE(VALUES(${c}), ${c})`),
        ...GUARDED.map((c) => `${c} = IF(${guard}, VALUES(${c}), ${c})`),
        'hidden = false',
      ].join(', ')
    );
  }
  // PostgreSQL and SQLite evaluate every SET expression against the old row.
  const row = `${TABLE}.`;
  const guard = guardSql('excluded.status', row);
  return (
    'ON CONFLICT (task_id) DO UPDATE SET ' +
    [
      ...DESCRIPTIVE.map((c) => `${c} = COALESCE(excluded.${c}, ${row}${c})`),
      ...GUARDED.map((c) => `${c} = CASE WHEN ${guard} THEN excluded.${c} ELSE ${row}${c} END`),
      'hidden = false',
    ].join(', ')
  );
}
