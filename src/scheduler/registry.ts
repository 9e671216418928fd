// `--scheduler NAME`: a scheduler class by name, or a user's own class
// from a module (`./path/to/module.js#ExportName`).
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DatabaseScheduler } from './database-scheduler.js';
import { SchedulerError } from './errors.js';
import type { SchedulerClass } from './scheduler.js';

/** Schedulers known by name. Celery's and django-celery-beat's spellings are accepted for the database one. */
export const KNOWN_SCHEDULERS: Readonly<Record<string, SchedulerClass>> = {
  DatabaseScheduler,
  'django_celery_beat.schedulers:DatabaseScheduler': DatabaseScheduler,
  'django_celery_beat.schedulers.DatabaseScheduler': DatabaseScheduler,
  'djcelery.schedulers.DatabaseScheduler': DatabaseScheduler,
};

export const DEFAULT_SCHEDULER = 'DatabaseScheduler';

/**
 * The scheduler class `spec` names: a known name, or `MODULE#Export` where
 * MODULE is a path (relative to `cwd`, or absolute) or a package name, and
 * Export a named export (`default` for the default one). A class passes
 * through. Throws SchedulerError E_SCHEDULER_UNKNOWN or E_SCHEDULER_LOAD.
 */
export async function resolveScheduler(spec: string | SchedulerClass, cwd: string = process.cwd()): Promise<SchedulerClass> {
  if (typeof spec === 'function') return spec;
  const known = KNOWN_SCHEDULERS[spec];
  if (known) return known;
  const hash = spec.lastIndexOf('#');
  if (hash <= 0 || hash === spec.length - 1) {
    throw new SchedulerError(
      'E_SCHEDULER_UNKNOWN',
      `unknown scheduler "${spec}": use one of ${Object.keys(KNOWN_SCHEDULERS).join(', ')}, ` +
        'or your own class as ./path/to/module.js#ExportName',
    );
  }
  const specifier = spec.slice(0, hash);
  const exportName = spec.slice(hash + 1);
  let module: Record<string, unknown>;
  try {
    module = (await import(moduleUrl(specifier, cwd))) as Record<string, unknown>;
  } catch (error) {
    throw new SchedulerError('E_SCHEDULER_LOAD', `scheduler module "${specifier}" could not be loaded: ${firstLine(error)}`, {
      cause: error,
    });
  }
  const exported = module[exportName];
  if (exported === undefined) {
    const names = Object.keys(module).join(', ') || 'none';
    throw new SchedulerError('E_SCHEDULER_LOAD', `scheduler module "${specifier}" has no export "${exportName}" (it exports: ${names})`);
  }
  if (typeof exported !== 'function' || !isSchedulerClass(exported)) {
    throw new SchedulerError(
      'E_SCHEDULER_LOAD',
      `"${spec}" is not a scheduler class: export a class with start(), tick(now) and close() methods`,
    );
  }
  return exported as SchedulerClass;
}

function moduleUrl(specifier: string, cwd: string): string {
  if (specifier.startsWith('.') || isAbsolute(specifier)) return pathToFileURL(resolve(cwd, specifier)).href;
  // A package: resolved from the working directory, as the user's own code would.
  return pathToFileURL(createRequire(join(cwd, 'noop.js')).resolve(specifier)).href;
}

function isSchedulerClass(value: object): boolean {
  const prototype = (value as { prototype?: Record<string, unknown> }).prototype;
  return (
    prototype !== undefined &&
    typeof prototype.start === 'function' &&
    typeof prototype.tick === 'function' &&
    typeof prototype.close === 'function'
  );
}

const firstLine = (error: unknown): string => String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
