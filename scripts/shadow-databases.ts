// Throw-away databases for the schema engine to replay migrations on, made
// and dropped by us: adapter-pg's own connectToShadowDb() reconnects to the
// main database when given a URL, and a SQLite shadow in memory would hide
// file-only behaviour.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqlDriverAdapter } from '@prisma/driver-adapter-utils';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { openPostgres, quotePg } from '../src/migrate/connection.js';
import { execFallback } from '../src/migrate/adapter-fixes.js';

export interface ScratchDatabases {
  /** The engine's main connection (never the user's database). */
  main: SqlDriverAdapter;
  /** Opens a fresh shadow database each call. */
  openShadow(): Promise<SqlDriverAdapter>;
  /** Closes every connection and drops every database made here. */
  dispose(): Promise<void>;
}

export async function sqliteScratch(): Promise<ScratchDatabases> {
  const dir = mkdtempSync(join(tmpdir(), 'prisma-celery-shadow-'));
  const opened: SqlDriverAdapter[] = [];
  const open = async (file: string): Promise<SqlDriverAdapter> => {
    const adapter = execFallback(await new PrismaBetterSqlite3({ url: join(dir, file) }).connect());
    opened.push(adapter);
    return adapter;
  };
  let shadows = 0;
  return {
    main: await open('main.db'),
    openShadow: () => open(`shadow-${++shadows}.db`),
    dispose: async () => {
      await Promise.allSettled(opened.map((a) => a.dispose()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `adminUrl` names a database we may connect to and a role that may CREATE DATABASE. */
export async function postgresScratch(adminUrl: string): Promise<ScratchDatabases> {
  const admin = await openPostgres(adminUrl, 'public');
  const created: string[] = [];
  const opened: SqlDriverAdapter[] = [];
  const fresh = async (): Promise<SqlDriverAdapter> => {
    const name = `prisma_celery_shadow_${randomBytes(6).toString('hex')}`;
    await admin.executeScript(`CREATE DATABASE ${quotePg(name)}`);
    created.push(name);
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const adapter = await openPostgres(url.toString(), 'public');
    opened.push(adapter);
    return adapter;
  };
  try {
    return {
      main: await fresh(),
      openShadow: fresh,
      dispose: async () => {
        await Promise.allSettled(opened.map((a) => a.dispose()));
        for (const name of created) await admin.executeScript(`DROP DATABASE IF EXISTS ${quotePg(name)} WITH (FORCE)`);
        await admin.dispose();
      },
    };
  } catch (error) {
    await admin.dispose();
    throw error;
  }
}
