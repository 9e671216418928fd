/**
 * Table layouts: whose tables a database holds. `djcelery` is ours (made by
 * `prisma-celery migrate deploy`); `django` is django-celery-beat's and
 * django-celery-results' tables, which Django's own migrations make and own,
 * so we never migrate them: we check at start that what we use is there.
 */
import { ConfigError, PrismaCeleryError } from '../errors.js';
import type { SqlChannel } from './sql.js';
import type { Provider } from './url.js';

export const layouts = ['djcelery', 'django'] as const;
export type Layout = (typeof layouts)[number];

/** An API option's value as a Layout; undefined is the default, djcelery. */
export function layoutOption(value: unknown): Layout {
  if (value === undefined) return 'djcelery';
  if (typeof value === 'string' && (layouts as readonly string[]).includes(value)) return value as Layout;
  throw new ConfigError(`layout must be one of ${layouts.join(', ')}, got ${JSON.stringify(value)}`);
}

/** What a table layout needs: each table with the columns read or written. */
export type RequiredTables = Readonly<Record<string, readonly string[]>>;

/** One table short of what is required: the whole table, or some of its columns. */
export interface MissingTable {
  readonly table: string;
  /** Undefined when the table itself is missing. */
  readonly columns: readonly string[] | undefined;
}

/** Tables or columns a layout needs are missing; the message is one line naming them and `fix`. */
export class LayoutTablesError extends PrismaCeleryError {
  readonly missing: readonly MissingTable[];

  constructor(missing: readonly MissingTable[], fix: string) {
    const named = missing.map(({ table, columns }) => (columns === undefined ? `table ${table}` : `${table}.{${columns.join(', ')}}`));
    super('E_LAYOUT_TABLES', `missing ${named.join(', ')}: ${fix}`);
    this.missing = missing;
  }
}

/** The part of a Database the check uses. */
export interface TableLookup {
  readonly provider: Provider;
  readonly sql: SqlChannel;
}

/**
 * Throws a LayoutTablesError naming every required table and column the
 * database lacks (in the connection's own schema or database), with `fix`
 * as the way out; resolves when all are there.
 */
export async function checkTables(db: TableLookup, required: RequiredTables, fix: string): Promise<void> {
  const missing = missingTables(await columnsOf(db, Object.keys(required)), required);
  if (missing.length > 0) throw new LayoutTablesError(missing, fix);
}

/** What `required` names that `found` (table → its columns) lacks. Pure. */
export function missingTables(found: ReadonlyMap<string, ReadonlySet<string>>, required: RequiredTables): MissingTable[] {
  const missing: MissingTable[] = [];
  for (const [table, columns] of Object.entries(required)) {
    const have = found.get(table);
    if (have === undefined) {
      missing.push({ table, columns: undefined });
      continue;
    }
    const lacking = columns.filter((column) => !have.has(column));
    if (lacking.length > 0) missing.push({ table, columns: lacking });
  }
  return missing;
}

async function columnsOf(db: TableLookup, tables: readonly string[]): Promise<Map<string, Set<string>>> {
  const found = new Map<string, Set<string>>();
  if (tables.length === 0) return found;
  const marks = tables.map((_, i) => (db.provider === 'postgresql' ? `$${i + 1}` : '?')).join(', ');
  const statement = {
    sqlite: `SELECT m.name AS table_name, c.name AS column_name FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' AND m.name IN (${marks})`,
    postgresql: `SELECT table_name::text AS table_name, column_name::text AS column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name IN (${marks})`,
    mysql: `SELECT table_name AS table_name, column_name AS column_name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name IN (${marks})`,
  }[db.provider];
  const rows = await db.sql.query<{ table_name: string; column_name: string }>(statement, tables);
  for (const { table_name: table, column_name: column } of rows) {
    let columns = found.get(table);
    if (columns === undefined) found.set(table, (columns = new Set()));
    columns.add(column);
  }
  return found;
}
