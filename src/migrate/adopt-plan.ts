// What `migrate adopt` must do to bring a django-celery database up to our
// first migration (`init`), worked out from init's own SQL text and from
// what the database holds. No I/O here: adopt.ts reads the database and
// runs the plan.
import type { Provider } from '../db/url.js';
import { MigrationError } from '../errors.js';
import { splitMysqlStatements } from './sql-statements.js';

export interface InitColumn {
  name: string;
  /** The column's whole definition as init writes it, ready for ADD COLUMN. */
  definition: string;
  kind: ColumnKind;
  /** NOT NULL without a DEFAULT (and not the key): cannot be added to a table with rows. */
  needsValue: boolean;
}

export interface InitTable {
  name: string;
  create: string;
  columns: InitColumn[];
}

/** An index or foreign key init creates, by name. */
export interface InitObject {
  name: string;
  table: string;
  sql: string;
}

export interface InitSchema {
  tables: InitTable[];
  indexes: InitObject[];
  foreignKeys: InitObject[];
}

export type ColumnKind = 'text' | 'integer' | 'boolean' | 'datetime' | 'real';

/** What adopt found in the database. */
export interface ExistingSchema {
  /** Table name → its columns (name → type as the database reports it). */
  tables: Map<string, Map<string, string>>;
  /** Tables holding at least one row. */
  nonEmpty: Set<string>;
  indexes: Set<string>;
  foreignKeys: Set<string>;
}

