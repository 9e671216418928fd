/**
 * The multi-row statements a snapshot writes, per dialect. Pure: SQL text
 * and parameter lists, no I/O.
 *
 * Tasks: one INSERT … SELECT per chunk that reads the rows from one JSON
 * parameter (PostgreSQL json_to_recordset, MySQL/MariaDB JSON_TABLE,
 * SQLite json_each) and updates rows already there: one statement and one
 * round trip per chunk whatever the drivers' parameter limits, the same
 * SQL text for every size, and no per-value work in the driver. On a
 * conflict
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

export type SqlValue = string | number | Date | null;

export interface Statement {
  sql: string;
  params: SqlValue[];
}

const INSTANT: Record<Provider, (date: Date | null) => string | null> = {
  postgresql: (d) => (d === null ? null : d.toISOString()),
  mysql: (d) => (d === null ? null : d.toISOString().slice(0, 23).replace('T', ' ')),
  sqlite: (d) => (d === null ? null : d.toISOString().replace('Z', '+00:00')),
};

/** Each column's key in the JSON rows: short, as every row repeats them, and unlike any column's name. */
const JSON_KEY: Record<(typeof TASK_COLUMNS)[number], string> = {
  task_id: 'i',
  state: 's',
  name: 'n',
  tstamp: 't',
  args: 'a',
  kwargs: 'k',
  eta: 'e',
  expires: 'x',
  result: 'r',
  traceback: 'b',
  runtime: 'u',
  retries: 'y',
  worker_id: 'w',
};

const JSON_TYPE: Record<'postgresql' | 'mysql', Record<'short' | 'text' | 'instant' | 'float' | 'int', string>> = {
  postgresql: { short: 'text', text: 'text', instant: 'timestamptz', float: 'double precision', int: 'integer' },
  mysql: { short: 'VARCHAR(255)', text: 'LONGTEXT', instant: 'DATETIME(3)', float: 'DOUBLE', int: 'INT' },
};

const COLUMN_KIND: Record<(typeof TASK_COLUMNS)[number], 'short' | 'text' | 'instant' | 'float' | 'int'> = {
  task_id: 'short',
  state: 'short',
  name: 'short',
  tstamp: 'instant',
  args: 'text',
  kwargs: 'text',
  eta: 'instant',
  expires: 'instant',
  result: 'text',
  traceback: 'text',
  runtime: 'float',
  retries: 'int',
  worker_id: 'int',
};

/** The task upsert of every row of one JSON parameter (taskRowsJson). */
export function taskUpsertSql(dialect: Dialect): string {
  const provider = dialect.provider;
  const q = dialect.ident;
  const p = dialect.param(1);
  const keys = TASK_COLUMNS.map((c) => JSON_KEY[c]);
  let select: string;
  if (provider === 'sqlite') {
    // WHERE true: without it SQLite would read ON CONFLICT as a join's ON.
    select = `SELECT ${keys.map((k) => `r.value ->> '${k}'`).join(', ')}, false FROM json_each(${p}) AS r WHERE true`;
  } else {
    const types = JSON_TYPE[provider];
    const source =
      provider === 'postgresql'
        ? `json_to_recordset(${p}::json) AS r(${TASK_COLUMNS.map((c) => `${JSON_KEY[c]} ${types[COLUMN_KIND[c]]}`).join(', ')})`
        : `JSON_TABLE(${p}, '$[*]' COLUMNS(${TASK_COLUMNS.map((c) => `${JSON_KEY[c]} ${types[COLUMN_KIND[c]]} PATH '$.${JSON_KEY[c]}'`).join(', ')})) AS r`;
    select = `SELECT ${keys.map((k) => `r.${k}`).join(', ')}, false FROM ${source}`;
  }
  const insert = `INSERT INTO ${q(TASK_TABLE)}${provider === 'postgresql' ? ' AS t' : ''} (${[...TASK_COLUMNS, 'hidden'].map(q).join(', ')}) ${select}`;
  return `${insert} ${conflictClause(dialect)}`;
}

/**
 * The rows as the JSON document taskJsonUpsertSql reads, in their order
 * (the lock order). Instants as each provider stores them through Prisma:
 * ISO 8601 in UTC for PostgreSQL's timestamptz, `YYYY-MM-DD HH:MM:SS.mmm`
 * for MySQL's DATETIME in the session's UTC, ISO 8601 with `+00:00` for
 * SQLite's text (Prisma's SQLite adapter's own format, which the
 * comparisons of cleanup rely on).
 */
export function taskRowsJson(provider: Provider, rows: readonly TaskRow[], workerIdOf: (row: TaskRow) => number | null): string {
  const instant = INSTANT[provider];
  return JSON.stringify(
    rows.map((row) => ({
      i: row.taskId,
      s: row.state,
      n: row.name,
      t: instant(row.tstamp),
      a: row.args,
      k: row.kwargs,
      e: instant(row.eta),
      x: instant(row.expires),
      r: row.result,
      b: row.traceback,
      u: row.runtime,
      y: row.retries,
      w: workerIdOf(row),
    })),
  );
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
