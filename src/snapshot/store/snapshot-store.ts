/**
 * Writes a snapshot's rows to djcelery_workerstate and djcelery_taskstate:
 * the thin I/O adapter around the statements of upsert-sql.ts.
 *
 * Workers first (their ids are what task rows point at), then tasks sorted
 * by id (one lock order for every writer), up to `rowsPerStatement` rows
 * in one statement that carries them as one JSON parameter (upsert-sql.ts;
 * on MySQL fewer when max_allowed_packet says so), on PostgreSQL two
 * statements at a time. Each statement commits alone, which bounds how
 * long one holds row locks. A failure never loses rows: what was not
 * committed comes back as `unwritten` for the caller to hand back to the
 * cluster state. When a statement fails with an error
 * that is not a transient one (busy, deadlock, lost connection) while the
 * database still answers, the fault is in the rows (or a stale worker id):
 * the statement's rows are retried in halves until the one row that
 * cannot be stored is found and reported as rejected, so a single bad row
 * never blocks every later snapshot.
 */
import type { Database } from '../../db/open.js';
import { isTransient } from '../../db/transient.js';
import type { TaskRow, WorkerRow } from '../state/rows.js';
import { sanitizeTasks, sanitizeWorker } from './sanitize.js';
import {
  taskRowsJson,
  taskUpsertSql,
  workerEnsure,
  workerIds,
  workerUpsert,
  type Statement,
} from './upsert-sql.js';

export interface SnapshotStoreOptions {
  /** Task rows per statement (each its own transaction); default 5000. Bounds how long one statement holds row locks. */
  rowsPerStatement?: number;
}

export interface RejectedRow {
  taskId: string;
  reason: 'task-id-too-long' | 'database-refused';
  error?: unknown;
}

export interface WriteOutcome {
  tasksWritten: number;
  workersWritten: number;
  /** Rows not committed because the database failed; hand them back and write them later. */
  unwritten: { tasks: TaskRow[]; workers: WorkerRow[] };
  /** Rows that can never be stored; dropped, and counted by the caller. */
  rejected: RejectedRow[];
  /** The error that left rows unwritten, or null. */
  error: unknown;
}

/** What became of one statement's rows. */
interface SliceResult {
  written: number;
  rejected: RejectedRow[];
  /** Not committed because the database failed with `error`. */
  unwritten: TaskRow[];
  error: unknown;
}

const WORKERS_PER_STATEMENT = 1000;
/**
 * PostgreSQL task statements of one snapshot in flight at once, each on a
 * connection of its own: two let the database use a second core while the
 * camera is behind, when a snapshot spans several statements. Their rows
 * are distinct tasks and PostgreSQL locks only the keys a statement
 * writes, so they never wait for each other; a snapshot still ends before
 * the next begins. One at a time elsewhere: SQLite has one connection, and
 * InnoDB's gap locks let upserts of neighbouring key ranges deadlock.
 */
const POSTGRES_STATEMENTS_AT_ONCE = 2;
/** Of MySQL's max_allowed_packet, what one statement's JSON may take: the rest is the SQL and the protocol's framing. */
const PACKET_SHARE = 0.9;

export class SnapshotStore {
  private readonly rowsPerStatement: number;
  private readonly taskSql: string;
  /** MySQL's max_allowed_packet in bytes, asked once. */
  private packetBytes: number | null = null;
  /** Stored hostname → workerstate id. Cleared when a write fails in a way a stale id could explain. */
  private readonly workerIdCache = new Map<string, number>();

  constructor(
    private readonly db: Database,
    options: SnapshotStoreOptions = {},
  ) {
    this.rowsPerStatement = options.rowsPerStatement ?? 5000;
    this.taskSql = taskUpsertSql(db.dialect);
  }

