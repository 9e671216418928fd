// The package's committed migration histories, one folder per provider:
// prisma/migrations/<provider>/<timestamp>_<name>/migration.sql, laid out
// as `prisma migrate` expects (with its migration_lock.toml).
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MigrationList } from '@prisma/schema-engine-wasm';
import type { Provider } from '../db/url.js';
import { MigrationError } from '../errors.js';

export interface MigrationFile {
  /** The folder name, e.g. 20261129105600_init: what `_prisma_migrations.migration_name` holds. */
  name: string;
  script: string;
  /** sha256 of migration.sql, hex: what Prisma stores as the checksum. */
  checksum: string;
}

export interface MigrationsFolder {
  provider: Provider;
  dir: string;
  lockfile: string | null;
  migrations: MigrationFile[];
}

export const LOCKFILE = 'migration_lock.toml';

/**
 * prisma/migrations/<provider> inside this package. The module sits two
 * folders below the package root both as source (src/migrate/) and once
 * compiled (dist/migrate/), and `files` ships prisma/.
 */
export function packageMigrationsDir(provider: Provider): string {
  return fileURLToPath(new URL(`../../prisma/migrations/${provider}`, import.meta.url));
}

export const checksumOf = (script: string): string => createHash('sha256').update(script).digest('hex');

export function readMigrationsFolder(provider: Provider, dir: string = packageMigrationsDir(provider)): MigrationsFolder {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (cause) {
    throw new MigrationError('E_MIGRATIONS_DIR', `cannot read the migrations folder ${dir}`, { cause });
  }
  const lockfile = readOptional(join(dir, LOCKFILE));
  const lockedProvider = lockfile === null ? undefined : /^\s*provider\s*=\s*"([^"]*)"/m.exec(lockfile)?.[1];
  if (lockedProvider !== undefined && lockedProvider !== provider) {
    throw new MigrationError(
      'P3019',
      `The database is ${provider}, but ${join(dir, LOCKFILE)} says the migrations were written for "${lockedProvider}".`,
    );
  }
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    // The order the Prisma CLI lists them in.
    .sort((a, b) => a.localeCompare(b));
  const migrations = names.map((name) => {
    let script: string;
    try {
      script = readFileSync(join(dir, name, 'migration.sql'), 'utf8');
    } catch (cause) {
      throw new MigrationError('E_MIGRATIONS_DIR', `migration ${name} has no readable migration.sql`, { cause, migration: name });
    }
    return { name, script, checksum: checksumOf(script) };
  });
  return { provider, dir, lockfile, migrations };
}

function readOptional(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The tables the folder's migrations create, sorted. SQLite's table
 * redefinitions go through a temporary `new_<name>`, which is left out.
 */
export function createdTables(folder: MigrationsFolder): string[] {
  const names = new Set(folder.migrations.flatMap((m) => [...m.script.matchAll(/CREATE TABLE\s+["`]?(\w+)/gi)].map((match) => String(match[1]))));
  return [...names].filter((name) => !(name.startsWith('new_') && names.has(name.slice(4)))).sort();
}

/** The folder as the schema engine takes it (what the Prisma CLI builds). */
export function toEngineMigrationList(folder: MigrationsFolder, shadowDbInitScript = ''): MigrationList {
  return {
    baseDir: folder.dir,
    lockfile: { path: LOCKFILE, content: folder.lockfile },
    shadowDbInitScript,
    migrationDirectories: folder.migrations.map((m) => ({
      path: m.name,
      migrationFile: { path: 'migration.sql', content: { tag: 'ok', value: m.script } },
    })),
  };
}
