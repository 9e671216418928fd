// The package as a user gets it. The working tree is copied as a clean clone
// has it (the files git tracks or would track: no dist/, no generated
// clients) and packed with `npm pack`, whose prepack generates and builds;
// nothing in this checkout is rebuilt under the tests running beside this
// one. The tarball is installed into an empty app in the temp directory,
// whose processes see neither this checkout nor its node_modules, and the
// app uses it: the CLI, every subpath export from `import` and `require`,
// the types under `node16` and `bundler` resolution, migrations and the
// monitor's assets from the installed files, and the installed README's
// result-backend example.
//
// better-sqlite3 compiles its driver when installed (node-gyp, about 80 s of
// one core). The app asks for the version this checkout has, is installed
// without running install scripts, and gets the driver `npm ci` compiled for
// this checkout; that the README's `allowScripts` entry covers every install
// script the package brings is checked with `npm install-scripts ls`.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as backendPart from '../../src/backend/index.js';
import * as controlPart from '../../src/control/index.js';
import * as rootPart from '../../src/index.js';
import * as schedulerPart from '../../src/scheduler/index.js';
import * as snapshotPart from '../../src/snapshot/index.js';
import * as webPart from '../../src/web/index.js';
import { describeWithBroker, testBrokerUrl } from '../support/broker.js';

/** What each subpath export must offer: the names its source module exports. */
const SOURCES: Readonly<Record<string, object>> = {
  'prisma-celery': rootPart,
  'prisma-celery/backend': backendPart,
  'prisma-celery/scheduler': schedulerPart,
  'prisma-celery/snapshot': snapshotPart,
  'prisma-celery/web': webPart,
  'prisma-celery/control': controlPart,
};

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORK = mkdtempSync(join(tmpdir(), 'prisma-celery-package-'));
const TREE = join(WORK, 'clone');
const APP = join(WORK, 'app');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment of a user's shell: no variable of this test run, npm's
 * (`npm test` sets npm_*) or this checkout's (its node_modules/.bin on PATH).
 */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const path = (process.env.PATH ?? '')
    .split(':')
    .filter((dir) => dir !== '' && !dir.startsWith(ROOT))
    .join(':');
  const env: NodeJS.ProcessEnv = { PATH: path, ...extra };
  for (const name of ['HOME', 'LANG', 'TMPDIR', 'USER']) if (process.env[name] !== undefined) env[name] = process.env[name];
  return env;
}

/**
 * Runs a command, in a process group of its own, to its end (or kills it
 * after `timeoutMs`). With `ready` it is a service: once it prints the
 * pattern (on either stream: services log to stderr), `onReady` is called
 * with its output and then it gets SIGTERM.
 */
function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; ready?: RegExp; onReady?: (output: string) => Promise<void> },
): Promise<Ran> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? userEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let ready = options.ready;
  const signal = (name: NodeJS.Signals): void => {
    try {
      process.kill(-(child.pid ?? 0), name);
    } catch {
      // already gone
    }
  };
  const seen = (): void => {
    const output = `${stdout}\n${stderr}`;
    if (!ready?.test(output)) return;
    ready = undefined;
    void (options.onReady?.(output) ?? Promise.resolve()).finally(() => signal('SIGTERM'));
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => ((stdout += chunk), seen()));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => ((stderr += chunk), seen()));
  const timer = setTimeout(() => signal('SIGKILL'), options.timeoutMs ?? 120_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

const ok = (ran: Ran, what: string): string => {
  expect(ran.code, `${what} failed:\n${ran.stdout}\n${ran.stderr}`).toBe(0);
  return ran.stdout;
};

interface Packed {
  filename: string;
  size: number;
  entryCount: number;
  files: { path: string }[];
}

let packed: Packed;
let installed: { exports: Record<string, unknown>; bin: Record<string, string>; scripts: Record<string, string> };

/** Copies the files a clean clone has: tracked, or new and not ignored; this checkout's node_modules is linked, as `npm ci` would make it. */
function copyCleanTree(): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  for (const file of new Set(listed.split('\0').filter(Boolean))) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(TREE, file)), { recursive: true });
    cpSync(join(ROOT, file), join(TREE, file));
  }
  symlinkSync(join(ROOT, 'node_modules'), join(TREE, 'node_modules'));
}

