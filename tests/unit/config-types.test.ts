import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.js';
import { resolveSetting } from '../../src/config/resolve.js';
import { setting } from '../../src/config/setting.js';
import { brokerUrl, databaseUrl, logLevel } from '../../src/config/settings.js';
import { types, type SettingType } from '../../src/config/types.js';

const row = <V>(type: SettingType<V>) =>
  setting({ key: 'value', flag: 'value', env: 'VALUE', type, description: 'under test' });

/** Resolves `raw` as given by the VALUE environment variable (or by the config file when not a string). */
function parse<V>(type: SettingType<V>, raw: unknown): V | undefined {
  const sources =
    typeof raw === 'string' ? { env: { VALUE: raw } } : { file: { name: 'config.json', values: { value: raw } } };
  return resolveSetting(row(type), { ...sources, cwd: '/srv/app' }).value;
}

describe('durations', () => {
  it.each([
    ['90s', 90],
    ['5m', 300],
    ['2h', 7_200],
    ['1d', 86_400],
    ['500ms', 0.5],
    ['2.5', 2.5],
    ['1.5m', 90],
    [' 10 ', 10],
    ['5 m', 300],
  ])('reads %j as %d seconds', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
    expect(parse(types.duration(), text)).toBe(seconds);
  });

  it.each(['3x', '', '-5s', '1h30m', 'm', '5M'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('takes a config file number as seconds', () => {
    expect(parse(types.duration(), 45)).toBe(45);
  });

  it('names the setting and suggests the forms when a duration is bad', () => {
    expect(() => parse(types.duration(), '3x')).toThrow('VALUE: "3x" is not a duration (use e.g. 90s, 5m, 2h, 1d)');
    expect(() => parse(types.duration(), -1)).toThrow('config.json "value": -1 is not a duration');
    expect(() => parse(types.duration(), true)).toThrow('config.json "value": true is not a duration');
  });

  it('shows bounds as durations', () => {
    expect(() => parse(types.duration({ min: 1, max: 86_400 }), '2d')).toThrow(
      'VALUE: must be between 1s and 1d, got 2d',
    );
    expect(() => parse(types.duration({ min: 0.5 }), '100ms')).toThrow('VALUE: must be at least 500ms, got 100ms');
  });

  it.each([
    [86_400, '1d'],
    [7_200, '2h'],
    [90, '90s'],
    [300, '5m'],
    [0.5, '500ms'],
    [2.5, '2500ms'],
    [0, '0s'],
  ])('formats %d seconds as %s', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('numbers', () => {
  it('reads whole numbers from text or a config file number', () => {
    expect(parse(types.integer(), '42')).toBe(42);
    expect(parse(types.integer(), 42)).toBe(42);
    expect(() => parse(types.integer(), '4.2')).toThrow('VALUE: "4.2" is not a whole number');
    expect(() => parse(types.integer(), 'lots')).toThrow('VALUE: "lots" is not a number');
    expect(() => parse(types.integer(), ' ')).toThrow('VALUE: " " is not a number');
    expect(() => parse(types.integer(), [1])).toThrow('config.json "value": [1] is not a number');
  });

  it('reads fractions for number settings', () => {
    expect(parse(types.number(), '0.25')).toBe(0.25);
    expect(() => parse(types.number(), 'NaN')).toThrow('VALUE: "NaN" is not a number');
  });

  it('states the bounds with their unit', () => {
    const maxInterval = types.integer({ min: 1, max: 300, unit: 'seconds' });
    expect(parse(maxInterval, '1')).toBe(1);
    expect(parse(maxInterval, '300')).toBe(300);
    expect(() => parse(maxInterval, '301')).toThrow('VALUE: must be between 1 and 300 seconds, got 301');
    expect(() => parse(types.number({ min: 0 }), '-0.5')).toThrow('VALUE: must be at least 0, got -0.5');
    expect(() => parse(types.integer({ max: 10, unit: 'workers' }), '11')).toThrow(
      'VALUE: must be at most 10 workers, got 11',
    );
  });
});

describe('booleans, choices and text', () => {
  it('reads the usual words for booleans from the environment', () => {
    for (const word of ['true', 'YES', 'on', '1']) expect(parse(types.boolean(), word)).toBe(true);
    for (const word of ['false', 'no', 'Off', '0']) expect(parse(types.boolean(), word)).toBe(false);
    expect(parse(types.boolean(), false)).toBe(false);
    expect(() => parse(types.boolean(), 'maybe')).toThrow('VALUE: "maybe" is not a boolean (use true or false)');
    expect(() => parse(types.boolean(), 1)).toThrow('config.json "value": 1 is not a boolean');
  });

  it('lists the choices when a value is not one of them', () => {
    expect(parse(logLevel.type, 'warn')).toBe('warn');
    expect(() => parse(logLevel.type, 'verbose')).toThrow(
      'VALUE: "verbose" is not one of debug, info, warn, error',
    );
  });

  it('wants non-empty text', () => {
    expect(parse(types.text(), 'x')).toBe('x');
    expect(() => parse(types.text(), '  ')).toThrow('VALUE: must not be empty');
    expect(() => parse(types.text(), 5)).toThrow('config.json "value": expected a string, got 5');
  });
});

describe('URLs', () => {
  it('validates database URLs with parseDatabaseUrl and makes SQLite paths absolute', () => {
    expect(parse(databaseUrl.type, 'file:./celery.db')).toBe('file:/srv/app/celery.db');
    expect(parse(databaseUrl.type, 'postgresql://u:p@db/app')).toBe('postgresql://u:p@db/app');
    expect(() => parse(databaseUrl.type, 'mongodb://u:secret@db/app')).toThrow(
      'VALUE: database URL "mongodb://u:***@db/app" has an unknown scheme',
    );
    expect(() => parse(databaseUrl.type, 'mysql://db')).toThrow('VALUE: database URL "mysql://db" names no database');
  });

  it('takes amqp(s):// and redis(s):// broker URLs, and never shows a password', () => {
    expect(parse(brokerUrl.type, 'amqps://u:p@rabbit:5671/vhost')).toBe('amqps://u:p@rabbit:5671/vhost');
    expect(parse(brokerUrl.type, 'redis://u:secret@cache:6379/2')).toBe('redis://u:secret@cache:6379/2');
    expect(() => parse(brokerUrl.type, 'kafka://u:secret@cache:9092')).toThrow(
      'VALUE: "kafka://u:***@cache:9092" is not a broker URL (use amqp://, amqps://, redis://, rediss:// or redis+socket://)',
    );
    expect(() => parse(brokerUrl.type, 'redis://u:secret@cache:6379/cache')).toThrow(
      'VALUE: "redis://u:***@cache:6379/cache" names database "cache": a Redis database is a number (redis://host:6379/0)',
    );
    expect(() => parse(brokerUrl.type, 'rabbit:5672')).toThrow('is not a broker URL');
    expect(() => parse(brokerUrl.type, 'amqp://')).toThrow('VALUE: "amqp://" names no host');
  });
});
