// The three migration histories must build the same tables. SQLite's and
// PostgreSQL's SQL comes from Prisma's engine; MySQL's is written by hand,
// so this is what proves it right: every migrated database is read back from
// its catalogs and compared with the model in its Prisma schema variant, and
// with the other providers' databases.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Provider } from '../../src/db/url.js';
import { migrateDeploy } from '../../src/migrate/index.js';
import {
  readShape,
  type ColumnShape,
  type ColumnType,
  type ForeignKeyShape,
  type IndexShape,
  type SchemaShape,
} from '../../scripts/db-shape.js';
import { variantPath } from '../../scripts/schema-variants.js';
import { mysqlAdmin, TestDatabase, itWhen } from '../support/databases.js';
import { selectedProviders } from '../support/providers.js';
import { missingServices } from '../support/services.js';

const providers = selectedProviders().filter((p) => p === 'sqlite' || !missingServices().has(p));

/** SQLite has only TEXT: a VARCHAR(255) elsewhere is TEXT there. */
function asOnSqlite(shape: SchemaShape): SchemaShape {
  return Object.fromEntries(
    Object.entries(shape).map(([name, table]) => [
      name,
      {
        ...table,
        columns: Object.fromEntries(
          Object.entries(table.columns).map(([col, c]) => [col, { ...c, type: c.type === 'varchar255' ? 'text' : c.type }]),
        ),
      },
    ]),
  );
}

describe('migrated schema shape', () => {
  const databases = new Map(providers.map((p) => [p, new TestDatabase(p)]));
  const shapes = new Map<Provider, SchemaShape>();

  beforeAll(async () => {
    await Promise.all(
      [...databases.values()].map(async (db) => {
        await db.create();
        await migrateDeploy(db.url);
        shapes.set(db.provider, await readShape(db.url));
      }),
    );
  });
  afterAll(() => Promise.all([...databases.values()].map((db) => db.drop())));

  it('runs on at least one database', () => {
    expect(providers.length).toBeGreaterThan(0);
  });

  for (const provider of providers) {
    it(`${provider}: the migrated tables are the model of prisma/${provider}/schema.prisma`, () => {
      const expected = expectedShape(readFileSync(variantPath(provider), 'utf8'));
      expect(Object.keys(expected).length).toBeGreaterThan(5);
      expect(shapes.get(provider)).toEqual(expected);
    });
  }

  for (const [i, a] of providers.entries()) {
    for (const b of providers.slice(i + 1)) {
      it(`${a} and ${b} build the same tables`, () => {
        const weaken = a === 'sqlite' || b === 'sqlite' ? asOnSqlite : (s: SchemaShape) => s;
        expect(weaken(shapes.get(b)!)).toEqual(weaken(shapes.get(a)!));
      });
    }
  }

  itWhen(providers.includes('mysql'))('mysql: every table is InnoDB, utf8mb4_unicode_ci', async () => {
    const name = databases.get('mysql')!.name;
    const rows = (await mysqlAdmin((c) =>
      c.query('SELECT TABLE_NAME AS t, ENGINE AS engine, TABLE_COLLATION AS collation FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [name]),
    )) as { t: string; engine: string; collation: string }[];
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) expect({ table: row.t, engine: row.engine, collation: row.collation }).toEqual({ table: row.t, engine: 'InnoDB', collation: 'utf8mb4_unicode_ci' });
  });
});

// ---------------------------------------------------------------------------
// The expected model, read from a Prisma schema: enough of the language for
// our schema (scalar fields, @id, @unique, @default, @map, @relation, @@map,
// @@index, @@unique), with the names Prisma gives constraints and indexes.

interface ParsedField {
  name: string;
  column: string;
  type: string;
  optional: boolean;
  list: boolean;
  attributes: string;
}

interface ParsedModel {
  name: string;
  table: string;
  fields: ParsedField[];
  blockAttributes: string[];
}

function parseModels(schema: string): ParsedModel[] {
  const models: ParsedModel[] = [];
  for (const match of schema.matchAll(/^model\s+(\w+)\s*\{([\s\S]*?)^\}/gm)) {
    const [, name = '', body = ''] = match;
    const fields: ParsedField[] = [];
    const blockAttributes: string[] = [];
    for (const raw of body.split('\n')) {
      const line = raw.replace(/\/\/.*$/, '').trim();
      if (line === '') continue;
      if (line.startsWith('@@')) {
        blockAttributes.push(line);
        continue;
      }
      const field = /^(\w+)\s+(\w+)(\[\])?(\?)?\s*(.*)$/.exec(line);
      if (!field) throw new Error(`cannot read field line "${line}" of model ${name}`);
      const [, fieldName = '', type = '', list, optional, attributes = ''] = field;
      fields.push({
        name: fieldName,
        column: /@map\("([^"]+)"\)/.exec(attributes)?.[1] ?? fieldName,
        type,
        optional: optional === '?',
        list: list === '[]',
        attributes,
      });
    }
    const table = blockAttributes.map((a) => /^@@map\("([^"]+)"\)/.exec(a)?.[1]).find(Boolean) ?? name;
    models.push({ name, table, fields, blockAttributes });
  }
  return models;
}

