// What the schema engine says it takes to bring a provider's committed
// migration history to its schema variant (prisma/<provider>/schema.prisma):
// it replays the history on scratch databases and diffs the result. Used by
// scripts/new-migration.ts to write the next migration, and by a test that
// the history and the schema agree. SQLite and PostgreSQL only (the WASM
// engine has no MySQL connector).
import { readFileSync } from 'node:fs';
import { sharedConnectionFactory } from '../src/migrate/adapter-fixes.js';
import { packageMigrationsDir, readMigrationsFolder, toEngineMigrationList } from '../src/migrate/migrations-dir.js';
import { startSchemaEngine } from '../src/migrate/wasm-engine.js';
import { variantPath } from './schema-variants.js';
import type { ScratchDatabases } from './shadow-databases.js';

/** The SQL script from the history to the variant; comments only when they agree. */
export async function historyToVariant(
  provider: 'sqlite' | 'postgresql',
  databases: ScratchDatabases,
  migrationsDir = packageMigrationsDir(provider),
): Promise<string> {
  const folder = readMigrationsFolder(provider, migrationsDir);
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
}

/** Whether a script holds nothing but comments and blank lines. */
export function isEmptyScript(script: string): boolean {
  return script.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('--'));
}
