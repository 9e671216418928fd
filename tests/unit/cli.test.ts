import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { migrate } from '../../src/cli/commands/migrate.js';
import { runCliCaptured } from '../support/cli-in-process.js';
import { configFile, settingsTable } from '../../src/config/settings.js';
import { MigrationError } from '../../src/errors.js';
import { migrateDeploy, migrateStatus } from '../../src/migrate/index.js';
import packageJson from '../../package.json' with { type: 'json' };

vi.mock('../../src/migrate/index.js', () => ({ migrateDeploy: vi.fn(), migrateStatus: vi.fn() }));

let cwd: string;
beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'prisma-celery-cli-'));
  vi.mocked(migrateDeploy).mockReset();
  vi.mocked(migrateStatus).mockReset();
});
afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

const cli = (argv: string[], env: Record<string, string> = {}) => runCliCaptured(argv, { env, cwd });

const knownKeys = settingsTable.filter((s) => s.inFile).map((s) => s.key).join(', ');

describe('prisma-celery', () => {
  it('lists the commands with --help', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: prisma-celery <command> \[options\]/);
    expect(stdout).toMatch(/^ {2}migrate +Apply prisma-celery's migrations/m);
  });

  it('prints the package version', async () => {
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: `${packageJson.version}\n`, stderr: '' });
  });

  it('shows help on stderr and exits 2 without a command', async () => {
    const { code, stdout, stderr } = await cli([]);
    expect([code, stdout]).toEqual([2, '']);
    expect(stderr).toContain('Commands:');
  });

  it('rejects an unknown command or option in one line with a hint', async () => {
    expect(await cli(['frobnicate'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'prisma-celery: unknown command "frobnicate" (see prisma-celery --help)\n',
    });
    expect((await cli(['--verbose'])).stderr).toBe('prisma-celery: unknown option --verbose (see prisma-celery --help)\n');
  });
});

