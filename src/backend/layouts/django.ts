/**
 * The django layout: django-celery-results' tables (its 2.4 schema), which
 * Django's migrations make and own. Rows are written as its DatabaseBackend
 * writes them with Celery's JSON serializer: `content_type`
 * application/json, `content_encoding` utf-8, the result and `meta`
 * ({"children": [...]}) as JSON text, `task_args`/`task_kwargs` as JSON text
 * of Python's repr of the arguments (Celery's argsrepr with
 * result_extended), `task_name` and `worker`. Groups are stored as Celery's
 * GroupResult tuple, `[[group_id, null], [[[task_id, null], null], ...]]`.
 *
 * SQLite has no date type: Django writes UTC as `YYYY-MM-DD HH:MM:SS.ffffff`
 * text and compares dates as text, so dates go in and come out in that form
 * here too (the driver would read such text as local time).
 */
import type { Dialect } from '../../db/dialect.js';
import { checkTables, type TableLookup } from '../../db/layout.js';
import type { SqlParam, SqlRow } from '../../db/sql.js';
import { READY_STATES } from '../../core/states.js';
import { StoredDataError } from '../errors.js';
import type { Cutoffs } from '../expiry.js';
import type { GroupRecord } from '../groups.js';
import { withNotify } from '../notify-sql.js';
import type { MetaRow, RecordRow } from '../reads.js';
import { upsertStatement, type UpsertTable } from '../store-sql.js';
import { pythonRepr } from './python-repr.js';
import type { ResultLayout } from './types.js';

const TASKS = 'django_celery_results_taskresult';
const GROUPS = 'django_celery_results_groupresult';
const JSON_TYPE = 'application/json';
const JSON_ENCODING = 'utf-8';
/** What Celery stores as meta for a task without children. */
const NO_CHILDREN = '{"children": []}';
/** django-celery-results' worker column is shorter than ours. */
const WORKER_CHARS = 100;

/** Every column the backend reads or writes, for the start-up check. */
const DJANGO_RESULT_TABLES = {
  [TASKS]: ['id', 'task_id', 'status', 'content_type', 'content_encoding', 'result', 'date_done', 'traceback', 'meta',
    'task_args', 'task_kwargs', 'task_name', 'worker', 'date_created'],
  [GROUPS]: ['id', 'group_id', 'date_created', 'date_done', 'content_type', 'content_encoding', 'result'],
} as const;

const FIX = 'run `python manage.py migrate django_celery_results` in the Django project (the django layout makes no tables of its own)';

/** Throws a LayoutTablesError naming every django-celery-results table or column the backend needs and `db` lacks. */
export const checkDjangoResultTables = (db: TableLookup): Promise<void> => checkTables(db, DJANGO_RESULT_TABLES, FIX);

const UPSERT: UpsertTable = {
  table: TASKS,
  columns: ['task_id', 'status', 'result', 'traceback', 'meta', 'date_done', 'task_name', 'task_args', 'task_kwargs', 'worker', 'date_created'],
  literals: [['content_type', `'${JSON_TYPE}'`], ['content_encoding', `'${JSON_ENCODING}'`]],
  guarded: ['result', 'traceback', 'meta', 'date_done', 'content_type', 'content_encoding', 'status'],
  descriptive: ['task_name', 'task_args', 'task_kwargs', 'worker'],
  hidden: false,
};

const READY_LIST = [...READY_STATES].map((state) => `'${state}'`).join(', ');

/** Django's SQLite text for an instant (UTC, microseconds). */
export function sqliteDate(date: Date): string {
  return `${date.toISOString().slice(0, 23).replace('T', ' ')}000`;
}

