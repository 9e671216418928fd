import type { Origins } from '../config/resolve.js';
import type { Resolved, Setting } from '../config/setting.js';
import { PrismaCeleryError } from '../errors.js';
import type { Checks } from './checks.js';

/** The command line itself is wrong (unknown flag, missing action); the CLI adds a hint to run --help. */
export class UsageError extends PrismaCeleryError {
  constructor(message: string) {
    super('E_USAGE', message);
  }
}

export interface CommandContext<S extends readonly Setting[]> {
  /** Arguments after the command name that are not flags. */
  readonly positionals: readonly string[];
  readonly settings: Resolved<S>;
  /** Writes one line of results to stdout. */
  readonly out: (line: string) => void;
  /** Writes one line of diagnostics to stderr. */
  readonly err: (line: string) => void;
  /** Where each setting came from (see describeOrigin), undefined for a default. */
  readonly origins: Origins;
  /** Looks at the database and the broker before the command relies on them. */
  readonly check: Checks;
}

/** One subcommand: what help shows about it, the settings it reads, and what it does. */
export interface Command<S extends readonly Setting[] = readonly Setting[]> {
  /** After `prisma-celery`, e.g. `migrate <deploy|status> [options]`. */
  readonly usage: string;
  readonly description: string;
  /** Positional actions with one line each, for help. */
  readonly actions?: Readonly<Record<string, string>>;
  /** Rows of the settings table this command reads; its flags and help come from them. */
  readonly settings: S;
  /** Resolves to the exit code. */
  run(context: CommandContext<S>): Promise<number>;
}

/** Keeps the settings list's exact type, so `run` sees each setting's own value type. */
export const defineCommand = <const S extends readonly Setting[]>(command: Command<S>): Command<S> => command;