describe('prisma-celery migrate', () => {
  it('lists every setting it reads in --help, with its environment variable, config key and default', async () => {
    const { code, stdout } = await cli(['migrate', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: prisma-celery migrate <deploy\|status\|adopt> \[options\]/);
    expect(stdout).toMatch(/^ {2}deploy {2}Apply every pending migration$/m);
    expect(stdout).toMatch(/^ {2}adopt {3}Take over a django-celery database/m);
    for (const setting of [...migrate.settings, configFile]) {
      const flag = setting.type.flagType === 'boolean' ? `--${setting.flag}, --no-${setting.flag}` : `--${setting.flag} ${setting.type.placeholder}`;
      const block = stdout.slice(stdout.indexOf(`  ${flag}\n`));
      expect(block, setting.key).toContain(`\n      ${setting.description}\n`);
      const sources = block.split('\n')[2];
      expect(sources, setting.key).toContain(`env ${setting.env}`);
      if (setting.inFile) expect(sources, setting.key).toContain(`config "${setting.key}"`);
      if (setting.default !== undefined) expect(sources, setting.key).toContain(`default ${String(setting.default)}`);
    }
    expect(stdout).toContain('  --database-url <url>\n');
    expect(stdout).toContain('env DATABASE_URL, config "databaseUrl", default file:./prisma-celery.db\n');
  });

  it('rejects an unknown flag with exit code 2 and points to the command help', async () => {
    expect(await cli(['migrate', 'deploy', '--databse-url', 'file:x.db'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'prisma-celery: unknown option --databse-url (see prisma-celery migrate --help)\n',
    });
    expect((await cli(['migrate', 'deploy', '--no-database-url'])).stderr).toMatch(/^prisma-celery: unknown option --no-database-url /);
    expect(migrateDeploy).not.toHaveBeenCalled();
  });

  it('rejects a flag without its value, a missing or unknown action', async () => {
    const missingValue = await cli(['migrate', 'deploy', '--database-url']);
    expect(missingValue.code).toBe(2);
    expect(missingValue.stderr.split('\n')[0]).toMatch(/^prisma-celery: .*--database-url.*missing/);
    expect((await cli(['migrate'])).stderr).toMatch(/^prisma-celery: migrate needs an action: deploy, status or adopt /);
    expect((await cli(['migrate', 'reset'])).code).toBe(2);
    expect((await cli(['migrate', 'deploy', 'now'])).code).toBe(2);
  });

  it('deploys to the database from the flag, else DATABASE_URL, else the config file, else the default', async () => {
    vi.mocked(migrateDeploy).mockResolvedValue({ applied: [] });
    await writeFile(join(cwd, 'prisma-celery.config.json'), '{ "databaseUrl": "file:from-file.db" }');
    await cli(['migrate', 'deploy', '--database-url', 'file:from-flag.db'], { DATABASE_URL: 'file:from-env.db' });
    await cli(['migrate', 'deploy'], { DATABASE_URL: 'file:from-env.db' });
    await cli(['migrate', 'deploy']);
    await rm(join(cwd, 'prisma-celery.config.json'));
    await cli(['migrate', 'deploy']);
    expect(vi.mocked(migrateDeploy).mock.calls.map(([url]) => url)).toEqual(
      ['from-flag.db', 'from-env.db', 'from-file.db', 'prisma-celery.db'].map((name) => `file:${join(cwd, name)}`),
    );
  });

  it('says which database it uses when none was given', async () => {
    vi.mocked(migrateDeploy).mockResolvedValue({ applied: [] });
    const file = join(cwd, 'prisma-celery.db');
    expect(await cli(['migrate', 'deploy'])).toEqual({
      code: 0,
      stdout: `No pending migrations to apply to file:${file}.\n`,
      stderr: `prisma-celery: using file:${file} (the default: no --database-url, DATABASE_URL, config "databaseUrl")\n`,
    });
  });

  it('prints each migration applied and a count', async () => {
    vi.mocked(migrateDeploy).mockResolvedValue({ applied: ['20250101000000_init', '20250201000000_hidden'] });
    const env = { DATABASE_URL: 'file:app.db' };
    expect(await cli(['migrate', 'deploy'], env)).toEqual({
      code: 0,
      stdout: `Applied 20250101000000_init\nApplied 20250201000000_hidden\n2 migrations applied to file:${join(cwd, 'app.db')}\n`,
      stderr: '',
    });
    vi.mocked(migrateDeploy).mockResolvedValue({ applied: [] });
    expect((await cli(['migrate', 'deploy'], env)).stdout).toBe(`No pending migrations to apply to file:${join(cwd, 'app.db')}.\n`);
  });

  it("passes the engine's progress lines to stderr only at debug level", async () => {
    vi.mocked(migrateDeploy).mockImplementation(async (_url, options) => {
      options?.log?.('1 migration(s) to apply');
      return { applied: ['20250101000000_init'] };
    });
    expect((await cli(['migrate', 'deploy'], { DATABASE_URL: 'file:app.db' })).stderr).toBe('');
    expect((await cli(['migrate', 'deploy'], { DATABASE_URL: 'file:app.db', LOG_LEVEL: 'debug' })).stderr).toBe('1 migration(s) to apply\n');
  });

  it('reports status and exits 1 unless up to date', async () => {
    vi.mocked(migrateStatus).mockResolvedValue({ applied: ['a'], pending: [], failed: [], upToDate: true });
    await writeFile(join(cwd, 'app.db'), '');
    const env = { DATABASE_URL: 'file:app.db' };
    expect(await cli(['migrate', 'status'], env)).toEqual({
      code: 0,
      stdout: `Database file:${join(cwd, 'app.db')}\nApplied (1)\n  a\nPending (0)\nFailed (0)\nDatabase schema is up to date.\n`,
      stderr: '',
    });
    vi.mocked(migrateStatus).mockResolvedValue({ applied: ['a'], pending: ['b', 'c'], failed: [], upToDate: false });
    const behind = await cli(['migrate', 'status'], env);
    expect(behind.code).toBe(1);
    expect(behind.stdout).toContain('Pending (2)\n  b\n  c\n');
    expect(behind.stdout).toMatch(/not up to date: 2 pending migrations \(run prisma-celery migrate deploy\)\.\n$/);
  });

  it('exits 2 with one line naming the bad setting and its source', async () => {
    expect(await cli(['migrate', 'deploy'], { DATABASE_URL: 'mongodb://db/app' })).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'prisma-celery: DATABASE_URL: database URL "mongodb://db/app" has an unknown scheme: use file: (SQLite), postgresql:// or mysql:// (also mariadb://)\n',
    });
    await writeFile(join(cwd, 'prisma-celery.config.json'), '{ "logLevel": "loud", "databaseURL": "file:x.db" }');
    expect((await cli(['migrate', 'status'])).stderr).toBe(
      `prisma-celery: prisma-celery.config.json: unknown setting "databaseURL" (known: ${knownKeys})\n`,
    );
    await writeFile(join(cwd, 'prisma-celery.config.json'), '{ "logLevel": "loud" }');
    expect((await cli(['migrate', 'status'])).stderr).toBe(
      'prisma-celery: prisma-celery.config.json "logLevel": "loud" is not one of debug, info, warn, error\n',
    );
    expect((await cli(['migrate', 'status', '--config', 'missing.json'])).stderr).toBe(
      'prisma-celery: --config "missing.json": no such file\n',
    );
    expect(migrateStatus).not.toHaveBeenCalled();
  });

  it('prints a package error as one line with exit code 1', async () => {
    vi.mocked(migrateDeploy).mockRejectedValue(
      new MigrationError('P3009', 'migration 20250101000000_init failed earlier; resolve it first'),
    );
    expect(await cli(['migrate', 'deploy'], { DATABASE_URL: 'file:app.db' })).toEqual({
      code: 1,
      stdout: '',
      stderr: 'prisma-celery: migration 20250101000000_init failed earlier; resolve it first\n',
    });
  });

  it('prints an unexpected error in one line, and its stack only at debug level', async () => {
    vi.mocked(migrateStatus).mockRejectedValue(new TypeError('cannot read properties of undefined'));
    await writeFile(join(cwd, 'app.db'), '');
    const env = { DATABASE_URL: 'file:app.db' };
    expect(await cli(['migrate', 'status'], env)).toEqual({
      code: 1,
      stdout: '',
      stderr: 'prisma-celery: unexpected error: cannot read properties of undefined (--log-level debug shows where)\n',
    });
    const { code, stderr } = await cli(['migrate', 'status', '--log-level', 'debug'], env);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^prisma-celery: unexpected error: .*\nTypeError: cannot read properties of undefined\n {4}at /);
  });
});

describe('the prisma-celery bin', () => {
  it('runs as a process', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'src/cli/main.ts', '--help'], {
      cwd: join(import.meta.dirname, '../..'),
    });
    expect(stdout).toContain('Usage: prisma-celery <command> [options]');
  }, 30_000);
});
