/**
 * What the celery-node helpers need of a backend beyond its public API: a
 * wait that yields the meta (celery-node's get() settles on it itself) and
 * the backend's onEvent. Each backend registers both when constructed;
 * kept here, not on the classes, so they are not part of the public API.
 */
import { InvalidArgumentError } from './errors.js';
import type { TaskMeta } from './meta.js';
import type { BackendEvent } from './options.js';
import type { WaitOptions } from './wait.js';

export interface BackendHooks {
  /** The task's meta once ready, woken as waitFor() is. */
  readyMeta(taskId: string, options: WaitOptions): Promise<TaskMeta>;
  /** Hands an event to the backend's onEvent. */
  report(event: BackendEvent): void;
}

const hooks = new WeakMap<object, BackendHooks>();

export function registerHooks(backend: object, backendHooks: BackendHooks): void {
  hooks.set(backend, backendHooks);
}

export function readyMetaOf(backend: object, taskId: string, options: WaitOptions): Promise<TaskMeta> {
  const found = hooks.get(backend);
  if (found === undefined) return Promise.reject(new InvalidArgumentError('not a result backend of this package'));
  return found.readyMeta(taskId, options);
}

export function reportTo(backend: object, event: BackendEvent): void {
  hooks.get(backend)?.report(event);
}
