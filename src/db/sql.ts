/**
 * `db.sql`: raw statements sent straight to the driver adapter Prisma
 * connected, without the client's per-call work (parameter serialisation,
 * the query interpreter, result re-encoding). Measured here that halves a
 * one-row upsert or read on PostgreSQL and MySQL.
 *
 * Parameters are typed from their JS values the way Prisma's own raw calls
 * type them, so the adapters store exactly what Prisma would: a Date is a
 * `datetime` (ISO text with +00:00 on SQLite, UTC text on PostgreSQL and
 * MySQL). Rows come back as objects, with DateTime columns as Dates,
 * 64-bit integers as numbers (bigint beyond 2^53), booleans as booleans
 * (MySQL's TINYINT(1) stays a number, as through Prisma). It is made for
 * our tables' column types: DECIMAL and JSON columns (we have none) come
 * back as text directly but as Prisma decodes them on the fallback path.
 *
 * Without a captured adapter (a Database made with useDatabase around the
 * caller's client, or after the client disconnected) the same calls go
 * through Prisma's $queryRawUnsafe/$executeRawUnsafe, with rows normalised
 * to the same shapes. Errors: the adapter's DriverAdapterError (its `cause`
 * holds kind and code) on the direct path, Prisma's error wrapping the same
 * cause on the other; src/db/transient.ts reads both.
 */
import {
  ColumnTypeEnum,
  type ArgType,
  type ColumnType,
  type SqlDriverAdapter,
  type SqlQuery,
  type SqlResultSet,
} from '@prisma/driver-adapter-utils';

export type SqlParam = string | number | bigint | boolean | Date | null;
export type SqlRow = Record<string, unknown>;

export interface SqlChannel {
  /** Runs a statement that returns rows; each row is an object keyed by column name (or alias). */
  query<T extends object = SqlRow>(sql: string, params?: readonly SqlParam[]): Promise<T[]>;
  /** Runs a statement; resolves to the number of rows it changed. */
  execute(sql: string, params?: readonly SqlParam[]): Promise<number>;
}

/** Where open.ts keeps the adapter Prisma connected; undefined before connect and after dispose. */
export interface AdapterSlot {
  current: SqlDriverAdapter | undefined;
}

/** The part of a Prisma client the fallback path uses. */
export interface RawPrisma {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

export function sqlChannel(prisma: RawPrisma, slot: AdapterSlot, names?: StatementNames): SqlChannel {
  const build = (sql: string, params: readonly SqlParam[]): SqlQuery => {
    const query = sqlQuery(sql, params);
    names?.mark(query);
    return query;
  };
  return {
    async query<T extends object>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
      const adapter = slot.current;
      if (adapter === undefined) {
        const rows = await prisma.$queryRawUnsafe<SqlRow[]>(sql, ...params);
        return rows.map(normalisePrismaRow) as T[];
      }
      return rowsOf(await adapter.queryRaw(build(sql, params))) as T[];
    },
    execute(sql: string, params: readonly SqlParam[] = []): Promise<number> {
      const adapter = slot.current;
      if (adapter === undefined) return prisma.$executeRawUnsafe(sql, ...params);
      return adapter.executeRaw(build(sql, params));
    },
  };
}

/** Statements with more parameters than this (the coalesced multi-row upserts) are not kept prepared. */
const MAX_NAMED_PARAMS = 64;
/** Distinct statement texts named per process; later ones run unnamed. */
const MAX_NAMED_TEXTS = 500;

/**
 * Names for db.sql's own statements, given to PostgreSQL's adapter as its
 * statementNameGenerator: a named statement is parsed and planned once per
 * connection and then only bound and run, which more than doubled the
 * one-row upsert here. Prisma's own queries (marked by nothing) stay
 * unnamed, and so do big statements, whose plans would sit in every
 * connection's memory for little gain.
 */
export class StatementNames {
  readonly #ours = new WeakSet<SqlQuery>();
  readonly #names = new Map<string, string>();

  mark(query: SqlQuery): void {
    if (query.args.length <= MAX_NAMED_PARAMS) this.#ours.add(query);
  }

