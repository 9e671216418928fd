import { packageVersion } from '../core/package-version.js';
import { loadConfigFile } from '../config/file.js';
import { resolveSetting, resolveWithOrigins, type Origins } from '../config/resolve.js';
import { configFile, settingsTable } from '../config/settings.js';
import { checks } from './checks.js';
import { UsageError } from './command.js';
import { commands } from './commands/index.js';
import { explain } from './explain.js';
import { escapeControls } from './log.js';
import { flagOptions, parseCommandLine } from './flags.js';
import { commandHelp, mainHelp } from './help.js';

/** What the CLI touches of its process, passed in so tests run it in-process. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** Runs `prisma-celery <argv>` and resolves to its exit code; never rejects. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const known: Known = { origins: {}, settings: {} };
  try {
    return await dispatch(argv, io, known);
  } catch (error) {
    return report(error, argv, io, known);
  }
}

/** What dispatch learnt before a failure, for the message about it. */
interface Known {
  origins: Origins;
  settings: Readonly<Record<string, unknown>>;
}

async function dispatch(argv: readonly string[], io: CliIo, known: Known): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stderr.write(mainHelp(commands));
    return 2;
  }
  if (name === '--help' || name === '-h') {
    io.stdout.write(mainHelp(commands));
    return 0;
  }
  if (name === '--version') {
    io.stdout.write(`${await packageVersion()}\n`);
    return 0;
  }
  const entry = commands.find((command) => command.name === name);
  if (!entry) throw new UsageError(name.startsWith('-') ? `unknown option ${name}` : `unknown command "${name}"`);

  const command = await entry.load();
  const { flags, positionals } = parseCommandLine(args, flagOptions([...command.settings, configFile]));
  if (flags.help === true) {
    io.stdout.write(commandHelp(command));
    return 0;
  }
  const sources = { flags, env: io.env, cwd: io.cwd };
  const chosen = resolveSetting(configFile, sources);
  const file = await loadConfigFile(
    io.cwd,
    chosen.value === undefined || chosen.from === undefined ? undefined : { path: chosen.value, from: chosen.from },
  );
  const { values: settings, origins } = resolveWithOrigins(command.settings, { ...sources, file }, settingsTable);
  Object.assign(known, { settings, origins });
  const line = (stream: CliIo['stdout']) => (text: string) => void stream.write(`${text}\n`);
  const err = line(io.stderr);
  return await command.run({ positionals, settings, out: line(io.stdout), err, origins, check: checks(settings, origins, err) });
}

// One line on stderr (see explain.ts for its exit code); the stack only at
// --log-level debug, for a bug report.
function report(error: unknown, argv: readonly string[], io: CliIo, known: Known): number {
  const text = (key: string): string | undefined => {
    const value = known.settings[key];
    return typeof value === 'string' ? value : undefined;
  };
  const { line, exitCode } = explain(error, {
    origins: known.origins,
    databaseUrl: text('databaseUrl'),
    brokerUrl: text('brokerUrl'),
    command: commands.find((command) => command.name === argv[0])?.name,
  });
  io.stderr.write(`prisma-celery: ${escapeControls(line)}\n`);
  const debug = (known.settings.logLevel ?? io.env.LOG_LEVEL) === 'debug';
  if (debug && error instanceof Error && error.stack !== undefined) io.stderr.write(`${error.stack}\n`);
  return exitCode;
}
