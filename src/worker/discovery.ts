/**
 * Finds and loads task modules: each `--tasks` entry is a file or a glob
 * (relative to the working directory), and every module found is imported
 * and read by task-table.ts. Globs go through tinyglobby: Node 20 has no
 * fs.glob (22 has it, experimental) and path.matchesGlob is experimental.
 */
import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { glob, isDynamicPattern } from 'tinyglobby';
import { WorkerError } from './errors.js';
import { taskTable, tasksOfModule, type TaskEntry } from './task-table.js';

/** The files `patterns` name, each once, in the order given (a glob's matches sorted). */
export async function taskFiles(patterns: readonly string[], cwd: string): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of patterns) {
    if (isDynamicPattern(pattern)) {
      const found = (await glob(pattern, { cwd, absolute: true, onlyFiles: true, expandDirectories: false })).sort();
      if (found.length === 0) throw new WorkerError('E_WORKER_TASKS', `--tasks ${pattern} matches no file (relative to ${cwd})`);
      files.push(...found);
      continue;
    }
    const file = isAbsolute(pattern) ? pattern : resolve(cwd, pattern);
    const info = await stat(file).catch(() => null);
    if (info === null || !info.isFile()) throw new WorkerError('E_WORKER_TASKS', `task module ${pattern} does not exist (relative to ${cwd})`);
    files.push(file);
  }
  return [...new Set(files)];
}

/** Imports every module and builds the task table; the first problem is one WorkerError naming its file. */
export async function discoverTasks(patterns: readonly string[], cwd: string): Promise<Map<string, TaskEntry>> {
  if (patterns.length === 0) throw new WorkerError('E_WORKER_TASKS', 'no task modules: give --tasks <file or glob> (or "tasks" in the config file)');
  const entries: TaskEntry[] = [];
  for (const file of await taskFiles(patterns, cwd)) {
    const shown = relative(cwd, file) || file;
    let exports: Record<string, unknown>;
    try {
      exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
      const why = error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error);
      throw new WorkerError('E_WORKER_TASKS', `task module ${shown} failed to load: ${why}`, { cause: error });
    }
    entries.push(...tasksOfModule(shown, exports));
  }
  return taskTable(entries);
}
