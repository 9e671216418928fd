/**
 * The multi-row statements a snapshot writes, per dialect. Pure: SQL text
 * and parameter lists, no I/O.
 *
 * Tasks: one INSERT … VALUES (…), (…) per chunk that updates rows already
 * there. On a conflict
 * - name, args, kwargs, eta, expires: COALESCE(new, stored) — an event
 *   stream that missed task-received never nulls out what was stored
 *   (djcelery keeps these "merge rule" fields from any event);
 * - retries: the larger, as retries only grow;
 * - state, tstamp, result, traceback, runtime, worker: only when the new
 *   state supersedes the stored one (Celery's precedence, RETRY both ways),
 *   with COALESCE for the values; the row is then visible again (hidden
 *   false), as a task that moved is no longer expired.
 * MySQL evaluates ON DUPLICATE KEY UPDATE assignments left to right and a
 * later one sees the new value of an earlier one, so `state` and `hidden`
 * come last, after every assignment that compares the stored state.
 */
import type { Dialect } from '../../db/dialect.js';
import type { Provider } from '../../db/url.js';
import type { TaskRow } from '../state/rows.js';
import { supersedesSql } from './precedence-sql.js';

export const TASK_TABLE = 'djcelery_taskstate';
export const WORKER_TABLE = 'djcelery_workerstate';

const TASK_COLUMNS = [
  'task_id',
  'state',
  'name',
  'tstamp',
  'args',
  'kwargs',
  'eta',
  'expires',
  'result',
  'traceback',
  'runtime',
  'retries',
  'worker_id',
] as const;

export const TASK_PARAMS_PER_ROW = TASK_COLUMNS.length;

/** Bind-parameter limits: SQLite 32766, PostgreSQL and MySQL 65535. */
const MAX_PARAMS: Record<Provider, number> = { sqlite: 32_766, postgresql: 65_535, mysql: 65_535 };

export type SqlValue = string | number | Date | null;

export interface Statement {
  sql: string;
  params: SqlValue[];
}

/** Most task rows one statement may carry: `preferred`, or fewer if the dialect's parameter limit says so. */
export function taskRowsPerStatement(provider: Provider, preferred: number): number {
  return Math.max(1, Math.min(preferred, Math.floor(MAX_PARAMS[provider] / TASK_PARAMS_PER_ROW)));
}

/**
 * The SQL of a task upsert for `rows` rows. Cached by the caller per row
 * count: only the last chunk of a snapshot has another size.
 */
export function taskUpsertSql(dialect: Dialect, rows: number): string {
  const q = dialect.ident;
  const tuples: string[] = [];
  let n = 1;
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < TASK_PARAMS_PER_ROW; c++) cells.push(dialect.param(n++));
    tuples.push(`(${cells.join(', ')}, false)`);
  }
  const insert =
    `INSERT INTO ${q(TASK_TABLE)}${dialect.provider === 'postgresql' ? ' AS t' : ''} ` +
    `(${[...TASK_COLUMNS, 'hidden'].map(q).join(', ')}) VALUES ${tuples.join(', ')}`;
  return `${insert} ${conflictClause(dialect)}`;
}

