/**
 * The one statement a store is: a multi-row upsert into celery_taskmeta (or
 * another layout's task table, described by an UpsertTable) with the
 * precedence guard evaluated by the database per row, so two writers
 * racing on one task id can neither fail nor move it backwards. Pure: SQL
 * text and parameters, no I/O.
 */
import type { Dialect } from '../db/dialect.js';
import type { Provider } from '../db/url.js';
import { READY_STATES, RETRY } from '../core/states.js';
import { CUSTOM_PRECEDENCE, PRECEDENCE_TABLE, type TaskWrite } from './guard.js';
import { withNotify } from './notify-sql.js';

/** A table a store upserts into: which columns come from parameters, which are fixed, and how each is updated. */
export interface UpsertTable {
  readonly table: string;
  /** Columns given by parameters, in parameter order. */
  readonly columns: readonly string[];
  /** Columns inserted as SQL literals after the parameters. */
  readonly literals: readonly (readonly [column: string, sql: string])[];
  /** Taken from the write only when the guard lets it replace the row; `status` last (MySQL). */
  readonly guarded: readonly string[];
  /** A non-null value in the write wins, whatever the guard says. */
  readonly descriptive: readonly string[];
  /** Whether rows have our `hidden` mark (a hidden row is replaced by anything, and a store un-hides it). */
  readonly hidden: boolean;
}

/**
 * celery_taskmeta. `date_created` only matters for a new row, and takes the
 * write's own clock reading (its date_done), so a task is never created
 * after it was done however long the write waited in a batch.
 */
const DJCELERY: UpsertTable = {
  table: 'celery_taskmeta',
  columns: [
    'task_id', 'status', 'result', 'traceback', 'meta', 'date_done',
    'name', 'args', 'kwargs', 'worker', 'queue', 'retries', 'date_started', 'date_created',
  ],
  literals: [['hidden', 'false']],
  guarded: ['result', 'traceback', 'meta', 'date_done', 'status'],
  descriptive: ['name', 'args', 'kwargs', 'worker', 'queue', 'retries', 'date_started'],
  hidden: true,
};

export const PARAMS_PER_ROW = DJCELERY.columns.length;

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

/**
 * guard.ts's `replaces` as SQL: `next` is the write's state, `row` qualifies
 * the existing row's columns; `hidden`: the row has our hidden mark.
 */
export const guardSql = (next: string, row: string, hidden = true): string => {
  const current = `${row}status`;
  const rule =
    `(${next} IN (${READY_LIST}) OR ${current} NOT IN (${READY_LIST})) AND ` +
    `(${next} = '${RETRY}' OR ${current} = '${RETRY}' OR ${precedenceSql(next)} >= ${precedenceSql(current)})`;
  return hidden ? `(${row}hidden OR (${rule}))` : `(${rule})`;
};

const cache = new Map<string, string>();

/**
 * The upsert of `rows` writes (one statement, `rows * PARAMS_PER_ROW`
 * parameters); with `notify` (PostgreSQL) it also notifies the ids it made ready.
 */
export function upsertSql(dialect: Dialect, rows: number, notify = false): string {
  return upsertStatement(DJCELERY, dialect, rows, notify);
}

/** The upsert of `rows` writes into `spec`'s table (see upsertSql). */
export function upsertStatement(spec: UpsertTable, dialect: Dialect, rows: number, notify: boolean): string {
  const key = `${spec.table}:${dialect.provider}:${rows}:${notify}`;
  let sql = cache.get(key);
  if (sql === undefined) {
    sql = build(spec, dialect, rows);
    if (notify) sql = withNotify(sql, 'task_id', `status IN (${READY_LIST})`);
    cache.set(key, sql);
  }
  return sql;
}

function build(spec: UpsertTable, dialect: Dialect, rows: number): string {
  const width = spec.columns.length;
  const literals = spec.literals.map(([, sql]) => `, ${sql}`).join('');
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const params = spec.columns.map((_, c) => dialect.param(r * width + c + 1));
    tuples.push(`(${params.join(', ')}${literals})`);
  }
  const columns = [...spec.columns, ...spec.literals.map(([column]) => column)];
  const insert = `INSERT INTO ${spec.table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`;
  return `${insert} ${conflictClause(spec, dialect.provider)}`;
}

function conflictClause(spec: UpsertTable, provider: Provider): string {
  const { guarded, descriptive } = spec;
  const unhide = spec.hidden ? ['hidden = false'] : [];
  if (provider === 'mysql') {
    // MySQL assigns left to right and later expressions see earlier
    // assignments: the guard reads `status` and `hidden`, so those two go
    // last. A hidden row always passes the guard, so un-hiding needs no
    // condition.
    const guard = guardSql('VALUES(status)', '', spec.hidden);
    return (
      'ON DUPLICATE KEY UPDATE ' +
      [
        ...descriptive.map((c) => `${c} = COALESCE(VALUES(${c}), ${c})`),
        ...guarded.map((c) => `${c} = IF(${guard}, VALUES(${c}), ${c})`),
        ...unhide,
      ].join(', ')
    );
  }
  // PostgreSQL and SQLite evaluate every SET expression against the old row.
  const row = `${spec.table}.`;
  const guard = guardSql('excluded.status', row, spec.hidden);
  return (
    'ON CONFLICT (task_id) DO UPDATE SET ' +
    [
      ...descriptive.map((c) => `${c} = COALESCE(excluded.${c}, ${row}${c})`),
      ...guarded.map((c) => `${c} = CASE WHEN ${guard} THEN excluded.${c} ELSE ${row}${c} END`),
      ...unhide,
    ].join(', ')
  );
}
