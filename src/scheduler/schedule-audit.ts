// The audit trail of schedule changes (djcelery_periodictask_audit). The
// migration's triggers write it, whoever changes a periodic task, so raw
// SQL is recorded too; this module says who (in the change's own
// transaction), reads an entry's history and prunes old rows.
import type { Database } from '../db/open.js';
import { deleteInIdRanges, type RangeDeleteReport } from '../db/range-delete.js';

export type AuditAction = 'created' | 'changed' | 'enabled' | 'disabled' | 'deleted';

/** One change to a periodic task. */
export interface AuditEntry {
  readonly id: number;
  readonly at: Date;
  readonly periodicTaskId: number;
  /** The entry's name after the change (before it, for a deletion). */
  readonly name: string;
  readonly action: AuditAction;
  /** Who: an API caller's actor, `web:<label>`, `cli:<os user>`, `beat`, or `sql` when nobody said. */
  readonly actor: string;
  /** The fields that changed, as they were (every field for a deletion; null for a creation). */
  readonly before: Readonly<Record<string, unknown>> | null;
  /** The fields that changed, as they are now (every field for a creation; null for a deletion). */
  readonly after: Readonly<Record<string, unknown>> | null;
}

/** How long the trail keeps a change unless told otherwise: 90 days, in seconds. */
export const DEFAULT_AUDIT_RETENTION_S = 90 * 86_400;

/** The longest actor the table keeps (VARCHAR(255)); longer ones are cut. */
const MAX_ACTOR = 255;

/** A subset of a Prisma client: what runs inside an interactive transaction. */
interface RawRunner {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

/**
 * Runs `work` in one transaction that first names `actor` on the change
 * marker row (djcelery_periodictasks.actor), where the audit triggers read
 * it, and clears it before committing. Nobody else ever sees it set: the
 * update locks the marker row, which every change to a periodic task locks
 * too (SQLite: the one writer), so a concurrent writer, with another actor
 * or none, waits until this transaction has committed with the actor
 * cleared. On an error the transaction, and with it the actor, rolls back.
 * Only the task row's own write belongs in `work`: a failed statement
 * aborts a PostgreSQL transaction, so retries stay outside.
 */
export async function withActor<T>(db: Database, actor: string, work: (tx: Database['prisma']) => Promise<T>): Promise<T> {
  const setActor = `UPDATE djcelery_periodictasks SET actor = ${db.dialect.param(1)} WHERE ident = 1`;
  return db.prisma.$transaction(async (tx) => {
    const runner = tx as unknown as RawRunner;
    await runner.$executeRawUnsafe(setActor, actor.slice(0, MAX_ACTOR));
    const result = await work(tx as Database['prisma']);
    await runner.$executeRawUnsafe(setActor, null);
    return result;
  });
}

/** The recorded changes of the entry named `name`, oldest first: its id's, or, once deleted, its name's. */
export async function auditHistory(db: Database, name: string, options: { limit?: number } = {}): Promise<AuditEntry[]> {
  const limit = options.limit ?? 1000;
  const current = await db.prisma.periodicTask.findUnique({ where: { name }, select: { id: true } });
  const where = current === null ? { name } : { periodicTaskId: current.id };
  const rows = await db.prisma.periodicTaskAudit.findMany({ where, orderBy: { id: 'desc' }, take: limit });
  return rows.reverse().map((row) => ({
    id: row.id,
    at: row.changedAt,
    periodicTaskId: row.periodicTaskId,
    name: row.name,
    action: row.action as AuditAction,
    actor: row.actor,
    before: fieldsOf(row.before),
    after: fieldsOf(row.after),
  }));
}

/**
 * Deletes audit rows recorded before `before`, one batch of ids per
 * statement (src/db/range-delete.ts), so a large backlog never holds a
 * long lock. Beat calls it hourly; `prisma-celery cleanup` too.
 */
export function pruneAudit(db: Database, before: Date, batchSize = 5000): Promise<RangeDeleteReport> {
  const column = db.dialect.ident('changed_at');
  return deleteInIdRanges(db.sql, db.dialect, {
    table: 'djcelery_periodictask_audit',
    condition: `${column} < ${db.dialect.param(3)}`,
    params: [before],
    covers: [{ condition: `${column} < ${db.dialect.param(1)}`, params: [before] }],
  }, batchSize);
}

function fieldsOf(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Written by hand: shown as it is.
    return { unreadable: text };
  }
}
