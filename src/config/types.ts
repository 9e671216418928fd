import { checkBrokerUrl, checkResultBackendUrl } from '../broker/url.js';
import { parseDatabaseUrl } from '../db/url.js';
import { ConfigError } from '../errors.js';
import { formatDuration, parseDuration } from './duration.js';

export interface ParseContext {
  /** Relative SQLite paths are made absolute from here, once, so every part opens the same file. */
  readonly cwd: string;
}

/**
 * How one setting's raw value becomes a typed one. `raw` is a string when it
 * comes from a flag or an environment variable (a boolean for boolean flags),
 * and any value when it comes from a config file. `parse` throws a
 * ConfigError that says what is wrong; the resolver prefixes where it came from.
 */
export interface SettingType<V> {
  /** How util.parseArgs reads the flag. */
  readonly flagType: 'string' | 'boolean';
  /** Shown after the flag in help, e.g. `<url>`; empty for boolean flags. */
  readonly placeholder: string;
  parse(raw: unknown, context: ParseContext): V;
}

const shown = (raw: unknown): string => JSON.stringify(raw) ?? String(raw);

// Passwords in URLs must not reach terminals or logs.

function requireString(raw: unknown): string {
  if (typeof raw !== 'string') throw new ConfigError(`expected a string, got ${shown(raw)}`);
  if (raw.trim() === '') throw new ConfigError('must not be empty');
  return raw;
}

// Numbers may come from a config file as numbers or from anywhere as text.
function requireNumber(raw: unknown, integer: boolean): number {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(value)) throw new ConfigError(`${shown(raw)} is not a number`);
  if (integer && !Number.isInteger(value)) throw new ConfigError(`${shown(raw)} is not a whole number`);
  return value;
}

export interface Bounds {
  readonly min?: number;
  readonly max?: number;
  /** Named in the bounds message: "must be between 1 and 300 seconds". */
  readonly unit?: string;
}

function checkBounds(value: number, { min, max, unit }: Bounds, format: (n: number) => string): number {
  if ((min === undefined || value >= min) && (max === undefined || value <= max)) return value;
  const range =
    min !== undefined && max !== undefined ? `between ${format(min)} and ${format(max)}`
    : min !== undefined ? `at least ${format(min)}`
    : `at most ${format(max ?? 0)}`;
  throw new ConfigError(`must be ${range}${unit ? ` ${unit}` : ''}, got ${format(value)}`);
}

const words = { true: true, yes: true, on: true, '1': true, false: false, no: false, off: false, '0': false };

export const types = {
  text: (placeholder = '<text>'): SettingType<string> => ({
    flagType: 'string',
    placeholder,
    parse: requireString,
  }),

  /** A database URL as parseDatabaseUrl accepts it; SQLite paths come back absolute. */
  databaseUrl: (): SettingType<string> => ({
    flagType: 'string',
    placeholder: '<url>',
    parse: (raw, { cwd }) => parseDatabaseUrl(requireString(raw), cwd).url,
  }),

  /** A broker URL: amqp(s):// or redis(s):// / redis+socket://, as checkBrokerUrl accepts it. */
  brokerUrl: (): SettingType<string> => ({
    flagType: 'string',
    placeholder: '<url>',
    parse: (raw) => checkBrokerUrl(requireString(raw)),
  }),

  /** Celery's Redis result backend: redis(s):// or redis+socket://, as checkResultBackendUrl accepts it. */
  resultBackendUrl: (): SettingType<string> => ({
    flagType: 'string',
    placeholder: '<url>',
    parse: (raw) => checkResultBackendUrl(requireString(raw)),
  }),

  integer: (bounds: Bounds = {}): SettingType<number> => ({
    flagType: 'string',
    placeholder: '<n>',
    parse: (raw) => checkBounds(requireNumber(raw, true), bounds, String),
  }),

  number: (bounds: Bounds = {}): SettingType<number> => ({
    flagType: 'string',
    placeholder: '<n>',
    parse: (raw) => checkBounds(requireNumber(raw, false), bounds, String),
  }),

  /** Seconds; bounds are in seconds too and are shown as durations. */
  duration: (bounds: Omit<Bounds, 'unit'> = {}): SettingType<number> => ({
    flagType: 'string',
    placeholder: '<duration>',
    parse(raw) {
      const seconds =
        typeof raw === 'string' ? parseDuration(raw)
        : typeof raw === 'number' && Number.isFinite(raw) && raw >= 0 ? raw
        : undefined;
      if (seconds === undefined) throw new ConfigError(`${shown(raw)} is not a duration (use e.g. 90s, 5m, 2h, 1d)`);
      return checkBounds(seconds, bounds, formatDuration);
    },
  }),

  boolean: (): SettingType<boolean> => ({
    flagType: 'boolean',
    placeholder: '',
    parse(raw) {
      if (typeof raw === 'boolean') return raw;
      const word = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
      if (word !== undefined && Object.hasOwn(words, word)) return words[word as keyof typeof words];
      throw new ConfigError(`${shown(raw)} is not a boolean (use true or false)`);
    },
  }),

  oneOf: <const V extends string>(values: readonly V[]): SettingType<V> => ({
    flagType: 'string',
    placeholder: `<${values.join('|')}>`,
    parse(raw) {
      const text = requireString(raw);
      if (!(values as readonly string[]).includes(text)) {
        throw new ConfigError(`${shown(raw)} is not one of ${values.join(', ')}`);
      }
      return text as V;
    },
  }),
};
