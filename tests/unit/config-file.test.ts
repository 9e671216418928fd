import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/file.js';
import { ConfigError } from '../../src/errors.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prisma-celery-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const write = (name: string, text: string) => writeFile(join(dir, name), text);

describe('loadConfigFile', () => {
  it('finds nothing in a directory without a config file', async () => {
    expect(await loadConfigFile(dir)).toBeUndefined();
  });

  it('reads prisma-celery.config.json', async () => {
    await write('prisma-celery.config.json', '{ "databaseUrl": "file:./x.db", "maxInterval": 5 }');
    expect(await loadConfigFile(dir)).toEqual({
      name: 'prisma-celery.config.json',
      values: { databaseUrl: 'file:./x.db', maxInterval: 5 },
    });
  });

  it('reads the default export of prisma-celery.config.mjs', async () => {
    await write('prisma-celery.config.mjs', 'export default { logLevel: "debug" };');
    expect(await loadConfigFile(dir)).toEqual({ name: 'prisma-celery.config.mjs', values: { logLevel: 'debug' } });
  });

  it('reads .js before .mjs before .json, and only the first found', async () => {
    await write('package.json', '{ "type": "module" }');
    await write('prisma-celery.config.json', '{ not json');
    await write('prisma-celery.config.mjs', 'export default { logLevel: "warn" };');
    await write('prisma-celery.config.js', 'export default { logLevel: "error" };');
    expect(await loadConfigFile(dir)).toEqual({ name: 'prisma-celery.config.js', values: { logLevel: 'error' } });
  });

  it('reads the file chosen by --config or PRISMA_CELERY_CONFIG instead, relative to the working directory', async () => {
    await write('prisma-celery.config.json', '{ "logLevel": "info" }');
    await mkdir(join(dir, 'deploy'));
    await write('deploy/celery.json', '{ "logLevel": "warn" }');
    expect(await loadConfigFile(dir, { path: 'deploy/celery.json', from: '--config' })).toEqual({
      name: 'deploy/celery.json',
      values: { logLevel: 'warn' },
    });
  });

  it('names the setting that chose a missing or unreadable file', async () => {
    await expect(loadConfigFile(dir, { path: 'nope.json', from: 'PRISMA_CELERY_CONFIG' })).rejects.toThrow(
      new ConfigError('PRISMA_CELERY_CONFIG "nope.json": no such file'),
    );
    await write('celery.yaml', 'logLevel: info');
    await expect(loadConfigFile(dir, { path: 'celery.yaml', from: '--config' })).rejects.toThrow(
      new ConfigError('--config "celery.yaml": a config file must end in .js, .mjs or .json'),
    );
  });

  it('names the file when its JSON does not parse', async () => {
    await write('prisma-celery.config.json', '{ "logLevel": "info", }');
    const error = await loadConfigFile(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/^prisma-celery\.config\.json: invalid JSON: /);
    expect((error as ConfigError).message).not.toContain('\n');
  });

  it('wants an object of settings', async () => {
    await write('prisma-celery.config.json', '["databaseUrl"]');
    await expect(loadConfigFile(dir)).rejects.toThrow('prisma-celery.config.json: must hold an object of settings');
    await write('no-default.mjs', 'export const logLevel = "info";');
    await expect(loadConfigFile(dir, { path: 'no-default.mjs', from: '--config' })).rejects.toThrow(
      'no-default.mjs: must export default an object of settings',
    );
  });

  it('reports a config module that throws while loading as a config error', async () => {
    await write('prisma-celery.config.mjs', 'throw new Error("SECRET_KEY is not set");');
    await expect(loadConfigFile(dir)).rejects.toThrow(
      new ConfigError('prisma-celery.config.mjs: could not be loaded: SECRET_KEY is not set'),
    );
  });
});
