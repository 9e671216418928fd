/**
 * JSON values as Python text, the way Celery's saferepr writes a task's
 * arguments for its extended results (`argsrepr`, `kwargsrepr`): None,
 * True/False, strings in single quotes with only `'` escaped, lists and
 * dicts. Pure.
 *
 * Celery also cuts its text at 1024 characters and three levels of nesting;
 * this does not, so nothing stored is lost.
 */
export function pythonRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value.replaceAll("'", "\\'")}'`;
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const items = Object.entries(value).map(([key, item]) => `${pythonRepr(key)}: ${pythonRepr(item)}`);
    return `{${items.join(', ')}}`;
  }
  return pythonRepr(String(value));
}
