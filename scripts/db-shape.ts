// The shape of a migrated database, in one vocabulary for all providers:
// tables, columns (type, nullability, default), primary key, indexes and
// foreign keys. Used by tests/integration/schema-shape.test.ts to prove
// the three migration histories build the same tables, and by hand when
// writing a MySQL migration:
//
//   npx tsx scripts/db-shape.ts <database-url>      # prints the shape as JSON
//
// Read straight from the catalogs with the plain drivers (pg, mariadb,
// better-sqlite3), not through the code under test. `_prisma_migrations` is
// left out.
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import mariadb from 'mariadb';
import pg from 'pg';
import { parseDatabaseUrl, type DatabaseTarget } from '../src/db/url.js';

/**
 * The common column vocabulary. `varchar255` is an identifier column
 * compared byte for byte, as PostgreSQL and SQLite compare text: on MySQL a
 * VARCHAR(255) counts only with a binary collation that does not pad
 * (Prisma has no attribute for collations, so this is where it is checked).
 */
export type ColumnType = 'text' | 'varchar255' | 'int' | 'float' | 'bool' | 'timestamp' | `other:${string}`;

export interface ColumnShape {
  type: ColumnType;
  nullable: boolean;
  /** Normalised: 'abc' for strings, 0, false, now(); null when none (or a sequence). */
  default: string | null;
}

export interface IndexShape {
  name: string;
  columns: string[];
  unique: boolean;
}

export interface ForeignKeyShape {
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
  onDelete: string;
  onUpdate: string;
}

export interface TableShape {
  columns: Record<string, ColumnShape>;
  primaryKey: string[];
  /** Sorted by name; the primary key's own index is not listed. */
  indexes: IndexShape[];
  foreignKeys: ForeignKeyShape[];
}

export type SchemaShape = Record<string, TableShape>;

const MIGRATIONS_TABLE = '_prisma_migrations';

export async function readShape(url: string): Promise<SchemaShape> {
  const target = parseDatabaseUrl(url);
  switch (target.provider) {
    case 'sqlite':
      return sqliteShape(target.file);
    case 'postgresql':
      return postgresShape(target);
    case 'mysql':
      return mysqlShape(target);
  }
}

