import { describe, expect, expectTypeOf, it } from 'vitest';
import { resolveSetting, resolveSettings } from '../../src/config/resolve.js';
import { setting } from '../../src/config/setting.js';
import { brokerUrl, configFile, databaseUrl, logLevel, settingsTable } from '../../src/config/settings.js';
import { types } from '../../src/config/types.js';
import { ConfigError } from '../../src/errors.js';

const maxInterval = setting({
  key: 'maxInterval',
  flag: 'max-interval',
  env: 'MAX_INTERVAL',
  type: types.integer({ min: 1, max: 300, unit: 'seconds' }),
  default: 300,
  description: 'longest sleep between ticks',
});
const expires = setting({
  key: 'expires',
  flag: 'expires',
  env: 'EXPIRES',
  type: types.duration(),
  description: 'no default',
});
const spec = [maxInterval, expires] as const;
const file = (values: Record<string, unknown>) => ({ name: 'prisma-celery.config.json', values });

describe('resolveSettings', () => {
  it('takes a flag over the environment over the config file over the default', () => {
    const flags = { 'max-interval': '10' };
    const env = { MAX_INTERVAL: '20' };
    const fromFile = file({ maxInterval: 30 });
    expect(resolveSettings(spec, { flags, env, file: fromFile }).maxInterval).toBe(10);
    expect(resolveSettings(spec, { env, file: fromFile }).maxInterval).toBe(20);
    expect(resolveSettings(spec, { file: fromFile }).maxInterval).toBe(30);
    expect(resolveSettings(spec, {}).maxInterval).toBe(300);
  });

  it('says where each value came from', () => {
    expect(resolveSetting(maxInterval, { flags: { 'max-interval': '10' } }).from).toBe('--max-interval');
    expect(resolveSetting(maxInterval, { env: { MAX_INTERVAL: '10' } }).from).toBe('MAX_INTERVAL');
    expect(resolveSetting(maxInterval, { file: file({ maxInterval: 10 }) }).from).toBe(
      'prisma-celery.config.json "maxInterval"',
    );
    expect(resolveSetting(maxInterval, {}).from).toBeUndefined();
  });

  it('treats an empty environment variable and an undefined file entry as unset', () => {
    expect(resolveSettings(spec, { env: { MAX_INTERVAL: '' }, file: file({ maxInterval: 30 }) }).maxInterval).toBe(30);
    expect(resolveSettings(spec, { file: file({ maxInterval: undefined }) }).maxInterval).toBe(300);
  });

  it('leaves a setting without a default undefined, and types it so', () => {
    const resolved = resolveSettings(spec, {});
    expect(resolved.expires).toBeUndefined();
    expectTypeOf(resolved).toEqualTypeOf<{ maxInterval: number; expires: number | undefined }>();
    expectTypeOf(resolveSettings([databaseUrl, logLevel], {})).toEqualTypeOf<{
      databaseUrl: string;
      logLevel: 'debug' | 'info' | 'warn' | 'error';
    }>();
  });

  it('names the setting and its source in one line when a value is bad', () => {
    const attempt = (sources: Parameters<typeof resolveSettings>[1]) => () => resolveSettings(spec, sources);
    expect(attempt({ flags: { expires: '3x' } })).toThrow(
      new ConfigError('--expires: "3x" is not a duration (use e.g. 90s, 5m, 2h, 1d)'),
    );
    expect(attempt({ env: { MAX_INTERVAL: '0' } })).toThrow(
      new ConfigError('MAX_INTERVAL: must be between 1 and 300 seconds, got 0'),
    );
    expect(attempt({ file: file({ maxInterval: 301 }) })).toThrow(
      new ConfigError('prisma-celery.config.json "maxInterval": must be between 1 and 300 seconds, got 301'),
    );
  });

  it('rejects config file keys that no setting has, naming them all', () => {
    expect(() => resolveSettings(spec, {}, settingsTable)).not.toThrow();
    expect(() => resolveSettings(spec, { file: file({ maxInterval: 5, maxIntervall: 5, expiry: '1d' }) })).toThrow(
      new ConfigError(
        'prisma-celery.config.json: unknown settings "maxIntervall", "expiry" (known: maxInterval, expires)',
      ),
    );
  });

  it("accepts keys of other commands' settings when given the whole table", () => {
    const shared = file({ databaseUrl: 'file:/tmp/x.db', brokerUrl: 'amqp://rabbit' });
    expect(resolveSettings([databaseUrl], { file: shared }, settingsTable)).toEqual({ databaseUrl: 'file:/tmp/x.db' });
    expect(() => resolveSettings([databaseUrl], { file: shared })).toThrow(/unknown setting "brokerUrl"/);
  });

  it('never reads the config file path from the config file itself', () => {
    expect(() => resolveSettings([databaseUrl], { file: file({ configFile: 'other.json' }) }, settingsTable)).toThrow(
      `unknown setting "configFile" (known: ${settingsTable.filter((s) => s.inFile).map((s) => s.key).join(', ')})`,
    );
  });
});

describe('the settings table', () => {
  it('has defaults that pass their own validation, with SQLite paths made absolute', () => {
    expect(resolveSettings([databaseUrl, brokerUrl, logLevel], { cwd: '/srv/app' })).toEqual({
      databaseUrl: 'file:/srv/app/prisma-celery.db',
      brokerUrl: 'amqp://guest:guest@127.0.0.1:5672//',
      logLevel: 'info',
    });
    expect(resolveSetting(configFile, {}).value).toBeUndefined();
  });

  it('gives each setting its own key, flag and environment variable', () => {
    for (const field of ['key', 'flag', 'env'] as const) {
      const names = settingsTable.map((row) => row[field]);
      expect(new Set(names).size, field).toBe(names.length);
    }
  });
});
