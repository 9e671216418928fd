import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { RawValue, Setting } from '../config/setting.js';
import { UsageError } from './command.js';

type Options = NonNullable<ParseArgsConfig['options']>;

// Positionals carry a command's action; --no-<flag> turns a boolean setting off.
const common = { allowPositionals: true, allowNegative: true } as const;

export interface CommandLine {
  readonly flags: Readonly<Record<string, RawValue | undefined>>;
  readonly positionals: string[];
}

/** util.parseArgs options for these settings, plus -h/--help. */
export function flagOptions(settings: readonly Setting[]): Options {
  const options: Options = { help: { type: 'boolean', short: 'h' } };
  for (const setting of settings) options[setting.flag] = { type: setting.type.flagType };
  return options;
}

/** Parses strictly: an unknown flag or a flag without its value is a UsageError. */
export function parseCommandLine(args: readonly string[], options: Options): CommandLine {
  try {
    const { values, positionals } = parseArgs({ ...common, args: joinDashValues(args, options), options, strict: true });
    return { flags: values as Record<string, RawValue | undefined>, positionals };
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw error;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw new UsageError(`unknown option ${unknownOption(args, options)}`);
    }
    throw new UsageError((error as Error).message);
  }
}

/**
 * `--every -5s` as `--every=-5s`: util.parseArgs takes a value that starts
 * with a dash for a flag and refuses it, so a negative number or a crontab
 * such as "-1 * * * *" would never reach the check that explains what is
 * wrong with it. A following word that is itself one of the flags stays a
 * flag (`--crontab --every 5s` still says --crontab lacks its value).
 */
function joinDashValues(args: readonly string[], options: Options): string[] {
  const isFlag = (word: string): boolean => {
    const long = /^--(?:no-)?([^=]+)/.exec(word)?.[1];
    if (long !== undefined) return options[long] !== undefined;
    return Object.values(options).some((option) => option.short !== undefined && word === `-${option.short}`);
  };
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const word = args[i] ?? '';
    if (word === '--') {
      joined.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const name = /^--([^=]+)$/.exec(word)?.[1];
    if (name !== undefined && options[name]?.type === 'string' && next?.startsWith('-') === true && next !== '--' && !isFlag(next)) {
      joined.push(`${word}=${next}`);
      i++;
    } else {
      joined.push(word);
    }
  }
  return joined;
}

// Node's own message for this case is a paragraph about `--`; this names the flag alone.
function unknownOption(args: readonly string[], options: Options): string {
  const { tokens } = parseArgs({ ...common, args: [...args], options, strict: false, tokens: true });
  const isKnown = (name: string, rawName: string): boolean =>
    options[name] !== undefined && (!rawName.startsWith('--no-') || options[name].type === 'boolean');
  const token = tokens.find((t) => t.kind === 'option' && !isKnown(t.name, t.rawName));
  return token?.kind === 'option' ? token.rawName : args.join(' ');
}