/** Turns a raw default into the common form (see ColumnShape.default). */
export function normaliseDefault(raw: string | null | undefined, type: ColumnType): string | null {
  if (raw == null) return null;
  let value = raw.trim();
  if (/^nextval\(/i.test(value)) return null;
  value = value.replace(/^\((.*)\)$/s, '$1').replace(/::[a-z ]+(\(\d+\))?$/i, '');
  if (/^current_timestamp(\(\d*\))?$|^now\(\)$/i.test(value)) return 'now()';
  if (type === 'bool') {
    if (/^(1|true|b'1')$/i.test(value)) return 'true';
    if (/^(0|false|b'0')$/i.test(value)) return 'false';
  }
  const quoted = /^'(.*)'$/s.exec(value);
  if (quoted) return `'${(quoted[1] ?? '').replace(/''/g, "'")}'`;
  return value;
}

const sortIndexes = (indexes: IndexShape[]): IndexShape[] => [...indexes].sort((a, b) => a.name.localeCompare(b.name));
const sortFks = (fks: ForeignKeyShape[]): ForeignKeyShape[] => [...fks].sort((a, b) => a.name.localeCompare(b.name));
const action = (rule: string): string => rule.toUpperCase().replace(/_/g, ' ');

function sqliteType(declared: string): ColumnType {
  switch (declared.toUpperCase()) {
    case 'INTEGER':
      return 'int';
    case 'TEXT':
      return 'text';
    case 'REAL':
      return 'float';
    case 'BOOLEAN':
      return 'bool';
    case 'DATETIME':
      return 'timestamp';
    default:
      return `other:${declared}`;
  }
}

function sqliteShape(file: string): SchemaShape {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const shape: SchemaShape = {};
    const tables = db
      .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ?`)
      .all(MIGRATIONS_TABLE) as { name: string; sql: string }[];
    for (const { name, sql } of tables) {
      const q = `"${name.replace(/"/g, '""')}"`;
      const info = db.prepare(`PRAGMA table_info(${q})`).all() as {
        name: string;
        type: string;
        notnull: number;
        dflt_value: string | null;
        pk: number;
      }[];
      const columns: Record<string, ColumnShape> = {};
      for (const c of info) {
        const type = sqliteType(c.type);
        columns[c.name] = { type, nullable: c.notnull === 0 && c.pk === 0, default: normaliseDefault(c.dflt_value, type) };
      }
      const primaryKey = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
      const indexes = (db.prepare(`PRAGMA index_list(${q})`).all() as { name: string; unique: number; origin: string }[])
        .filter((i) => i.origin !== 'pk')
        .map((i) => ({
          name: i.name,
          unique: i.unique === 1,
          columns: (db.prepare(`PRAGMA index_info("${i.name.replace(/"/g, '""')}")`).all() as { seqno: number; name: string }[])
            .sort((a, b) => a.seqno - b.seqno)
            .map((c) => c.name),
        }));
      const fkRows = db.prepare(`PRAGMA foreign_key_list(${q})`).all() as {
        id: number;
        seq: number;
        table: string;
        from: string;
        to: string;
        on_update: string;
        on_delete: string;
      }[];
      // PRAGMA foreign_key_list has no names; they are in the CREATE TABLE text.
      const names = new Map<string, string>();
      for (const m of sql.matchAll(/CONSTRAINT\s+"([^"]+)"\s+FOREIGN KEY\s*\(([^)]*)\)/gi)) {
        names.set((m[2] ?? '').replace(/["\s]/g, ''), m[1] ?? '');
      }
      const byId = new Map<number, typeof fkRows>();
      for (const row of fkRows) byId.set(row.id, [...(byId.get(row.id) ?? []), row]);
      const foreignKeys = [...byId.values()].map((rows) => {
        const ordered = rows.sort((a, b) => a.seq - b.seq);
        const first = ordered[0]!;
        const cols = ordered.map((r) => r.from);
        return {
          name: names.get(cols.join(',')) ?? `(unnamed ${cols.join(',')})`,
          columns: cols,
          referencedTable: first.table,
          referencedColumns: ordered.map((r) => r.to),
          onDelete: action(first.on_delete),
          onUpdate: action(first.on_update),
        };
      });
      shape[name] = { columns, primaryKey, indexes: sortIndexes(indexes), foreignKeys: sortFks(foreignKeys) };
    }
    return shape;
  } finally {
    db.close();
  }
}

function postgresType(dataType: string, length: number | null): ColumnType {
  switch (dataType) {
    case 'integer':
      return 'int';
    case 'text':
      return 'text';
    case 'character varying':
      return length === 255 ? 'varchar255' : `other:varchar(${length})`;
    case 'double precision':
      return 'float';
    case 'boolean':
      return 'bool';
    case 'timestamp with time zone':
      return 'timestamp';
    default:
      return `other:${dataType}`;
  }
}

const PG_ACTIONS: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

