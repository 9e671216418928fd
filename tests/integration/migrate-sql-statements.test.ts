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

describe('splitMysqlStatements on routine and trigger bodies', () => {
  it('keeps a trigger with a BEGIN … END body, IF, CASE and loops as one statement', () => {
    const trigger = [
      'CREATE TRIGGER `t_after_update` AFTER UPDATE ON `t` FOR EACH ROW',
      'BEGIN',
      "  DECLARE v INT DEFAULT 0;",
      '  IF NEW.x <> OLD.x THEN',
      "    SET v = CASE WHEN NEW.x > 0 THEN 1 ELSE 2 END;",
      '    UPDATE m SET version = version + v WHERE ident = 1;',
      '  END IF;',
      '  CASE v WHEN 1 THEN SET v = 3; ELSE SET v = 4; END CASE;',
      '  lbl: LOOP LEAVE lbl; END LOOP lbl;',
      'END',
    ].join('\n');
    const script = `CREATE TABLE m (ident INT);\n${trigger};\nINSERT INTO m VALUES (1);\n`;
    expect(splitMysqlStatements(script)).toEqual(['CREATE TABLE m (ident INT)', trigger, 'INSERT INTO m VALUES (1)']);
  });

  it('does not treat BEGIN outside a routine as a block (a transaction start)', () => {
    expect(splitMysqlStatements('BEGIN; UPDATE t SET x = 1; COMMIT;')).toEqual(['BEGIN', 'UPDATE t SET x = 1', 'COMMIT']);
  });

  it('reads DEFINER and OR REPLACE forms as routines too', () => {
    const proc = 'CREATE OR REPLACE DEFINER=`root`@`%` PROCEDURE p() BEGIN SELECT 1; SELECT 2; END';
    expect(splitMysqlStatements(`${proc};SELECT 3;`)).toEqual([proc, 'SELECT 3']);
  });
});
