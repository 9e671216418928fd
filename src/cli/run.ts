import { readFile } from 'node:fs/promises';
import { loadConfigFile } from '../config/file.js';
import { resolveSetting, resolveSettings } from '../config/resolve.js';
import { configFile, settingsTable } from '../config/settings.js';
import { PrismaCeleryError } from '../errors.js';
import { UsageError } from './command.js';
import { commands } from './commands/index.js';
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
  try {
    return await dispatch(argv, io);
  } catch (error) {
    return report(error, argv, io);
  }
}

async function dispatch(argv: readonly string[], io: CliIo): Promise<number> {
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
  const settings = resolveSettings(command.settings, { ...sources, file }, settingsTable);
  const line = (stream: CliIo['stdout']) => (text: string) => void stream.write(`${text}\n`);
  return await command.run({ positionals, settings, out: line(io.stdout), err: line(io.stderr) });
}

// Exit codes: 2 for a wrong command line or setting (fix the invocation),
// 1 for a failure while working, as for most Unix tools.
function report(error: unknown, argv: readonly string[], io: CliIo): number {
  if (!(error instanceof PrismaCeleryError)) {
    const details = error instanceof Error ? (error.stack ?? error.message) : String(error);
    io.stderr.write(`prisma-celery: unexpected error\n${details}\n`);
    return 1;
  }
  io.stderr.write(`prisma-celery: ${error.message}\n`);
  if (error.code === 'E_USAGE') {
    const name = commands.find((command) => command.name === argv[0])?.name;
    io.stderr.write(`Run "prisma-celery ${name === undefined ? '' : `${name} `}--help" for usage.\n`);
  }
  return error.code === 'E_USAGE' || error.code === 'E_CONFIG' ? 2 : 1;
}

// Read at run time: package.json sits outside the compiled tree, two levels up from src/cli and dist/cli alike.
async function packageVersion(): Promise<string> {
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}