async function postgresShape(target: Extract<DatabaseTarget, { provider: 'postgresql' }>): Promise<SchemaShape> {
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    const schema = target.schema;
    const shape: SchemaShape = {};
    const columns = await client.query<{
      table_name: string;
      column_name: string;
      data_type: string;
      character_maximum_length: number | null;
      is_nullable: string;
      column_default: string | null;
    }>(
      `SELECT table_name, column_name, data_type, character_maximum_length, is_nullable, column_default
       FROM information_schema.columns c
       WHERE table_schema = $1 AND table_name <> $2
         AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE')
       ORDER BY table_name, ordinal_position`,
      [schema, MIGRATIONS_TABLE],
    );
    for (const c of columns.rows) {
      const table = (shape[c.table_name] ??= { columns: {}, primaryKey: [], indexes: [], foreignKeys: [] });
      const type = postgresType(c.data_type, c.character_maximum_length);
      table.columns[c.column_name] = { type, nullable: c.is_nullable === 'YES', default: normaliseDefault(c.column_default, type) };
    }
    const indexes = await client.query<{ table: string; name: string; unique: boolean; primary: boolean; columns: string[] }>(
      `SELECT t.relname AS table, i.relname AS name, ix.indisunique AS unique, ix.indisprimary AS primary,
              array_agg(a.attname::text ORDER BY k.ord) AS columns
       FROM pg_index ix
       JOIN pg_class t ON t.oid = ix.indrelid
       JOIN pg_class i ON i.oid = ix.indexrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
       WHERE n.nspname = $1 AND t.relname <> $2
       GROUP BY t.relname, i.relname, ix.indisunique, ix.indisprimary`,
      [schema, MIGRATIONS_TABLE],
    );
    for (const i of indexes.rows) {
      const table = shape[i.table];
      if (!table) continue;
      if (i.primary) table.primaryKey = i.columns;
      else table.indexes.push({ name: i.name, columns: i.columns, unique: i.unique });
    }
    const fks = await client.query<{
      table: string;
      name: string;
      columns: string[];
      referenced_table: string;
      referenced_columns: string[];
      on_delete: string;
      on_update: string;
    }>(
      `SELECT t.relname AS table, con.conname AS name, rt.relname AS referenced_table,
              con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update,
              (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
              (SELECT array_agg(a.attname::text ORDER BY k.ord) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS referenced_columns
       FROM pg_constraint con
       JOIN pg_class t ON t.oid = con.conrelid
       JOIN pg_class rt ON rt.oid = con.confrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
       WHERE con.contype = 'f' AND n.nspname = $1`,
      [schema],
    );
    for (const f of fks.rows) {
      shape[f.table]?.foreignKeys.push({
        name: f.name,
        columns: f.columns,
        referencedTable: f.referenced_table,
        referencedColumns: f.referenced_columns,
        onDelete: PG_ACTIONS[f.on_delete] ?? f.on_delete,
        onUpdate: PG_ACTIONS[f.on_update] ?? f.on_update,
      });
    }
    for (const table of Object.values(shape)) {
      table.indexes = sortIndexes(table.indexes);
      table.foreignKeys = sortFks(table.foreignKeys);
    }
    return shape;
  } finally {
    await client.end();
  }
}

/** MariaDB's and MySQL 8's names for utf8mb4 compared byte for byte, trailing spaces included. */
export const MYSQL_EXACT_COLLATIONS: ReadonlySet<string> = new Set(['utf8mb4_nopad_bin', 'utf8mb4_0900_bin']);

function mysqlType(dataType: string, columnType: string, length: number | null, collation: string | null): ColumnType {
  switch (dataType.toLowerCase()) {
    case 'int':
      return 'int';
    case 'longtext':
      return 'text';
    case 'varchar':
      if (length !== 255) return `other:varchar(${length})`;
      return collation !== null && MYSQL_EXACT_COLLATIONS.has(collation) ? 'varchar255' : `other:varchar(255) collate ${collation}`;
    case 'double':
      return 'float';
    case 'tinyint':
      return columnType.toLowerCase() === 'tinyint(1)' ? 'bool' : 'other:tinyint';
    case 'datetime':
      return columnType.toLowerCase() === 'datetime(3)' ? 'timestamp' : `other:${columnType}`;
    default:
      return `other:${columnType}`;
  }
}