function conflictClause(dialect: Dialect): string {
  const q = dialect.ident;
  const merged = ['name', 'args', 'kwargs', 'eta', 'expires'];
  const guarded = ['result', 'traceback', 'runtime', 'worker_id'];
  if (dialect.provider === 'mysql') {
    const next = (column: string): string => `VALUES(${q(column)})`;
    const old = (column: string): string => q(column);
    const sup = supersedesSql(next('state'), old('state'));
    return (
      'ON DUPLICATE KEY UPDATE ' +
      [
        ...merged.map((c) => `${q(c)} = COALESCE(${next(c)}, ${old(c)})`),
        `${q('retries')} = GREATEST(${next('retries')}, ${old('retries')})`,
        `${q('tstamp')} = IF(${sup}, ${next('tstamp')}, ${old('tstamp')})`,
        ...guarded.map((c) => `${q(c)} = IF(${sup}, COALESCE(${next(c)}, ${old(c)}), ${old(c)})`),
        `${q('hidden')} = IF(${sup}, false, ${old('hidden')})`,
        // Last: every comparison above read the stored state.
        `${q('state')} = IF(${sup}, ${next('state')}, ${old('state')})`,
      ].join(', ')
    );
  }
  // PostgreSQL and SQLite read the stored row in every SET expression.
  const next = (column: string): string => `excluded.${q(column)}`;
  const old = (column: string): string => (dialect.provider === 'postgresql' ? `t.${q(column)}` : `${q(TASK_TABLE)}.${q(column)}`);
  const sup = supersedesSql(next('state'), old('state'));
  const greatest = dialect.provider === 'postgresql' ? 'GREATEST' : 'MAX';
  return (
    `ON CONFLICT (${q('task_id')}) DO UPDATE SET ` +
    [
      ...merged.map((c) => `${q(c)} = COALESCE(${next(c)}, ${old(c)})`),
      `${q('retries')} = ${greatest}(${next('retries')}, ${old('retries')})`,
      `${q('tstamp')} = CASE WHEN ${sup} THEN ${next('tstamp')} ELSE ${old('tstamp')} END`,
      ...guarded.map((c) => `${q(c)} = CASE WHEN ${sup} THEN COALESCE(${next(c)}, ${old(c)}) ELSE ${old(c)} END`),
      `${q('hidden')} = CASE WHEN ${sup} THEN false ELSE ${old('hidden')} END`,
      `${q('state')} = CASE WHEN ${sup} THEN ${next('state')} ELSE ${old('state')} END`,
    ].join(', ')
  );
}

/** Appends one row's parameters in column order; `workerId` is the worker row's id or null. */
export function pushTaskParams(params: SqlValue[], row: TaskRow, workerId: number | null): void {
  params.push(
    row.taskId,
    row.state,
    row.name,
    row.tstamp,
    row.args,
    row.kwargs,
    row.eta,
    row.expires,
    row.result,
    row.traceback,
    row.runtime,
    row.retries,
    workerId,
  );
}

/** Upserts workers' heartbeats (null after worker-offline). */
export function workerUpsert(dialect: Dialect, rows: readonly { hostname: string; lastHeartbeat: Date | null }[]): Statement {
  const q = dialect.ident;
  const params: SqlValue[] = [];
  const tuples = rows.map((row, i) => {
    params.push(row.hostname, row.lastHeartbeat);
    return `(${dialect.param(2 * i + 1)}, ${dialect.param(2 * i + 2)})`;
  });
  const insert = `INSERT INTO ${q(WORKER_TABLE)} (${q('hostname')}, ${q('last_heartbeat')}) VALUES ${tuples.join(', ')}`;
  const update =
    dialect.provider === 'mysql'
      ? `ON DUPLICATE KEY UPDATE ${q('last_heartbeat')} = VALUES(${q('last_heartbeat')})`
      : `ON CONFLICT (${q('hostname')}) DO UPDATE SET ${q('last_heartbeat')} = excluded.${q('last_heartbeat')}`;
  return { sql: `${insert} ${update}`, params };
}

/** Inserts worker rows that do not exist yet, leaving existing ones as they are. */
export function workerEnsure(dialect: Dialect, hostnames: readonly string[]): Statement {
  const q = dialect.ident;
  const tuples = hostnames.map((_, i) => `(${dialect.param(i + 1)})`);
  const insert = `INSERT INTO ${q(WORKER_TABLE)} (${q('hostname')}) VALUES ${tuples.join(', ')}`;
  const rest =
    dialect.provider === 'mysql'
      ? `ON DUPLICATE KEY UPDATE ${q('hostname')} = ${q('hostname')}`
      : `ON CONFLICT (${q('hostname')}) DO NOTHING`;
  return { sql: `${insert} ${rest}`, params: [...hostnames] };
}

export function workerIds(dialect: Dialect, hostnames: readonly string[]): Statement {
  const q = dialect.ident;
  const list = hostnames.map((_, i) => dialect.param(i + 1)).join(', ');
  return {
    sql: `SELECT ${q('id')} AS id, ${q('hostname')} AS hostname FROM ${q(WORKER_TABLE)} WHERE ${q('hostname')} IN (${list})`,
    params: [...hostnames],
  };
}
