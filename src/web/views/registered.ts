/**
 * djcelery.views.registered_tasks: the task names the app declares, split
 * into regular and periodic. Node apps have no task registry to read, so
 * the app passes its names; "periodic" are those an enabled periodic task
 * sends, read from the schedule table.
 */
import type { Database } from '../../db/open.js';
import { json } from '../http/responses.js';

export type DeclaredTasks = readonly string[] | (() => readonly string[] | Promise<readonly string[]>);

/** Task names that enabled periodic tasks send. */
export async function periodicTaskNames(database: Database): Promise<Set<string>> {
  const rows = await database.prisma.periodicTask.findMany({
    where: { enabled: true },
    select: { task: true },
    distinct: ['task'],
  });
  return new Set(rows.map((row) => row.task));
}

/**
 * `{"regular": [...], "periodic": [...]}`, each sorted. Without declared
 * names, every name an enabled periodic task sends is listed as periodic,
 * which is all the database knows.
 */
export async function registeredTasks(database: Database, declared: DeclaredTasks | undefined): Promise<Response> {
  const periodic = await periodicTaskNames(database);
  if (declared === undefined) return json({ regular: [], periodic: [...periodic].sort() });
  const names = [...new Set(typeof declared === 'function' ? await declared() : declared)].sort();
  return json({
    regular: names.filter((name) => !periodic.has(name)),
    periodic: names.filter((name) => periodic.has(name)),
  });
}