const unquote = (name: string): string => name.replace(/^["`]|["`]$/g, '');

/** Splits init's migration.sql into its tables, indexes and foreign keys. */
export function parseInit(provider: Provider, script: string): InitSchema {
  const statements = splitMysqlStatements(script);
  const tables: InitTable[] = [];
  const indexes: InitObject[] = [];
  const foreignKeys: InitObject[] = [];
  for (const statement of statements) {
    const sql = statement.replace(/^(--[^\n]*\n\s*)+/, '').trim();
    const table = /^CREATE TABLE\s+([`"]?\w+[`"]?)\s*\(([\s\S]*)\)[^)]*$/i.exec(sql);
    if (table) {
      const name = unquote(table[1] ?? '');
      const columns: InitColumn[] = [];
      for (const line of (table[2] ?? '').split('\n').map((l) => l.trim().replace(/,$/, ''))) {
        const mysqlIndex = /^(UNIQUE\s+)?INDEX\s+`(\w+)`(\(.*\))$/i.exec(line);
        if (mysqlIndex) {
          const unique = mysqlIndex[1] ? 'UNIQUE ' : '';
          indexes.push({ name: mysqlIndex[2] ?? '', table: name, sql: `CREATE ${unique}INDEX \`${mysqlIndex[2]}\` ON \`${name}\`${mysqlIndex[3]}` });
          continue;
        }
        const column = /^([`"]\w+[`"])\s+(\w+)/.exec(line);
        if (!column) continue;
        const upper = line.toUpperCase();
        const isKey = /PRIMARY KEY|AUTO_INCREMENT|SERIAL/.test(upper);
        columns.push({
          name: unquote(column[1] ?? ''),
          definition: line,
          kind: kindOf(provider, column[2] ?? ''),
          needsValue: upper.includes('NOT NULL') && !upper.includes('DEFAULT') && !isKey,
        });
      }
      tables.push({ name, create: sql, columns });
      continue;
    }
    const index = /^CREATE (UNIQUE )?INDEX\s+[`"]?(\w+)[`"]?\s+ON\s+[`"]?(\w+)/i.exec(sql);
    if (index) {
      indexes.push({ name: index[2] ?? '', table: index[3] ?? '', sql });
      continue;
    }
    const fk = /^ALTER TABLE\s+[`"]?(\w+)[`"]?\s+ADD CONSTRAINT\s+[`"]?(\w+)[`"]?\s+FOREIGN KEY/i.exec(sql);
    if (fk) foreignKeys.push({ name: fk[2] ?? '', table: fk[1] ?? '', sql });
  }
  return { tables, indexes, foreignKeys };
}

/**
 * The kind of value a column holds, from its type as written in init or
 * as the database reports it (Django's types included): two columns of
 * one kind hold each other's values.
 */
export function kindOf(provider: Provider, type: string): ColumnKind {
  const t = type.toLowerCase();
  if (t.startsWith('bool') || (provider === 'mysql' && t.startsWith('tinyint(1)'))) return 'boolean';
  if (/^((tiny|small|medium|big)?int(eger)?\b|(small|big)?serial\b)/.test(t)) return 'integer';
  if (/date|time/.test(t)) return 'datetime';
  if (/real|double|float|decimal|numeric/.test(t)) return 'real';
  return 'text';
}

export interface AdoptPlan {
  /** Statements to run, in order. */
  statements: string[];
  /** Tables rebuilt (SQLite): their statements run in one transaction with foreign keys off. */
  rebuilt: string[];
}

/**
 * The statements that bring `existing` up to `init`, or a one-line refusal
 * (MigrationError E_ADOPT) naming what cannot be reconciled.
 */
export function planAdoption(provider: Provider, init: InitSchema, existing: ExistingSchema): AdoptPlan {
  const statements: string[] = [];
  const rebuilt: string[] = [];
  const fresh = new Set<string>();
  for (const table of init.tables) {
    const columns = existing.tables.get(table.name);
    if (columns === undefined) {
      statements.push(table.create);
      fresh.add(table.name);
      continue;
    }
    for (const [name, type] of columns) {
      const ours = table.columns.find((c) => c.name === name);
      if (ours === undefined) continue;
      if (kindOf(provider, type) !== ours.kind) {
        refuse(`${table.name}.${name} is ${type || 'untyped'}, where prisma-celery keeps ${ours.kind} values; convert that column first`);
      }
    }
    const missing = table.columns.filter((c) => !columns.has(c.name));
    for (const column of missing) {
      if (column.needsValue && existing.nonEmpty.has(table.name)) {
        refuse(`${table.name} has rows but no ${column.name}, which prisma-celery needs filled in (NOT NULL without a default); fill it in by hand first`);
      }
    }
    if (provider === 'sqlite' && (missing.length > 0 || sqliteForeignKeys(table).length > 0)) {
      const extra = [...columns.keys()].find((name) => !table.columns.some((c) => c.name === name));
      if (extra !== undefined) {
        refuse(`${table.name}.${extra} is not a column of prisma-celery's ${table.name}, and SQLite would have to rebuild that table without it`);
      }
      // SQLite adds no foreign key and no CURRENT_TIMESTAMP default to a
      // table in place: rebuild it as init creates it, rows copied over.
      const kept = [...columns.keys()].map((c) => `"${c}"`).join(', ');
      statements.push(
        table.create.replace(`CREATE TABLE "${table.name}"`, `CREATE TABLE "new_${table.name}"`),
        `INSERT INTO "new_${table.name}" (${kept}) SELECT ${kept} FROM "${table.name}"`,
        `DROP TABLE "${table.name}"`,
        `ALTER TABLE "new_${table.name}" RENAME TO "${table.name}"`,
      );
      rebuilt.push(table.name);
      continue;
    }
    const q = provider === 'mysql' ? '`' : '"';
    for (const column of missing) statements.push(`ALTER TABLE ${q}${table.name}${q} ADD COLUMN ${column.definition}`);
  }
  const gone = new Set([...fresh, ...rebuilt]);
  for (const index of init.indexes) {
    if (provider === 'mysql' && fresh.has(index.table)) continue; // inside its CREATE TABLE
    if (gone.has(index.table) || !existing.indexes.has(index.name)) statements.push(index.sql);
  }
  for (const fk of init.foreignKeys) {
    if (!existing.foreignKeys.has(fk.name)) statements.push(fk.sql);
  }
  return { statements, rebuilt };
}

/** SQLite declares foreign keys inside CREATE TABLE. */
function sqliteForeignKeys(table: InitTable): string[] {
  return [...table.create.matchAll(/CONSTRAINT "(\w+)" FOREIGN KEY/g)].map((m) => m[1] ?? '');
}

function refuse(problem: string): never {
  throw new MigrationError('E_ADOPT', `cannot adopt this database: ${problem}`);
}
