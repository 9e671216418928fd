// `prisma-celery schedule history NAME`: the entry's recorded changes, one
// line each (time, who, action, field: before → after), or --json.
import { userInfo } from 'node:os';
import type { AuditEntry } from '../../scheduler/schedule-audit.js';
import type { PeriodicTaskStore } from '../../scheduler/periodic-tasks.js';

/** Who the audit trail names for changes made here: the OS user. */
export function cliActor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    // No passwd entry (some containers): the variable, if any.
    return `cli:${process.env.USER ?? process.env.USERNAME ?? 'unknown'}`;
  }
}

export async function history(store: PeriodicTaskStore, name: string, json: boolean, out: (line: string) => void): Promise<number> {
  const entries = await store.history(name);
  if (json) {
    out(JSON.stringify(entries.map((entry) => ({ ...entry, at: entry.at.toISOString() }))));
    return 0;
  }
  if (entries.length === 0) {
    out(`No recorded changes of ${name}.`);
    return 0;
  }
  for (const entry of entries) out(historyLine(entry));
  return 0;
}

/** One change as a line. Pure. */
export function historyLine(entry: AuditEntry): string {
  return [entry.at.toISOString(), entry.actor, entry.action, changesText(entry)].join('  ').trimEnd();
}

function changesText({ action, before, after }: AuditEntry): string {
  // A creation or deletion shows the entry as it was made or as it was,
  // leaving out fields that are empty or off.
  if (action === 'created' || action === 'deleted') {
    const fields = (action === 'created' ? after : before) ?? {};
    return Object.entries(fields)
      .filter(([key, value]) => key !== 'name' && !isBlank(value))
      .map(([key, value]) => `${key}: ${valueText(value)}`)
      .join('; ');
  }
  return Object.keys(after ?? {})
    .map((key) => `${key}: ${valueText(before?.[key])} → ${valueText(after?.[key])}`)
    .join('; ');
}

const isBlank = (value: unknown): boolean =>
  value === null || value === undefined || value === false || value === '' || value === '{}' || value === '[]';

// Text as it is, but an empty one visible.
const valueText = (value: unknown): string =>
  value === null || value === undefined ? '-' : typeof value === 'string' && value !== '' ? value : JSON.stringify(value);
