// The MySQL applier runs a migration statement by statement, like the
// native engine's multi-statement script: the split must not cut inside
// strings, identifiers or comments. (Pure; lives beside migrate.test.ts.)
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitMysqlStatements } from '../../src/migrate/sql-statements.js';
import { packageMigrationsDir } from '../../src/migrate/migrations-dir.js';

describe('splitMysqlStatements', () => {
  it('splits at top-level semicolons and drops comment-only pieces', () => {
    expect(splitMysqlStatements('-- CreateTable\nCREATE TABLE a (x INT);\n\n-- AddIndex\nCREATE INDEX i ON a(x);\n-- trailing comment\n')).toEqual([
      '-- CreateTable\nCREATE TABLE a (x INT)',
      '-- AddIndex\nCREATE INDEX i ON a(x)',
    ]);
  });

  it('keeps semicolons inside quotes, backticks and comments', () => {
    const script = [
      "INSERT INTO t VALUES ('a;b', 'it''s;', 'back\\'slash;');",
      'SELECT `odd;name`, "dq;uote" FROM t; # hash; comment',
      '/* block; comment */ UPDATE t SET x = 1;',
      '-- dash; comment\nDELETE FROM t',
    ].join('\n');
    expect(splitMysqlStatements(script)).toEqual([
      "INSERT INTO t VALUES ('a;b', 'it''s;', 'back\\'slash;')",
      'SELECT `odd;name`, "dq;uote" FROM t',
      '# hash; comment\n/* block; comment */ UPDATE t SET x = 1',
      '-- dash; comment\nDELETE FROM t',
    ]);
  });

  it('treats --x (no space) as code, as MySQL does, and /*! … */ as code', () => {
    expect(splitMysqlStatements('SELECT 1--1;')).toEqual(['SELECT 1--1']);
    expect(splitMysqlStatements('/*!40101 SET NAMES utf8mb4 */;')).toEqual(['/*!40101 SET NAMES utf8mb4 */']);
  });

  it("splits the package's MySQL migrations into their CREATE/ALTER statements", () => {
    const sql = readFileSync(join(packageMigrationsDir('mysql'), '20261129105835_init', 'migration.sql'), 'utf8');
    const statements = splitMysqlStatements(sql);
    expect(statements.length).toBe(13);
    for (const statement of statements) expect(statement).toMatch(/^(--[^\n]*\n)*(CREATE TABLE|ALTER TABLE)/);
  });
});