  /** The name to prepare `query` under, or undefined to run it unnamed. */
  nameOf(query: SqlQuery): string | undefined {
    if (!this.#ours.has(query)) return undefined;
    let name = this.#names.get(query.sql);
    if (name === undefined) {
      if (this.#names.size >= MAX_NAMED_TEXTS) return undefined;
      name = `prisma_celery_${this.#names.size + 1}`;
      this.#names.set(query.sql, name);
    }
    return name;
  }
}

const SCALAR = (scalarType: ArgType['scalarType']): ArgType => ({ scalarType, arity: 'scalar' });
const ARG_TYPES = {
  null: SCALAR('unknown'),
  string: SCALAR('string'),
  int: SCALAR('int'),
  float: SCALAR('float'),
  bigint: SCALAR('bigint'),
  boolean: SCALAR('boolean'),
  datetime: SCALAR('datetime'),
} as const;

/** The adapter's query: each parameter with the type its value says. Exported for tests. */
export function sqlQuery(sql: string, params: readonly SqlParam[]): SqlQuery {
  const args: unknown[] = new Array<unknown>(params.length);
  const argTypes: ArgType[] = new Array<ArgType>(params.length);
  for (let i = 0; i < params.length; i++) {
    const value = params[i];
    if (value === null || value === undefined) {
      args[i] = null;
      argTypes[i] = ARG_TYPES.null;
    } else if (typeof value === 'string') {
      args[i] = value;
      argTypes[i] = ARG_TYPES.string;
    } else if (typeof value === 'number') {
      args[i] = value;
      argTypes[i] = Number.isInteger(value) ? ARG_TYPES.int : ARG_TYPES.float;
    } else if (typeof value === 'boolean') {
      args[i] = value;
      argTypes[i] = ARG_TYPES.boolean;
    } else if (typeof value === 'bigint') {
      // As Prisma sends one: decimal text, which every adapter turns back into what its driver takes.
      args[i] = value.toString();
      argTypes[i] = ARG_TYPES.bigint;
    } else if (value instanceof Date) {
      if (Number.isNaN(value.getTime())) throw new TypeError(`SQL parameter ${i + 1} is an invalid Date`);
      args[i] = value;
      argTypes[i] = ARG_TYPES.datetime;
    } else {
      throw new TypeError(`SQL parameter ${i + 1} is a ${typeof value}; use a string, number, bigint, boolean, Date or null`);
    }
  }
  return { sql, args, argTypes };
}

/** The adapter's column-major result as row objects. Exported for tests. */
export function rowsOf(result: SqlResultSet): SqlRow[] {
  const { columnNames, columnTypes, rows } = result;
  const width = columnNames.length;
  const out = new Array<SqlRow>(rows.length);
  // Each row a copy of one shape with every column in place: adding the
  // columns one by one would grow each row's property store again and
  // again, most of the garbage a big read makes.
  const shape: SqlRow = {};
  for (const name of columnNames) shape[name] = null;
  for (let r = 0; r < rows.length; r++) {
    const values = rows[r] as unknown[];
    const row: SqlRow = { ...shape };
    for (let c = 0; c < width; c++) row[columnNames[c] as string] = decode(values[c], columnTypes[c]);
    out[r] = row;
  }
  return out;
}

/** One value as the adapters hand it over (text for dates and 64-bit integers) to its JS value. */
function decode(value: unknown, type: ColumnType | undefined): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case ColumnTypeEnum.DateTime:
    case ColumnTypeEnum.Date:
      return typeof value === 'string' || typeof value === 'number' ? new Date(value) : value;
    case ColumnTypeEnum.Int64:
      return integer(value);
    case ColumnTypeEnum.Boolean:
      // SQLite hands its BOOLEAN columns over as 0 and 1.
      return typeof value === 'boolean' ? value : value === 1 || value === '1' || value === 'true';
    default:
      return value;
  }
}

/** A 64-bit integer as a number when exact, else a bigint. */
function integer(value: unknown): unknown {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
  if (typeof value === 'string') {
    const number = Number(value);
    return Number.isSafeInteger(number) ? number : BigInt(value);
  }
  return value;
}

/** Prisma's raw rows in the direct path's shapes: 64-bit integers as numbers when exact. */
function normalisePrismaRow(row: SqlRow): SqlRow {
  for (const key of Object.keys(row)) {
    const value = row[key];
    if (typeof value === 'bigint') row[key] = integer(value);
  }
  return row;
}
