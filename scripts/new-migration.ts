// Authoring tool for schema changes: writes the next migration of every
// provider, under the same directory name.
//
//   npx tsx scripts/new-migration.ts <name> [--empty] [--postgres <admin-url>]
//
// 1. Edit prisma/schema.prisma, then `npm run schemas` (the per-provider
//    variants under prisma/<provider>/schema.prisma are what migrations
//    lead to).
// 2. Run this script. For SQLite and PostgreSQL, Prisma's schema engine
//    (WASM build, the same engine as `prisma migrate dev`) replays the
//    committed migrations on throw-away databases and diffs the result
//    against the variant schema; the SQL goes to
//    prisma/migrations/<provider>/<timestamp>_<name>/migration.sql.
//    PostgreSQL needs a server: --postgres, else $SHADOW_POSTGRES_URL,
//    $TEST_POSTGRES_URL, or postgresql://postgres@127.0.0.1:5432/postgres;
//    the role must be allowed to CREATE DATABASE (the databases it makes are
//    dropped before it exits).
// 3. MySQL has no connector in the WASM engine: the script creates the
//    same-named folder with a placeholder that fails on purpose. Write that
//    migration by hand (MySQL types: DATETIME(3), LONGTEXT, VARCHAR(255)
//    with an exact collation as in 20261207090100_exact_ids;
//    Prisma's index and constraint names), then check it with
//    `npx vitest run tests/integration/schema-shape.test.ts`, which compares
//    the three migrated databases table by table.
//
// Nothing is written when the schema has not changed, unless --empty is
// given (for a hand-written data migration). Review every file before you
// commit it: applied migrations must never be edited afterwards.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Provider } from '../src/db/url.js';
import { sharedConnectionFactory } from '../src/migrate/adapter-fixes.js';
import { describeError } from '../src/migrate/migration-failure.js';
import { LOCKFILE, packageMigrationsDir, readMigrationsFolder, toEngineMigrationList } from '../src/migrate/migrations-dir.js';
import { startSchemaEngine } from '../src/migrate/wasm-engine.js';
import { variantPath } from './schema-variants.js';
import { postgresScratch, sqliteScratch, type ScratchDatabases } from './shadow-databases.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { empty: { type: 'boolean', default: false }, postgres: { type: 'string' } },
});
const rawName = positionals[0];
if (!rawName || positionals.length > 1) {
  console.error('usage: npx tsx scripts/new-migration.ts <name> [--empty] [--postgres <admin-url>]');
  process.exit(2);
}
const name = rawName.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
const postgresAdminUrl =
  values.postgres ??
  process.env.SHADOW_POSTGRES_URL ??
  process.env.TEST_POSTGRES_URL ??
  'postgresql://postgres@127.0.0.1:5432/postgres';

const directoryName = `${timestamp(new Date())}_${name}`;

try {
  await main();
} catch (error) {
  console.error(`new-migration: ${describeError(error)}`);
  process.exit(1);
}

async function main(): Promise<void> {
  const scripts: Record<'sqlite' | 'postgresql', string> = {
    sqlite: await engineDiff('sqlite', sqliteScratch),
    postgresql: await engineDiff('postgresql', () => postgresScratch(postgresAdminUrl)),
  };
  if (Object.values(scripts).every(isEmptyScript) && !values.empty) {
    console.log('The schemas match the committed migrations: nothing to write (pass --empty for a data migration).');
    return;
  }
  for (const provider of ['sqlite', 'postgresql'] as const) writeMigration(provider, scripts[provider]);
  writeMigration('mysql', mysqlPlaceholder());
  console.log(`\nNow hand-write prisma/migrations/mysql/${directoryName}/migration.sql; the PostgreSQL one shows what changes.`);
}

/** SQL taking the committed history of `provider` to its variant schema. */
async function engineDiff(provider: 'sqlite' | 'postgresql', scratch: () => Promise<ScratchDatabases>): Promise<string> {
  const folder = readMigrationsFolder(provider, migrationsDirFor(provider));
  const databases = await scratch();
  const stop = (): void => {
    void databases.dispose().finally(() => process.exit(130));
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    const engine = await startSchemaEngine(sharedConnectionFactory(databases.main, { openShadow: databases.openShadow }));
    try {
      const result = await engine.call('diff', (e) =>
        e.diff({
          from: { tag: 'migrations', ...toEngineMigrationList(folder) },
          to: { tag: 'schemaDatamodel', files: [{ path: variantPath(provider), content: readFileSync(variantPath(provider), 'utf8') }] },
          script: true,
          exitCode: null,
          filters: { externalTables: [], externalEnums: [] },
        }),
      );
      return result.stdout ?? '';
    } finally {
      engine.free();
    }
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
    await databases.dispose();
  }
}

/** The provider's migrations folder, made (with its lockfile) on first use. */
function migrationsDirFor(provider: Provider): string {
  const dir = packageMigrationsDir(provider);
  mkdirSync(dir, { recursive: true });
  const lockfile = join(dir, LOCKFILE);
  if (!existsSync(lockfile)) {
    // The text `prisma migrate dev` writes.
    writeFileSync(
      lockfile,
      `# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "${provider}"\n`,
    );
  }
  return dir;
}

function writeMigration(provider: Provider, script: string): void {
  const target = join(migrationsDirFor(provider), directoryName);
  mkdirSync(target);
  writeFileSync(join(target, 'migration.sql'), script);
  console.log(`wrote prisma/migrations/${provider}/${directoryName}/migration.sql`);
}

function mysqlPlaceholder(): string {
  return [
    '-- PLACEHOLDER written by scripts/new-migration.ts: the WASM schema engine',
    '-- has no MySQL connector, so this migration is written by hand. Bring the',
    '-- database to prisma/mysql/schema.prisma, mirroring',
    `-- prisma/migrations/postgresql/${directoryName}/migration.sql`,
    '-- (DATETIME(3), LONGTEXT, VARCHAR(255) with the exact collation of',
    '-- 20261207090100_exact_ids; Prisma\'s index/constraint names;',
    '-- ENGINE InnoDB, utf8mb4), then run tests/integration/schema-shape.test.ts.',
    '-- The statement below fails on purpose, so that this file is never applied',
    '-- (and recorded) by mistake.',
    `THIS MIGRATION HAS NOT BEEN WRITTEN FOR MYSQL YET ${directoryName};`,
    '',
  ].join('\n');
}

function isEmptyScript(script: string): boolean {
  return script.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('--'));
}

/** The UTC stamp Prisma puts before migration names: YYYYMMDDHHMMSS. */
function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}
