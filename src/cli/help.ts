import type { Setting } from '../config/setting.js';
import { configFile } from '../config/settings.js';
import type { Command } from './command.js';
import type { CommandEntry } from './commands/index.js';

// Everything here is generated from the command list and the settings table, so help cannot drift from them.

const precedence = [
  'Each setting comes from its flag, else its environment variable, else the config file',
  '(--config PATH, or the first of prisma-celery.config.js, .mjs, .json in the working',
  'directory), else its default.',
];

const table = (rows: ReadonlyArray<readonly [string, string]>): string[] => {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
};

function wrap(text: string, width = 78): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}

export function mainHelp(commands: readonly CommandEntry[]): string {
  return [
    'Usage: prisma-celery <command> [options]',
    '',
    "Celery's result backend, database scheduler and snapshot camera on your Prisma database.",
    '',
    'Commands:',
    ...table(commands.map((command) => [command.name, command.summary])),
    '',
    'Options:',
    ...table([
      ['-h, --help', "Show this help; prisma-celery <command> --help lists a command's settings"],
      ['--version', 'Print the version'],
    ]),
    '',
    ...precedence,
    '',
  ].join('\n');
}

function describeSetting(setting: Setting): string[] {
  const flag =
    setting.type.flagType === 'boolean'
      ? `--${setting.flag}, --no-${setting.flag}`
      : `--${setting.flag} ${setting.type.placeholder}`;
  const sources = [
    `env ${setting.env}`,
    ...(setting.inFile ? [`config "${setting.key}"`] : []),
    ...(setting.default === undefined ? [] : [`default ${String(setting.default)}`]),
  ];
  return [`  ${flag}`, `      ${setting.description}`, `      ${sources.join(', ')}`];
}

export function commandHelp(command: Command): string {
  const actions = Object.entries(command.actions ?? {});
  return [
    `Usage: prisma-celery ${command.usage}`,
    '',
    ...wrap(command.description),
    ...(actions.length > 0 ? ['', 'Actions:', ...table(actions)] : []),
    '',
    'Options:',
    ...[...command.settings, configFile].flatMap(describeSetting),
    '  -h, --help',
    '      Show this help',
    '',
    ...precedence,
    '',
  ].join('\n');
}
