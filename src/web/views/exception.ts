/**
 * How djcelery's task_status shows a stored exception: `exc` is the full
 * class name (`get_full_cls_name`) and `result` its repr. Pure.
 */
import { saferepr, type JsonValue } from '../../core/protocol/index.js';

/** `{exc_type, exc_message, exc_module}` as Celery stores exceptions; anything else reads as a bare Exception. */
function exceptionParts(result: unknown): { type: string; args: unknown[]; module: string | null } {
  if (typeof result === 'object' && result !== null && typeof (result as { exc_type?: unknown }).exc_type === 'string') {
    const info = result as { exc_type: string; exc_message?: unknown; exc_module?: unknown };
    const message = info.exc_message;
    return {
      type: info.exc_type,
      args: Array.isArray(message) ? message : message === undefined || message === null ? [] : [message],
      module: typeof info.exc_module === 'string' && info.exc_module !== '' ? info.exc_module : null,
    };
  }
  return { type: 'Exception', args: result === null || result === undefined ? [] : [result], module: null };
}

/** `builtins.KeyError`, `javascript.TypeError`, or the bare name when no module was stored. */
export function exceptionClassName(result: unknown): string {
  const { type, module } = exceptionParts(result);
  return module === null ? type : `${module}.${type}`;
}

/** Python's repr of the exception: `KeyError('missing')`, `ValueError(1, 'two')`. */
export function exceptionRepr(result: unknown): string {
  const { type, args } = exceptionParts(result);
  return `${type}(${args.map((arg) => saferepr(arg as JsonValue)).join(', ')})`;
}