const SCALARS = new Set(['String', 'Int', 'Float', 'Boolean', 'DateTime']);

function columnType(field: ParsedField): ColumnType {
  switch (field.type) {
    case 'Int':
      return 'int';
    case 'Float':
      return 'float';
    case 'Boolean':
      return 'bool';
    case 'DateTime':
      return 'timestamp';
    case 'String':
      return /@db\.VarChar\(255\)/.test(field.attributes) ? 'varchar255' : 'text';
    default:
      throw new Error(`no column type for ${field.type}`);
  }
}

function defaultOf(field: ParsedField): string | null {
  const match = /@default\(((?:"(?:[^"\\]|\\.)*")|[\w.]+(?:\(\))?)\)/.exec(field.attributes);
  if (!match) return null;
  const value = match[1] ?? '';
  if (value === 'autoincrement()') return null;
  if (value.startsWith('"')) return `'${JSON.parse(value) as string}'`;
  return value;
}

const listIn = (attribute: string): string[] =>
  (/\[([^\]]*)\]/.exec(attribute)?.[1] ?? '').split(',').map((s) => s.trim()).filter(Boolean);

const ACTIONS: Record<string, string> = {
  Cascade: 'CASCADE',
  Restrict: 'RESTRICT',
  NoAction: 'NO ACTION',
  SetNull: 'SET NULL',
  SetDefault: 'SET DEFAULT',
};

function expectedShape(schema: string): SchemaShape {
  const models = parseModels(schema);
  const byName = new Map(models.map((m) => [m.name, m]));
  const shape: SchemaShape = {};
  for (const model of models) {
    const scalars = model.fields.filter((f) => SCALARS.has(f.type) && !f.list);
    const columnOf = (fieldName: string, of: ParsedModel = model): string => {
      const field = of.fields.find((f) => f.name === fieldName);
      if (!field) throw new Error(`${of.name} has no field ${fieldName}`);
      return field.column;
    };
    const columns: Record<string, ColumnShape> = {};
    for (const f of scalars) columns[f.column] = { type: columnType(f), nullable: f.optional, default: defaultOf(f) };
    const indexes: IndexShape[] = [];
    for (const f of scalars.filter((f) => /@unique\b/.test(f.attributes))) {
      indexes.push({ name: `${model.table}_${f.column}_key`, columns: [f.column], unique: true });
    }
    for (const attribute of model.blockAttributes) {
      const kind = /^@@(unique|index)\(/.exec(attribute)?.[1];
      if (!kind) continue;
      const cols = listIn(attribute).map((f) => columnOf(f));
      const explicit = /map:\s*"([^"]+)"/.exec(attribute)?.[1];
      indexes.push({
        name: explicit ?? `${model.table}_${cols.join('_')}_${kind === 'unique' ? 'key' : 'idx'}`,
        columns: cols,
        unique: kind === 'unique',
      });
    }
    const foreignKeys: ForeignKeyShape[] = [];
    for (const f of model.fields.filter((f) => /@relation\([^)]*fields:/.test(f.attributes))) {
      const target = byName.get(f.type);
      if (!target) throw new Error(`relation ${model.name}.${f.name} to unknown model ${f.type}`);
      const relation = /@relation\(([^)]*)\)/.exec(f.attributes)?.[1] ?? '';
      const fields = listIn(/fields:\s*(\[[^\]]*\])/.exec(relation)?.[1] ?? '');
      const references = listIn(/references:\s*(\[[^\]]*\])/.exec(relation)?.[1] ?? '');
      const cols = fields.map((x) => columnOf(x));
      const anyOptional = fields.some((x) => model.fields.find((m) => m.name === x)?.optional);
      const onDelete = /onDelete:\s*(\w+)/.exec(relation)?.[1];
      const onUpdate = /onUpdate:\s*(\w+)/.exec(relation)?.[1];
      foreignKeys.push({
        name: `${model.table}_${cols.join('_')}_fkey`,
        columns: cols,
        referencedTable: target.table,
        referencedColumns: references.map((x) => columnOf(x, target)),
        onDelete: onDelete ? (ACTIONS[onDelete] ?? onDelete) : anyOptional ? 'SET NULL' : 'RESTRICT',
        onUpdate: onUpdate ? (ACTIONS[onUpdate] ?? onUpdate) : 'CASCADE',
      });
    }
    const idField = scalars.find((f) => /@id\b/.test(f.attributes));
    const blockId = model.blockAttributes.find((a) => a.startsWith('@@id('));
    shape[model.table] = {
      columns,
      primaryKey: idField ? [idField.column] : blockId ? listIn(blockId).map((f) => columnOf(f)) : [],
      indexes: indexes.sort((a, b) => a.name.localeCompare(b.name)),
      foreignKeys: foreignKeys.sort((a, b) => a.name.localeCompare(b.name)),
    };
  }
  return shape;
}