/** A date as Django's SQLite text holds it (UTC unless it says otherwise), or as the driver gave it. */
export function readDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'string') {
    const iso = value.replace(' ', 'T');
    const date = new Date(/(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new StoredDataError(`a date column holds ${JSON.stringify(value)}, which is not a date`);
}

/** Arguments as Celery's extended results store them: JSON text of their Python repr. */
function argsText(json: string | null): string | null {
  return json === null ? null : JSON.stringify(pythonRepr(JSON.parse(json)));
}

export function djangoLayout(dialect: Dialect, notify: boolean): ResultLayout {
  const p = (n: number): string => dialect.param(n);
  const sqlite = dialect.provider === 'sqlite';
  const date: (value: Date) => SqlParam = sqlite ? sqliteDate : (value) => value;
  const dateColumn = (column: string): string => (sqlite ? `CAST(${column} AS TEXT) AS ${column}` : column);
  const metaColumns = `status, result, traceback, meta, ${dateColumn('date_done')}, content_type, content_encoding`;
  const recordColumns =
    `${metaColumns}, task_name AS name, task_args AS args, task_kwargs AS kwargs, worker, ` +
    `NULL AS queue, NULL AS retries, ${dateColumn('date_created')}, NULL AS date_started`;
  const byId = `FROM ${TASKS} WHERE task_id = ${p(1)}`;

  const groupInsert =
    `INSERT INTO ${GROUPS} (group_id, result, date_created, date_done, content_type, content_encoding) ` +
    `VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, '${JSON_TYPE}', '${JSON_ENCODING}') `;
  const groupUpdated = ['result', 'date_done', 'content_type', 'content_encoding'];
  const groupUpsert =
    dialect.provider === 'mysql'
      ? `${groupInsert}ON DUPLICATE KEY UPDATE ${groupUpdated.map((c) => `${c} = VALUES(${c})`).join(', ')}`
      : `${groupInsert}ON CONFLICT (group_id) DO UPDATE SET ${groupUpdated.map((c) => `${c} = excluded.${c}`).join(', ')}`;

  const metaRow = (taskId: string, row: SqlRow): MetaRow => {
    if (row.result !== null && row.content_type !== JSON_TYPE) {
      throw new StoredDataError(
        `task ${taskId}: its result is stored as ${String(row.content_type)} (${String(row.content_encoding)}); ` +
          `only ${JSON_TYPE}, Celery's default result_serializer, can be read`,
      );
    }
    return { ...(row as unknown as MetaRow), date_done: readDate(row.date_done) };
  };

  return {
    check: checkDjangoResultTables,
    storesAlwaysNotify: false,
    upsertSql: (rows) => upsertStatement(UPSERT, dialect, rows, notify),
    upsertParams(writes) {
      const params: SqlParam[] = [];
      for (const w of writes) {
        const done = date(w.dateDone);
        params.push(
          w.taskId, w.status, w.result, w.traceback, w.meta ?? NO_CHILDREN, done,
          w.name, argsText(w.args), argsText(w.kwargs), w.worker === null ? null : [...w.worker].slice(0, WORKER_CHARS).join(''), done,
        );
      }
      return params;
    },
    taskSql: {
      meta: `SELECT ${metaColumns} ${byId}`,
      record: `SELECT ${recordColumns} ${byId}`,
      forget: `DELETE ${byId}`,
    },
    metaRow,
    recordRow: (taskId, row) => ({ ...(row as unknown as RecordRow), ...metaRow(taskId, row), date_created: readDate(row.date_created) }),
    groupSql: {
      save: notify ? withNotify(groupUpsert, 'group_id', 'true') : groupUpsert,
      restore: `SELECT result, ${dateColumn('date_done')}, content_type, content_encoding FROM ${GROUPS} WHERE group_id = ${p(1)}`,
      remove: `DELETE FROM ${GROUPS} WHERE group_id = ${p(1)}`,
    },
    groupParams(groupId, taskIds, now) {
      const members = taskIds.map((taskId) => [[taskId, null], null]);
      return [groupId, JSON.stringify([[groupId, null], members]), date(now), date(now)];
    },
    decodeGroup: (groupId, row) => decodeGroupTuple(groupId, row),
    expiry(cutoffs: Cutoffs) {
      const covers = [{ condition: `date_done < ${p(1)}`, params: [date(cutoffs.ready)] }];
      return {
        tasks: {
          table: TASKS,
          condition: `(date_done < ${p(3)} AND status IN (${READY_LIST})) OR date_done < ${p(4)}`,
          params: [date(cutoffs.ready), date(cutoffs.unready)],
          covers,
        },
        groups: { table: GROUPS, condition: `date_done < ${p(3)}`, params: [date(cutoffs.ready)], covers },
      };
    },
  };
}

/** Celery's GroupResult tuple as a record: each member's id (a nested group's own id). */
function decodeGroupTuple(groupId: string, row: SqlRow): GroupRecord {
  const fail = (): never => {
    throw new StoredDataError(`group ${groupId}: the stored row is not Celery's JSON GroupResult tuple`);
  };
  if (row.content_type !== JSON_TYPE) fail();
  let tuple: unknown;
  try {
    tuple = typeof row.result === 'string' ? JSON.parse(row.result) : undefined;
  } catch {
    fail();
  }
  const members = Array.isArray(tuple) ? (tuple[1] as unknown) : undefined;
  if (!Array.isArray(members)) return fail();
  const taskIds = members.map((member: unknown) => {
    const id: unknown = Array.isArray(member) && Array.isArray(member[0]) ? member[0][0] : undefined;
    return typeof id === 'string' ? id : fail();
  });
  return { groupId, taskIds, dateDone: readDate(row.date_done) };
}

/** Exact-match filters of a listing; undefined means any. */
export interface ListFilter {
  readonly status?: string | undefined;
  readonly name?: string | undefined;
  readonly worker?: string | undefined;
}

/**
 * A page of task results, newest first (date_done, then id, descending),
 * after a keyset cursor: the monitor's listing on this layout. Pure: SQL and
 * parameters; rows have id, task_id, status, name, worker and date_done
 * (read it with readDate).
 */
export function listResultsSql(
  dialect: Dialect,
  filter: ListFilter,
  after: { readonly at: Date; readonly id: number } | null,
  limit: number,
): { sql: string; params: SqlParam[] } {
  const sqlite = dialect.provider === 'sqlite';
  const date = (value: Date): SqlParam => (sqlite ? sqliteDate(value) : value);
  const params: SqlParam[] = [];
  const p = (value: SqlParam): string => {
    params.push(value);
    return dialect.param(params.length);
  };
  const where: string[] = [];
  if (filter.status !== undefined) where.push(`status = ${p(filter.status)}`);
  if (filter.name !== undefined) where.push(`task_name = ${p(filter.name)}`);
  if (filter.worker !== undefined) where.push(`worker = ${p(filter.worker)}`);
  if (after !== null) where.push(`(date_done < ${p(date(after.at))} OR (date_done = ${p(date(after.at))} AND id < ${p(after.id)}))`);
  const sql =
    `SELECT id, task_id, status, task_name AS name, worker, ${sqlite ? 'CAST(date_done AS TEXT) AS date_done' : 'date_done'} FROM ${TASKS}` +
    `${where.length === 0 ? '' : ` WHERE ${where.join(' AND ')}`} ORDER BY date_done DESC, id DESC LIMIT ${limit}`;
  return { sql, params };
}
