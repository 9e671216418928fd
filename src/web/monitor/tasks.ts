/**
 * Tasks as the camera saw them (djcelery_taskstate): a filtered, paged
 * list, newest first, and one task in full. Read-only; filters and paging
 * run in SQL on the table's indexes (state+tstamp, name, worker_id, tstamp).
 */
import type { Database } from '../../db/open.js';
import { afterCursor, decodeCursor, filterValue, pageSize, toPage } from './paging.js';

export interface TaskSummary {
  taskId: string;
  state: string;
  name: string | null;
  worker: string | null;
  tstamp: string;
  runtime: number | null;
  retries: number;
}

export interface TaskDetail extends TaskSummary {
  args: string | null;
  kwargs: string | null;
  result: string | null;
  traceback: string | null;
  eta: string | null;
  expires: string | null;
}

const iso = (date: Date | null): string | null => date?.toISOString() ?? null;

/** `?state=&name=&worker=&limit=&cursor=`; state, name and worker match exactly. */
export async function listTasks(database: Database, params: URLSearchParams): Promise<{ items: TaskSummary[]; next: string | null }> {
  const limit = pageSize(params.get('limit'));
  const cursor = decodeCursor(params.get('cursor'));
  const state = filterValue(params, 'state');
  const name = filterValue(params, 'name');
  const hostname = filterValue(params, 'worker');
  let workerId: number | undefined;
  if (hostname !== undefined) {
    // Looked up first, so the task query filters on the indexed worker_id alone.
    const worker = await database.prisma.workerState.findUnique({ where: { hostname }, select: { id: true } });
    if (worker === null) return { items: [], next: null };
    workerId = worker.id;
  }
  const rows = await database.prisma.taskState.findMany({
    where: {
      hidden: false,
      ...(state === undefined ? {} : { state }),
      ...(name === undefined ? {} : { name }),
      ...(workerId === undefined ? {} : { workerId }),
      ...afterCursor('tstamp', cursor),
    },
    orderBy: [{ tstamp: 'desc' }, { id: 'desc' }],
    take: limit + 1,
    select: {
      id: true,
      taskId: true,
      state: true,
      name: true,
      tstamp: true,
      runtime: true,
      retries: true,
      worker: { select: { hostname: true } },
    },
  });
  return toPage(rows, limit, (row) => ({ at: row.tstamp, id: row.id }), (row) => ({
    taskId: row.taskId,
    state: row.state,
    name: row.name,
    worker: row.worker?.hostname ?? null,
    tstamp: row.tstamp.toISOString(),
    runtime: row.runtime,
    retries: row.retries,
  }));
}

export async function getTask(database: Database, taskId: string): Promise<TaskDetail | null> {
  const row = await database.prisma.taskState.findFirst({
    where: { taskId, hidden: false },
    include: { worker: { select: { hostname: true } } },
  });
  if (row === null) return null;
  return {
    taskId: row.taskId,
    state: row.state,
    name: row.name,
    worker: row.worker?.hostname ?? null,
    tstamp: row.tstamp.toISOString(),
    runtime: row.runtime,
    retries: row.retries,
    args: row.args,
    kwargs: row.kwargs,
    result: row.result,
    traceback: row.traceback,
    eta: iso(row.eta),
    expires: iso(row.expires),
  };
}