beforeAll(async () => {
  copyCleanTree();
  expect(existsSync(join(TREE, 'dist')), 'the copy has a dist/: it is not a clean tree').toBe(false);
  const pack = await run('npm', ['pack', '--json', '--pack-destination', WORK], { cwd: TREE, timeoutMs: 240_000 });
  // prepack's own output comes first on stdout; npm's JSON report is last.
  const report = ok(pack, 'npm pack');
  [packed] = JSON.parse(report.slice(report.search(/^\[/m))) as [Packed];

  mkdirSync(APP);
  const sqliteVersion = (JSON.parse(readFileSync(join(ROOT, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string }).version;
  writeFileSync(
    join(APP, 'package.json'),
    JSON.stringify({
      name: 'consumer',
      private: true,
      type: 'module',
      dependencies: {
        'prisma-celery': `file:../${packed.filename}`,
        'celery-node': '0.5.9',
        '@types/node': '^20.19.0',
        // The version this checkout compiled, whose driver the app gets.
        'better-sqlite3': sqliteVersion,
      },
      // What the README's Install section tells an app to add.
      allowScripts: { 'better-sqlite3': true },
    }),
  );
  ok(await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: APP, timeoutMs: 180_000 }), 'npm install');
  const driver = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  mkdirSync(dirname(join(APP, driver)), { recursive: true });
  cpSync(join(ROOT, driver), join(APP, driver));
  installed = JSON.parse(readFileSync(join(APP, 'node_modules', 'prisma-celery', 'package.json'), 'utf8')) as typeof installed;
}, 420_000);

afterAll(() => rmSync(WORK, { recursive: true, force: true }));

/** The subpaths of `exports` that are modules, as a user imports them: prisma-celery, prisma-celery/backend, … */
const subpaths = (): string[] =>
  Object.keys(installed.exports)
    .filter((key) => key !== './package.json')
    .map((key) => `prisma-celery${key.slice(1)}`);

describe('the packed tarball', () => {
  it('holds every file exports and bin point to, and the license and changelog', () => {
    const files = new Set(packed.files.map((f) => f.path));
    const targets = [
      ...Object.values(installed.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target as Record<string, string>))),
      ...Object.values(installed.bin),
    ].map((target) => target.replace(/^\.\//, ''));
    expect(targets.length).toBeGreaterThan(10);
    for (const target of targets) expect(files, target).toContain(target);
    for (const file of ['LICENSE', 'CHANGELOG.md', 'README.md', 'dist/db/generated/sqlite/client.js', 'prisma/migrations/sqlite/migration_lock.toml', 'src/web/assets/index.html']) {
      expect(files, file).toContain(file);
    }
    expect(readFileSync(join(APP, 'node_modules', 'prisma-celery', 'LICENSE'), 'utf8')).toMatch(/BSD 3-Clause[\s\S]*the prisma-celery authors/);
    // The README's Install section installs this file.
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain(`npm install ../prisma-celery/${packed.filename}`);
  });

  it('holds no source maps, sources, demo, tests or scripts, and runs nothing on install', () => {
    const unwanted = packed.files.map((f) => f.path).filter((path) => /\.map$|^dist\/demo\/|^tests\/|^scripts\/|^bench\/|^src\/(?!web\/assets\/)/.test(path));
    expect(unwanted).toEqual([]);
    const installScripts = Object.keys(installed.scripts).filter((name) => ['preinstall', 'install', 'postinstall', 'prepare'].includes(name));
    expect(installScripts).toEqual([]);
    console.log(`tarball: ${packed.filename}, ${(packed.size / 1000).toFixed(0)} kB, ${packed.entryCount} files`);
  });

  it("needs no install script beyond better-sqlite3's, which the README's allowScripts entry approves", async () => {
    const ran = await run('npm', ['install-scripts', 'ls'], { cwd: APP });
    expect(ok(ran, 'npm install-scripts ls') + ran.stderr).not.toMatch(/not yet covered/);
  });
});

describe('the installed package', () => {
  it('runs npx prisma-celery --help', async () => {
    const ran = await run('npx', ['--no-install', 'prisma-celery', '--help'], { cwd: APP });
    expect(ok(ran, 'npx prisma-celery --help')).toMatch(/^Usage: prisma-celery <command>/);
    expect(ran.stderr).toBe('');
  });

  it('has every subpath export, from ESM import and from CommonJS require', async () => {
    expect(subpaths()).toEqual(Object.keys(SOURCES));
    for (const subpath of subpaths()) {
      const expected = Object.keys(SOURCES[subpath] ?? {}).sort();
      expect(expected.length, subpath).toBeGreaterThan(3);
      const names = (code: string, type: 'module' | 'commonjs'): Promise<Ran> =>
        run(process.execPath, [`--input-type=${type}`, '-e', code], { cwd: APP });
      const esm = await names(`console.log(JSON.stringify(Object.keys(await import(${JSON.stringify(subpath)})).sort()))`, 'module');
      expect(JSON.parse(ok(esm, `import('${subpath}')`)), subpath).toEqual(expected);
      // Node 20.19+ loads an ES module with require() (its graph has no top-level await).
      const cjs = await names(`console.log(JSON.stringify(Object.keys(require(${JSON.stringify(subpath)})).sort()))`, 'commonjs');
      expect(JSON.parse(ok(cjs, `require('${subpath}')`)), subpath).toEqual(expected);
      expect(cjs.stderr, subpath).toBe('');
    }
  }, 120_000);

  it('typechecks a consumer under node16 and bundler module resolution', async () => {
    const imports = subpaths().map((subpath, i) => `import * as part${i} from '${subpath}';`);
    writeFileSync(
      join(APP, 'consumer.ts'),
      [
        ...imports,
        "import { openDatabase, type Database } from 'prisma-celery';",
        "import { PrismaResultBackend } from 'prisma-celery/backend';",
        `export const parts = [${imports.map((_, i) => `part${i}`).join(', ')}];`,
        'export async function backendOf(url: string): Promise<PrismaResultBackend> {',
        '  const database: Database = await openDatabase(url);',
        '  return new PrismaResultBackend(database);',
        '}',
        '',
      ].join('\n'),
    );
    // `import x = require()` of an ES module: TypeScript accepts it under nodenext (as Node 20.19+ runs it), not node16.
    writeFileSync(join(APP, 'consumer-cjs.cts'), "import backend = require('prisma-celery/backend');\nexport const Backend: typeof backend.PrismaResultBackend = backend.PrismaResultBackend;\n");
    // The package's declarations themselves are checked once (skipLibCheck: false costs ~4× the time).
    const base = { strict: true, target: 'ES2022', skipLibCheck: true, types: ['node'], noEmit: true };
    const configs = {
      'tsconfig.node16.json': { compilerOptions: { ...base, module: 'node16', moduleResolution: 'node16', skipLibCheck: false }, files: ['consumer.ts'] },
      'tsconfig.bundler.json': { compilerOptions: { ...base, module: 'esnext', moduleResolution: 'bundler' }, files: ['consumer.ts'] },
      'tsconfig.cjs.json': { compilerOptions: { ...base, module: 'nodenext', moduleResolution: 'nodenext' }, files: ['consumer-cjs.cts'] },
    };
    for (const [file, config] of Object.entries(configs)) {
      writeFileSync(join(APP, file), JSON.stringify(config));
      const ran = await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', file], { cwd: APP });
      expect(`${ran.stdout}${ran.stderr}`, file).toBe('');
      expect(ran.code, file).toBe(0);
    }
  }, 240_000);

  it('applies its migrations from the installed CLI and serves the monitor page with its assets', async () => {
    const url = `file:${join(APP, 'cli.db')}`;
    const deploy = ok(await run('npx', ['--no-install', 'prisma-celery', 'migrate', 'deploy', '--database-url', url], { cwd: APP }), 'migrate deploy');
    expect(deploy).toMatch(/applied/);
    expect(ok(await run('npx', ['--no-install', 'prisma-celery', 'migrate', 'status', '--database-url', url], { cwd: APP }), 'migrate status')).toMatch(/up to date/i);

    const served: { status: number; body: string }[] = [];
    // The installed command itself, not through npx, so that SIGTERM reaches it.
    const serve = await run(join(APP, 'node_modules', '.bin', 'prisma-celery'), ['serve', '--database-url', url, '--port', '0'], {
      cwd: APP,
      ready: /Monitor on (http:\S+)/,
      onReady: async (output) => {
        const base = /Monitor on (http:\S+)/.exec(output)?.[1] ?? '';
        for (const path of ['', 'assets/app.js', 'assets/style.css']) {
          const response = await fetch(new URL(path, base));
          served.push({ status: response.status, body: await response.text() });
        }
      },
    });
    expect(serve.code, serve.stderr).toBe(0);
    expect(served.map((s) => s.status)).toEqual([200, 200, 200]);
    expect(served[0]?.body).toMatch(/<html/i);
    expect(served[1]?.body).toBe(readFileSync(join(ROOT, 'src', 'web', 'assets', 'app.js'), 'utf8'));
  }, 120_000);
});

describeWithBroker('the installed README', () => {
  it("runs the result backend's example against the installed package on SQLite", async () => {
    const readme = readFileSync(join(APP, 'node_modules', 'prisma-celery', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Result backend'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code, 'no ```ts block in the README\'s "Result backend" section').toBeDefined();
    writeFileSync(join(APP, 'backend-example.ts'), code ?? '');
    writeFileSync(
      join(APP, 'tsconfig.example.json'),
      JSON.stringify({
        compilerOptions: { strict: true, target: 'ES2022', module: 'node16', moduleResolution: 'node16', types: ['node'], skipLibCheck: true, outDir: 'out' },
        files: ['backend-example.ts'],
      }),
    );
    ok(await run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.example.json'], { cwd: APP }), 'tsc');

    const databaseUrl = `file:${join(APP, 'example.db')}`;
    ok(await run('npx', ['--no-install', 'prisma-celery', 'migrate', 'deploy', '--database-url', databaseUrl], { cwd: APP }), 'migrate deploy');
    const ran = await run(process.execPath, ['out/backend-example.js'], { cwd: APP, env: userEnv({ DATABASE_URL: databaseUrl, BROKER_URL: testBrokerUrl() }) });
    const printed = ok(ran, 'the example');
    expect(ran.stderr).toBe('');
    const expected = code!
      .split('\n')
      .filter((line) => line.includes('// → '))
      .map((line) => line.slice(line.indexOf('// → ') + '// → '.length).trim());
    expect(expected.length).toBeGreaterThan(2);
    let at = 0;
    const lines = printed.split('\n');
    for (const wanted of expected) {
      const found = lines.findIndex((line, i) => i >= at && line.includes(wanted));
      expect(found, `"${wanted}" not printed (in order); it printed:\n${printed}`).toBeGreaterThanOrEqual(0);
      at = found + 1;
    }
  }, 120_000);
});
