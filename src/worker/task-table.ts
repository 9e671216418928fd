/**
 * Which tasks a loaded module offers and under which names: each exported
 * function as `<file base name>.<export name>` (`tasks.mjs` exporting `add`
 * is `tasks.add`), or, when the module exports `tasks`, that object's
 * entries under their own full names. Pure: modules come in loaded.
 */
import { basename, extname } from 'node:path';
import { WorkerError } from './errors.js';

export type TaskFunction = (...args: unknown[]) => unknown;

export interface TaskEntry {
  readonly name: string;
  readonly fn: TaskFunction;
  /** The module it came from, as shown in messages. */
  readonly file: string;
}

const isFunction = (value: unknown): value is TaskFunction => typeof value === 'function';

/** The tasks in one module's exports; a WorkerError when it offers none or a bad `tasks` export. */
export function tasksOfModule(file: string, exports: Readonly<Record<string, unknown>>): TaskEntry[] {
  const table = exports.tasks;
  if (table !== undefined) {
    if (typeof table !== 'object' || table === null || Array.isArray(table)) {
      throw new WorkerError('E_WORKER_TASKS', `task module ${file}: its "tasks" export must be an object of functions by task name, e.g. { 'app.add': add }`);
    }
    const entries = Object.entries(table);
    const bad = entries.find(([, fn]) => !isFunction(fn));
    if (bad !== undefined) throw new WorkerError('E_WORKER_TASKS', `task module ${file}: tasks["${bad[0]}"] is not a function`);
    if (entries.length === 0) throw new WorkerError('E_WORKER_TASKS', `task module ${file}: its "tasks" export is empty; put the task functions in it`);
    return entries.map(([name, fn]) => ({ name, fn: fn as TaskFunction, file }));
  }
  const base = basename(file, extname(file));
  const entries = Object.entries(exports)
    .filter(([key, fn]) => key !== 'default' && isFunction(fn))
    .map(([key, fn]) => ({ name: `${base}.${key}`, fn: fn as TaskFunction, file }));
  if (entries.length === 0) {
    throw new WorkerError('E_WORKER_TASKS', `task module ${file} exports no functions: export each task (export function add…) or a "tasks" object`);
  }
  return entries;
}

/** One table by name; a WorkerError naming both files when two modules give the same name. */
export function taskTable(entries: readonly TaskEntry[]): Map<string, TaskEntry> {
  const table = new Map<string, TaskEntry>();
  for (const entry of entries) {
    const known = table.get(entry.name);
    if (known !== undefined) {
      throw new WorkerError('E_WORKER_TASKS', `task ${entry.name} is registered twice: by ${known.file} and by ${entry.file}; rename one`);
    }
    table.set(entry.name, entry);
  }
  return table;
}
