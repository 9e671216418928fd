// The README's parts that are generated from or quoted from the code, so
// they cannot drift: the configuration table (from the settings table and
// the commands that read each setting) and the DST policy (quoted from the
// crontab module's header). `UPDATE_README=1` rewrites the table.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { commands } from '../../src/cli/commands/index.js';
import type { Setting } from '../../src/config/setting.js';
import { configFile, settingsTable } from '../../src/config/settings.js';

const README = new URL('../../README.md', import.meta.url);
const CRONTAB = new URL('../../src/scheduler/schedules/crontab.ts', import.meta.url);
const START = /<!-- settings-table:(?! end)[^\n]*-->\n/;
const END = '<!-- settings-table: end -->';

const code = (text: string): string => `\`${text}\``;
// A pipe ends a cell even inside backticks in GitHub's tables: escaped, it shows as a pipe.
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The configuration table: one row per setting, every source and default, and the commands that read it. */
async function settingsMarkdown(): Promise<string> {
  const readers = new Map<Setting, string[]>();
  for (const entry of commands) {
    const command = await entry.load();
    for (const setting of [...command.settings, configFile]) readers.set(setting, [...(readers.get(setting) ?? []), entry.name]);
  }
  const rows = settingsTable.map((setting: Setting) => {
    const flag = setting.type.flagType === 'boolean' ? `--${setting.flag}, --no-${setting.flag}` : `--${setting.flag} ${setting.type.placeholder}`;
    return [
      code(flag),
      code(setting.env),
      setting.inFile ? code(setting.key) : '—',
      setting.default === undefined ? '—' : code(String(setting.default)),
      (readers.get(setting) ?? []).join(', '),
      setting.description,
    ].map(cell);
  });
  const header = ['flag', 'environment variable', 'config file key', 'default', 'commands', 'what it sets'];
  return [header, header.map(() => '---'), ...rows].map((row) => `| ${row.join(' | ')} |`).join('\n');
}

/** The lines between "DST policy." and "How croner is made to follow it", without the comment markers. */
function dstPolicy(): string {
  const lines = readFileSync(CRONTAB, 'utf8').split('\n');
  const from = lines.findIndex((line) => line.includes('DST policy.'));
  const to = lines.findIndex((line) => line.includes('How croner is made to follow it'));
  return lines
    .slice(from + 2, to)
    .map((line) => line.replace(/^\/\/ ?/, ''))
    .join('\n')
    .trim();
}

const words = (text: string): string => text.replace(/\s+/g, ' ').trim();

describe('README', () => {
  it('has the configuration table of every setting, as the code defines them', async () => {
    const readme = readFileSync(README, 'utf8');
    const start = START.exec(readme);
    const end = readme.indexOf(END);
    expect(start, 'the README lost its settings-table markers').not.toBeNull();
    expect(end).toBeGreaterThan(start?.index ?? 0);
    const from = (start?.index ?? 0) + (start?.[0].length ?? 0);
    const wanted = `${await settingsMarkdown()}\n`;
    if (process.env.UPDATE_README === '1') {
      writeFileSync(README, readme.slice(0, from) + wanted + readme.slice(end));
      return;
    }
    expect(readme.slice(from, end), 'the table is stale: run UPDATE_README=1 npx vitest run tests/unit/readme-settings.test.ts').toBe(wanted);
  });

  it('lists every setting once, and every command that reads it', async () => {
    const table = await settingsMarkdown();
    for (const setting of settingsTable) expect(table.split(`\`${setting.env}\``)).toHaveLength(2);
    expect(table).toMatch(/`--database-url <url>` \| `DATABASE_URL` \| `databaseUrl` \| `file:\.\/prisma-celery\.db` \| migrate, cam, beat, schedule, serve, worker, cleanup \|/);
  });

  it('quotes the DST policy as the crontab module states it', () => {
    const readme = readFileSync(README, 'utf8');
    const quoted = readme
      .split('\n')
      .filter((line) => line.startsWith('>'))
      .map((line) => line.replace(/^> ?/, ''))
      .join('\n');
    const policy = dstPolicy();
    expect(policy.length).toBeGreaterThan(500);
    expect(words(quoted)).toContain(words(policy));
  });
});
