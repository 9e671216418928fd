// The adoption plan worked out from init's own SQL (the package's
// migrations) and a description of what a database holds.
import { describe, expect, it } from 'vitest';
import type { Provider } from '../../src/db/url.js';
import { kindOf, parseInit, planAdoption, type ExistingSchema } from '../../src/migrate/adopt-plan.js';
import { readMigrationsFolder } from '../../src/migrate/migrations-dir.js';

const init = (provider: Provider) => parseInit(provider, readMigrationsFolder(provider).migrations[0]?.script ?? '');

function existing(tables: Record<string, Record<string, string>>, more: Partial<ExistingSchema> = {}): ExistingSchema {
  return {
    tables: new Map(Object.entries(tables).map(([t, columns]) => [t, new Map(Object.entries(columns))])),
    nonEmpty: new Set(),
    indexes: new Set(),
    foreignKeys: new Set(),
    ...more,
  };
}

const interval = { id: 'integer', every: 'integer', period: 'character varying' };

describe('adoption plan', () => {
  it('reads every table, index and foreign key of init, on each provider', () => {
    for (const provider of ['sqlite', 'postgresql', 'mysql'] as const) {
      const schema = init(provider);
      expect(schema.tables.map((t) => t.name)).toContain('djcelery_clockedschedule');
      expect(schema.tables.find((t) => t.name === 'celery_taskmeta')?.columns.map((c) => c.name)).toContain('date_created');
      expect(schema.indexes.map((i) => i.name)).toContain('djcelery_periodictask_name_key');
      if (provider !== 'sqlite') expect(schema.foreignKeys.map((f) => f.name)).toContain('djcelery_periodictask_clocked_id_fkey');
    }
  });

  it('adds missing columns with init\'s definitions, and the indexes and foreign keys whose names are absent', () => {
    const plan = planAdoption('postgresql', init('postgresql'), existing({ djcelery_intervalschedule: interval }, { indexes: new Set(['djcelery_intervalschedule_every_period_key']) }));
    expect(plan.statements).not.toContain(expect.stringContaining('djcelery_intervalschedule_every_period_key'));
    expect(plan.statements).toContainEqual(expect.stringMatching(/^CREATE TABLE "celery_taskmeta"/));
    expect(plan.statements).toContainEqual(expect.stringMatching(/^ALTER TABLE "djcelery_periodictask" ADD CONSTRAINT "djcelery_periodictask_clocked_id_fkey"/));
    const mysql = planAdoption('mysql', init('mysql'), existing({ celery_taskmeta: { id: 'int(11)', task_id: 'varchar(255)' } }));
    expect(mysql.statements).toContain('ALTER TABLE `celery_taskmeta` ADD COLUMN `date_created` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)');
    expect(mysql.statements).toContain('CREATE UNIQUE INDEX `celery_taskmeta_task_id_key` ON `celery_taskmeta`(`task_id`)');
  });

  it('refuses a column of another kind, and a needed column missing from a table with rows', () => {
    const text = existing({ djcelery_intervalschedule: { ...interval, every: 'varchar(20)' } });
    expect(() => planAdoption('postgresql', init('postgresql'), text)).toThrow(/^cannot adopt this database: djcelery_intervalschedule\.every is varchar\(20\)/);
    const rows = existing({ djcelery_intervalschedule: { id: 'integer', period: 'varchar(24)' } }, { nonEmpty: new Set(['djcelery_intervalschedule']) });
    expect(() => planAdoption('postgresql', init('postgresql'), rows)).toThrow(/djcelery_intervalschedule has rows but no every/);
    const empty = existing({ djcelery_intervalschedule: { id: 'integer', period: 'varchar(24)' } });
    expect(planAdoption('postgresql', init('postgresql'), empty).statements).toContain('ALTER TABLE "djcelery_intervalschedule" ADD COLUMN "every" INTEGER NOT NULL');
  });

  it('tells the kinds apart by type names as each database reports them', () => {
    expect(['integer', 'int(11)', 'smallint unsigned', 'serial', 'bigint'].map((t) => kindOf('mysql', t))).toEqual(Array(5).fill('integer'));
    expect(['tinyint(1)', 'bool', 'boolean'].map((t) => kindOf('mysql', t))).toEqual(Array(3).fill('boolean'));
    expect(['tinytext', 'longtext', 'varchar(200)', 'character varying'].map((t) => kindOf('postgresql', t))).toEqual(Array(4).fill('text'));
    expect(['timestamp with time zone', 'datetime', 'DATETIME(3)'].map((t) => kindOf('postgresql', t))).toEqual(Array(3).fill('datetime'));
  });

  it('rebuilds a SQLite table it must change, and refuses one holding a column the rebuild would drop', () => {
    const plan = planAdoption('sqlite', init('sqlite'), existing({ celery_taskmeta: { id: 'integer', task_id: 'varchar(255)' } }));
    expect(plan.rebuilt).toContain('celery_taskmeta');
    expect(plan.statements).toContain('INSERT INTO "new_celery_taskmeta" ("id", "task_id") SELECT "id", "task_id" FROM "celery_taskmeta"');
    const extra = existing({ celery_taskmeta: { id: 'integer', task_id: 'varchar(255)', legacy: 'text' } });
    expect(() => planAdoption('sqlite', init('sqlite'), extra)).toThrow(/celery_taskmeta\.legacy is not a column of prisma-celery's/);
  });
});
