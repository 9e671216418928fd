/**
 * Task results as the result backend stored them (celery_taskmeta, or
 * django-celery-results' table on the django layout): a
 * filtered, paged list, newest first, and one result in full (read through
 * the backend). Read-only; status and paging use the status and date_done
 * indexes.
 */
import type { PrismaResultBackend } from '../../backend/index.js';
import { listResultsSql, readDate } from '../../backend/layouts/django.js';
import { READY_STATES } from '../../core/states.js';
import type { Layout } from '../../db/layout.js';
import type { Database } from '../../db/open.js';
import { afterCursor, decodeCursor, filterValue, pageSize, toPage, type Cursor } from './paging.js';

export interface ResultSummary {
  taskId: string;
  status: string;
  name: string | null;
  worker: string | null;
  queue: string | null;
  retries: number | null;
  dateDone: string;
}

export interface ResultDetail extends ResultSummary {
  result: unknown;
  traceback: string | null;
  args: unknown;
  kwargs: unknown;
  children: unknown[];
  dateCreated: string;
  dateStarted: string | null;
  /** Seconds from start to finish, for a finished task whose start was recorded. */
  runtime: number | null;
}

type Page = { items: ResultSummary[]; next: string | null };

/** `?status=&name=&worker=&limit=&cursor=`, each filter an exact match. */
export async function listResults(database: Database, params: URLSearchParams, layout: Layout = 'djcelery'): Promise<Page> {
  const limit = pageSize(params.get('limit'));
  const cursor = decodeCursor(params.get('cursor'));
  const status = filterValue(params, 'status');
  const name = filterValue(params, 'name');
  const worker = filterValue(params, 'worker');
  if (layout === 'django') return listDjangoResults(database, { status, name, worker }, cursor, limit);
  const rows = await database.prisma.taskMeta.findMany({
    where: {
      hidden: false,
      ...(status === undefined ? {} : { status }),
      ...(name === undefined ? {} : { name }),
      ...(worker === undefined ? {} : { worker }),
      ...afterCursor('dateDone', cursor),
    },
    orderBy: [{ dateDone: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    select: { id: true, taskId: true, status: true, name: true, worker: true, queue: true, retries: true, dateDone: true },
  });
  return toPage(rows, limit, (row) => ({ at: row.dateDone, id: row.id }), (row) => ({
    taskId: row.taskId,
    status: row.status,
    name: row.name,
    worker: row.worker,
    queue: row.queue,
    retries: row.retries,
    dateDone: row.dateDone.toISOString(),
  }));
}

/** The same page from django-celery-results' table, which keeps no queue or retries. */
async function listDjangoResults(database: Database, filter: Parameters<typeof listResultsSql>[1], cursor: Cursor | null, limit: number): Promise<Page> {
  const { sql, params } = listResultsSql(database.dialect, filter, cursor, limit + 1);
  const rows = await database.sql.query<{ id: number; task_id: string; status: string; name: string | null; worker: string | null; date_done: unknown }>(sql, params);
  return toPage(rows.map((row) => ({ ...row, dateDone: readDate(row.date_done) })), limit, (row) => ({ at: row.dateDone, id: row.id }), (row) => ({
    taskId: row.task_id,
    status: row.status,
    name: row.name,
    worker: row.worker,
    queue: null,
    retries: null,
    dateDone: row.dateDone.toISOString(),
  }));
}

export async function getResult(backend: PrismaResultBackend, taskId: string): Promise<ResultDetail | null> {
  const record = await backend.getTask(taskId);
  if (record === null) return null;
  return {
    taskId: record.taskId,
    status: record.status,
    name: record.name,
    worker: record.worker,
    queue: record.queue,
    retries: record.retries,
    dateDone: record.dateDone.toISOString(),
    result: record.result,
    traceback: record.traceback,
    args: record.args,
    kwargs: record.kwargs,
    children: record.children,
    dateCreated: record.dateCreated.toISOString(),
    dateStarted: record.dateStarted?.toISOString() ?? null,
    runtime:
      record.dateStarted === null || !READY_STATES.has(record.status)
        ? null
        : (record.dateDone.getTime() - record.dateStarted.getTime()) / 1000,
  };
}