  /** True when the database answers a trivial query. */
  async ping(): Promise<boolean> {
    try {
      await this.db.prisma.$queryRawUnsafe('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  /** A failure to wait out (busy, deadlock, connection lost) rather than rows to blame. */
  private async unavailable(error: unknown): Promise<boolean> {
    return isTransient(error) || !(await this.ping());
  }

  async write(tasks: readonly TaskRow[], workers: readonly WorkerRow[]): Promise<WriteOutcome> {
    const provider = this.db.provider;
    const { rows, rejected: refused } = sanitizeTasks(tasks, provider);
    const outcome: WriteOutcome = {
      tasksWritten: 0,
      workersWritten: 0,
      unwritten: { tasks: [], workers: [] },
      rejected: refused.map(({ row, problem }) => ({ taskId: row.taskId, reason: problem })),
      error: null,
    };
    const workerRows = dedupe(workers.map((w) => sanitizeWorker(w, provider)), (w) => w.hostname);
    try {
      await this.writeWorkers(workerRows, rows);
      outcome.workersWritten = workerRows.length;
    } catch (error) {
      this.workerIdCache.clear();
      outcome.error = error;
      outcome.unwritten = { tasks: [...tasks], workers: [...workers] };
      return outcome;
    }
    const sorted = dedupe(rows, (r) => r.taskId).sort((a, b) => (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0));
    const slices: TaskRow[][] = [];
    for (let start = 0; start < sorted.length; start += this.rowsPerStatement) slices.push(sorted.slice(start, start + this.rowsPerStatement));
    // Statements run `lanes` at a time; once one finds the database unavailable, no lane starts another.
    const results: (SliceResult | undefined)[] = new Array(slices.length);
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < slices.length && !results.some((result) => result !== undefined && result.error !== null)) {
        const index = next++;
        results[index] = await this.writeSlice(slices[index] as TaskRow[]);
      }
    };
    const lanes = this.db.provider === 'postgresql' ? POSTGRES_STATEMENTS_AT_ONCE : 1;
    await Promise.all(Array.from({ length: Math.min(lanes, slices.length) }, lane));
    slices.forEach((slice, index) => {
      const result = results[index];
      if (result === undefined) {
        outcome.unwritten.tasks.push(...slice);
        return;
      }
      outcome.tasksWritten += result.written;
      outcome.rejected.push(...result.rejected);
      outcome.unwritten.tasks.push(...result.unwritten);
      if (outcome.error === null) outcome.error = result.error;
    });
    return outcome;
  }

  /** One statement's rows; when the database answers but refuses them, the rows that cannot be stored are found. */
  private async writeSlice(slice: readonly TaskRow[]): Promise<SliceResult> {
    try {
      // Another statement may have found a stale worker id and cleared the cache meanwhile.
      if (slice.some((row) => row.worker !== null && !this.workerIdCache.has(row.worker))) await this.writeWorkers([], slice);
      await this.writeTasks(slice);
      return { written: slice.length, rejected: [], unwritten: [], error: null };
    } catch (error) {
      if (await this.unavailable(error)) return { written: 0, rejected: [], unwritten: [...slice], error };
    }
    // The database answers: the rows (or a cached worker id) are at fault.
    this.workerIdCache.clear();
    return this.isolate(slice);
  }

  /** Upserts changed workers and learns the id of every worker a task row names. */
  private async writeWorkers(workers: readonly WorkerRow[], tasks: readonly TaskRow[]): Promise<void> {
    const dialect = this.db.dialect;
    const statements: Statement[] = [];
    for (let i = 0; i < workers.length; i += WORKERS_PER_STATEMENT) {
      statements.push(workerUpsert(dialect, workers.slice(i, i + WORKERS_PER_STATEMENT)));
    }
    const unknown = new Set<string>();
    for (const w of workers) if (!this.workerIdCache.has(w.hostname)) unknown.add(w.hostname);
    for (const t of tasks) if (t.worker !== null && !this.workerIdCache.has(t.worker)) unknown.add(t.worker);
    const missing = [...unknown];
    const lookups: Statement[] = [];
    for (let i = 0; i < missing.length; i += WORKERS_PER_STATEMENT) {
      const chunk = missing.slice(i, i + WORKERS_PER_STATEMENT);
      statements.push(workerEnsure(dialect, chunk));
      lookups.push(workerIds(dialect, chunk));
    }
    // Each statement alone, without a transaction: in the steady state (every id known) that is one
    // round trip instead of begin, upsert, commit. A row the upsert or ensure left is what the lookup finds.
    for (const statement of statements) await this.db.sql.execute(statement.sql, statement.params);
    for (const lookup of lookups) {
      const found = await this.db.sql.query<{ id: number | bigint; hostname: string }>(lookup.sql, lookup.params);
      for (const { id, hostname } of found) this.workerIdCache.set(hostname, Number(id));
    }
  }

  /** Rows are sanitized: `worker` is already the stored hostname. */
  private workerIdOf = (row: TaskRow): number | null => (row.worker === null ? null : (this.workerIdCache.get(row.worker) ?? null));

  /**
   * The rows as one statement, split in halves while MySQL's packet cannot
   * carry it. Each statement is atomic alone; rows of one that fails after
   * another committed are written again by the next snapshot, which the
   * precedence guard makes harmless.
   */
  private async writeTasks(rows: readonly TaskRow[]): Promise<void> {
    const json = taskRowsJson(this.db.provider, rows, this.workerIdOf);
    if (this.db.provider === 'mysql' && rows.length > 1 && Buffer.byteLength(json) > (await this.maxPacket()) * PACKET_SHARE) {
      const half = Math.ceil(rows.length / 2);
      await this.writeTasks(rows.slice(0, half));
      await this.writeTasks(rows.slice(half));
      return;
    }
    await this.db.sql.execute(this.taskSql, [json]);
  }

  private async maxPacket(): Promise<number> {
    if (this.packetBytes === null) {
      const [row] = await this.db.sql.query<{ bytes: number | bigint | string }>('SELECT @@max_allowed_packet AS bytes');
      this.packetBytes = Number(row?.bytes ?? 4 * 2 ** 20);
    }
    return this.packetBytes;
  }

  /** Writes `rows` in ever smaller parts until each failing row stands alone. */
  private async isolate(rows: readonly TaskRow[]): Promise<SliceResult> {
    const result: SliceResult = { written: 0, rejected: [], unwritten: [], error: null };
    const pending: (readonly TaskRow[])[] = [rows];
    while (pending.length > 0) {
      const part = pending.shift() as readonly TaskRow[];
      try {
        if (part.some((row) => row.worker !== null && !this.workerIdCache.has(row.worker))) await this.writeWorkers([], part);
        await this.writeTasks(part);
        result.written += part.length;
        continue;
      } catch (error) {
        if (await this.unavailable(error)) {
          result.error = error;
          result.unwritten = [...part, ...pending.flat()];
          return result;
        }
        const [only] = part;
        if (part.length === 1 && only !== undefined) {
          result.rejected.push({ taskId: only.taskId, reason: 'database-refused', error });
          continue;
        }
        const half = Math.ceil(part.length / 2);
        pending.unshift(part.slice(0, half), part.slice(half));
      }
    }
    return result;
  }
}

/** The last of each key wins, in first-seen order. */
function dedupe<T>(items: readonly T[], key: (item: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const item of items) byKey.set(key(item), item);
  return byKey.size === items.length ? [...items] : [...byKey.values()];
}