async function mysqlShape(target: Extract<DatabaseTarget, { provider: 'mysql' }>): Promise<SchemaShape> {
  const conn = await mariadb.createConnection({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password,
    database: target.database,
  });
  try {
    const shape: SchemaShape = {};
    const columns = (await conn.query(
      `SELECT c.TABLE_NAME AS t, c.COLUMN_NAME AS name, c.DATA_TYPE AS dataType, c.COLUMN_TYPE AS columnType,
              c.CHARACTER_MAXIMUM_LENGTH AS length, c.IS_NULLABLE AS nullable, c.COLUMN_DEFAULT AS dflt,
              c.COLLATION_NAME AS collation
       FROM information_schema.COLUMNS c
       JOIN information_schema.TABLES tb ON tb.TABLE_SCHEMA = c.TABLE_SCHEMA AND tb.TABLE_NAME = c.TABLE_NAME
       WHERE c.TABLE_SCHEMA = DATABASE() AND tb.TABLE_TYPE = 'BASE TABLE' AND c.TABLE_NAME <> ?
       ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
      [MIGRATIONS_TABLE],
    )) as {
      t: string;
      name: string;
      dataType: string;
      columnType: string;
      length: number | bigint | null;
      nullable: string;
      dflt: string | null;
      collation: string | null;
    }[];
    for (const c of columns) {
      const table = (shape[c.t] ??= { columns: {}, primaryKey: [], indexes: [], foreignKeys: [] });
      const type = mysqlType(c.dataType, c.columnType, c.length == null ? null : Number(c.length), c.collation);
      // MariaDB reports "no default" of a nullable column as the text NULL.
      const raw = c.dflt === 'NULL' ? null : c.dflt;
      table.columns[c.name] = { type, nullable: c.nullable === 'YES', default: normaliseDefault(raw, type) };
    }
    const stats = (await conn.query(
      `SELECT TABLE_NAME AS t, INDEX_NAME AS name, NON_UNIQUE AS nonUnique, COLUMN_NAME AS col, SEQ_IN_INDEX AS seq
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME <> ?
       ORDER BY TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX`,
      [MIGRATIONS_TABLE],
    )) as { t: string; name: string; nonUnique: number | bigint | string; col: string }[];
    for (const s of stats) {
      const table = shape[s.t];
      if (!table) continue;
      if (s.name === 'PRIMARY') {
        table.primaryKey.push(s.col);
        continue;
      }
      let index = table.indexes.find((i) => i.name === s.name);
      if (!index) table.indexes.push((index = { name: s.name, columns: [], unique: Number(s.nonUnique) === 0 }));
      index.columns.push(s.col);
    }
    const fks = (await conn.query(
      `SELECT k.TABLE_NAME AS t, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col, k.REFERENCED_TABLE_NAME AS refTable,
              k.REFERENCED_COLUMN_NAME AS refCol, r.DELETE_RULE AS onDelete, r.UPDATE_RULE AS onUpdate
       FROM information_schema.KEY_COLUMN_USAGE k
       JOIN information_schema.REFERENTIAL_CONSTRAINTS r
         ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME AND r.TABLE_NAME = k.TABLE_NAME
       WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
       ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    )) as { t: string; name: string; col: string; refTable: string; refCol: string; onDelete: string; onUpdate: string }[];
    for (const f of fks) {
      const table = shape[f.t];
      if (!table) continue;
      let fk = table.foreignKeys.find((x) => x.name === f.name);
      if (!fk) {
        fk = { name: f.name, columns: [], referencedTable: f.refTable, referencedColumns: [], onDelete: action(f.onDelete), onUpdate: action(f.onUpdate) };
        table.foreignKeys.push(fk);
      }
      fk.columns.push(f.col);
      fk.referencedColumns.push(f.refCol);
    }
    for (const table of Object.values(shape)) {
      table.indexes = sortIndexes(table.indexes);
      table.foreignKeys = sortFks(table.foreignKeys);
    }
    return shape;
  } finally {
    await conn.end();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.argv[2];
  if (!url) {
    console.error('usage: npx tsx scripts/db-shape.ts <database-url>');
    process.exit(2);
  }
  console.log(JSON.stringify(await readShape(url), null, 2));
}
