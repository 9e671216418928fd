import { ConfigError } from '../errors.js';
import type { RawValue, Resolved, Setting } from './setting.js';

/** A config file's contents, and the name to show in its errors. */
export interface ConfigFile {
  readonly name: string;
  readonly values: Readonly<Record<string, unknown>>;
}

export interface SettingSources {
  /** Keyed by flag name without dashes, as util.parseArgs returns them. */
  readonly flags?: Readonly<Record<string, RawValue | undefined>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly file?: ConfigFile;
  /** Where relative paths in settings start from; process.cwd() when absent. */
  readonly cwd?: string;
}

/** A resolved value and where it came from (`--flag`, `ENV_VAR`, `file "key"`), undefined for a default. */
export interface SettingValue<V> {
  readonly value: V;
  readonly from: string | undefined;
}

interface Found {
  readonly raw: unknown;
  readonly from: string;
}

// Precedence: flag > environment > config file > default.
function find(setting: Setting, { flags, env, file }: SettingSources): Found | undefined {
  const flag = flags?.[setting.flag];
  if (flag !== undefined) return { raw: flag, from: `--${setting.flag}` };
  // An empty variable counts as unset: shells and compose files export `X=` to mean "not given".
  const variable = env?.[setting.env];
  if (variable !== undefined && variable !== '') return { raw: variable, from: setting.env };
  // A JS config may write `key: process.env.X`, which is undefined when X is unset.
  const entry = setting.inFile ? file?.values[setting.key] : undefined;
  if (entry !== undefined && file) return { raw: entry, from: `${file.name} "${setting.key}"` };
  return undefined;
}

/** Resolves one setting; a bad value throws a one-line ConfigError that names where it came from. */
export function resolveSetting<V, D extends RawValue | undefined>(
  setting: Setting<string, V, D>,
  sources: SettingSources,
): SettingValue<D extends undefined ? V | undefined : V> {
  type Result = D extends undefined ? V | undefined : V;
  const found =
    find(setting, sources) ?? (setting.default === undefined ? undefined : { raw: setting.default, from: undefined });
  if (found === undefined) return { value: undefined as Result, from: undefined };
  try {
    return { value: setting.type.parse(found.raw, { cwd: sources.cwd ?? process.cwd() }) as Result, from: found.from };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(`${found.from ?? `default of ${setting.key}`}: ${error.message}`, { cause: error });
  }
}

/**
 * Resolves every setting in `spec`. `known` lists every setting a config file
 * may name (the whole settings table, as one file serves every command);
 * any other key in the file is an error, since a misspelt key would
 * otherwise be silently ignored.
 */
export function resolveSettings<const S extends readonly Setting[]>(
  spec: S,
  sources: SettingSources,
  known: readonly Setting[] = spec,
): Resolved<S> {
  return resolveWithOrigins(spec, sources, known).values;
}

/** Where each resolved setting came from, by key, for messages about its value. */
export type Origins = Readonly<Record<string, string | undefined>>;

/** resolveSettings, plus where each value came from (undefined for a default). */
export function resolveWithOrigins<const S extends readonly Setting[]>(
  spec: S,
  sources: SettingSources,
  known: readonly Setting[] = spec,
): { values: Resolved<S>; origins: Origins } {
  if (sources.file) checkFileKeys(sources.file, known);
  const values: Record<string, unknown> = {};
  const origins: Record<string, string | undefined> = {};
  for (const setting of spec) {
    const resolved = resolveSetting(setting, sources);
    values[setting.key] = resolved.value;
    origins[setting.key] = resolved.from;
  }
  return { values: values as Resolved<S>, origins };
}

/**
 * Where a setting's value came from, for a message: `--database-url`,
 * `DATABASE_URL`, `prisma-celery.config.json "databaseUrl"`, or for a default
 * the three places it could have been given.
 */
export function describeOrigin(setting: Setting, from: string | undefined): string {
  if (from !== undefined) return from;
  const places = [`--${setting.flag}`, setting.env, ...(setting.inFile ? [`config "${setting.key}"`] : [])];
  return `the default: no ${places.join(', ')}`;
}

function checkFileKeys(file: ConfigFile, known: readonly Setting[]): void {
  const keys = known.filter((setting) => setting.inFile).map((setting) => setting.key);
  const unknown = Object.keys(file.values).filter((key) => !keys.includes(key));
  if (unknown.length === 0) return;
  const names = unknown.map((key) => `"${key}"`).join(', ');
  throw new ConfigError(
    `${file.name}: unknown setting${unknown.length > 1 ? 's' : ''} ${names} (known: ${keys.join(', ')})`,
  );
}
