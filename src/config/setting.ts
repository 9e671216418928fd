import type { SettingType } from './types.js';

/** A value as a user would write it in a flag, an environment variable or a config file. */
export type RawValue = string | number | boolean;

/** One row of the settings table. */
export interface Setting<
  K extends string = string,
  V = unknown,
  D extends RawValue | undefined = RawValue | undefined,
> {
  /** Name in the resolved settings object and key in the config file. */
  readonly key: K;
  /** Long flag without its dashes. */
  readonly flag: string;
  readonly env: string;
  readonly type: SettingType<V>;
  /**
   * Written as a user would write it and parsed like any other source, so a
   * default follows the same rules (a relative SQLite path is made absolute
   * from the working directory) and help shows it as typed.
   */
  readonly default: D;
  /** One line for help. */
  readonly description: string;
  /** False only for the setting that chooses the config file itself. */
  readonly inFile: boolean;
}

/** What resolving `S` gives: each setting's value by key, undefined only where there is no default. */
export type Resolved<S extends readonly Setting[]> = {
  [E in S[number] as E['key']]: E extends Setting<string, infer V, infer D>
    ? D extends undefined
      ? V | undefined
      : V
    : never;
};

/** Declares a row of the settings table, keeping its key and value types for Resolved. */
export function setting<const K extends string, V, const D extends RawValue | undefined = undefined>(row: {
  key: K;
  flag: string;
  env: string;
  type: SettingType<V>;
  default?: D;
  description: string;
  inFile?: false;
}): Setting<K, V, D> {
  return { ...row, default: row.default as D, inFile: row.inFile ?? true };
}
