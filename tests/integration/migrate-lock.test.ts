// The migrate lock lives in the deploy's database session. When that session
// is killed mid-deploy, the deploy must stop with a clear error, not open a
// new session (which would not hold the lock) and go on unlocked.
//
// The kill runs synchronously inside the deploy's log callback, at a line the
// deploy prints while it holds the lock and its connection sits idle: the
// deploy's next statement is the first to meet the dead session.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { MigrationError } from '../../src/errors.js';
import { openMigrationConnection, queryRows } from '../../src/migrate/connection.js';
import { deployMigrations, migrationStatus } from '../../src/migrate/deploy.js';
import { readMigrationsFolder } from '../../src/migrate/migrations-dir.js';
import { TestDatabase } from '../support/databases.js';
import { selectedProviders } from '../support/providers.js';
import { describeWhenPresent } from '../support/gates.js';

/** Node code that kills the session holding the migrate lock on `url`'s database, and prints how many it killed. */
const KILLERS: Record<'postgresql' | 'mysql', string> = {
  postgresql: `
    const pg = require('pg');
    const url = new URL(process.argv[1]);
    const database = url.pathname.slice(1);
    const client = new pg.Client({ connectionString: url.toString() });
    client.connect()
      .then(() => client.query(
        "SELECT pg_terminate_backend(pid) AS killed FROM pg_locks WHERE locktype = 'advisory' AND objid = 72707369 AND granted " +
        "AND database = (SELECT oid FROM pg_database WHERE datname = $1)", [database]))
      .then((r) => { process.stdout.write(String(r.rows.filter((row) => row.killed).length)); return client.end(); });`,
  mysql: `
    const mariadb = require('mariadb');
    const url = new URL(process.argv[1]);
    mariadb.createConnection({ host: url.hostname, port: Number(url.port || 3306), user: decodeURIComponent(url.username) || 'root', password: decodeURIComponent(url.password) })
      .then(async (conn) => {
        const [row] = await conn.query("SELECT IS_USED_LOCK('prisma_migrate') AS id");
        if (row.id !== null) await conn.query('KILL ' + Number(row.id));
        process.stdout.write(row.id === null ? '0' : '1');
        await conn.end();
      });`,
};

function killLockHolder(provider: 'postgresql' | 'mysql', url: string): number {
  return Number(execFileSync(process.execPath, ['-e', KILLERS[provider], url], { cwd: process.cwd(), encoding: 'utf8', timeout: 10_000 }));
}

async function rejection(promise: Promise<unknown>): Promise<MigrationError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MigrationError);
  return error as MigrationError;
}

// Only where a server holds the lock: SQLite has none.
for (const provider of selectedProviders().filter((p): p is 'postgresql' | 'mysql' => p !== 'sqlite')) {
  describeWhenPresent(provider)(`migrate lock [${provider}]`, () => {
    const names = readMigrationsFolder(provider).migrations.map((m) => m.name);
    const databases: TestDatabase[] = [];
    const fresh = async (): Promise<string> => {
      const db = new TestDatabase(provider);
      databases.push(db);
      return db.create();
    };
    beforeAll(() => expect(names.length).toBeGreaterThan(1));
    afterAll(() => Promise.all(databases.map((db) => db.drop())));

    it('keeps one session through a failed statement (a pool would drop it, and the lock with it)', async () => {
      const connection = await openMigrationConnection(parseDatabaseUrl(await fresh()));
      try {
        const session = provider === 'postgresql' ? 'SELECT pg_backend_pid() AS id' : 'SELECT CONNECTION_ID() AS id';
        const [before] = await queryRows(connection.adapter, session);
        await expect(queryRows(connection.adapter, 'SELECT * FROM no_such_table')).rejects.toThrow();
        const [after] = await queryRows(connection.adapter, session);
        expect(String(after?.id)).toBe(String(before?.id));
        expect(await connection.sessionAlive()).toBe(true);
      } finally {
        await connection.close();
      }
    });

    it('aborts a deploy whose lock session is killed right after it took the lock, and applies nothing', async () => {
      const url = await fresh();
      let killed = 0;
      const error = await rejection(
        deployMigrations(url, {
          log: (line) => {
            // Printed under the lock, after the history was read and before anything is applied.
            if (/migration\(s\) to apply/.test(line)) killed += killLockHolder(provider, url);
          },
        }),
      );
      expect(killed).toBe(1);
      expect(error.code).toBe('E_MIGRATION_LOCK_LOST');
      expect(error.message).toMatch(/lost the connection holding the migrate lock .*stopped.*migrate deploy/);
      expect(await migrationStatus(url)).toMatchObject({ applied: [], failed: [] });
      // Nothing is left half-done: the next deploy applies everything.
      expect(await deployMigrations(url)).toEqual({ applied: names });
    });

    if (provider === 'mysql') {
      it('aborts between two migrations: the first stays applied, the second is not started', async () => {
        const url = await fresh();
        let killed = 0;
        const error = await rejection(
          deployMigrations(url, {
            log: (line) => {
              if (line === `Applying migration \`${names[1]}\``) killed += killLockHolder(provider, url);
            },
          }),
        );
        expect(killed).toBe(1);
        expect(error.code).toBe('E_MIGRATION_LOCK_LOST');
        expect(await migrationStatus(url)).toMatchObject({ applied: [names[0]], failed: [] });
        expect(await deployMigrations(url)).toEqual({ applied: names.slice(1) });
      });
    }
  });
}
