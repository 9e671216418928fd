// What `control` and `inspect` share: a started Control for --broker, and
// the workers' answers printed as a table (or JSON by hostname), with one
// line on stderr for workers that did not answer and junk that was ignored.
import type { Gathered } from '../control/control.js';
import type { Control } from '../control/control.js';
import { replyError } from '../control/pidbox.js';
import type { JsonValue } from '../core/protocol/json-value.js';
import type { Checks } from './checks.js';
import { UsageError } from './command.js';
import { escapeControls } from './log.js';

export interface ControlSettings {
  brokerUrl: string;
  controlTimeout: number;
  controlDestination: string[] | undefined;
  jsonOutput: boolean;
}

export async function withControl(check: Checks, settings: ControlSettings, work: (control: Control) => Promise<number>): Promise<number> {
  await check.broker();
  // Loaded once the checks pass: a wrong flag is answered without loading a broker client.
  const { Control } = await import('../control/control.js');
  await using control = new Control({ brokerUrl: settings.brokerUrl, timeoutMs: settings.controlTimeout * 1000 });
  await control.start();
  return await work(control);
}

/** The call options the flags give. */
export const callOptions = (settings: ControlSettings): { destination?: string[] } =>
  settings.controlDestination === undefined ? {} : { destination: settings.controlDestination };

export interface Printer {
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * Prints what was gathered: `--json` the answers by hostname, else a table
 * of `header` and the rows `rows` makes of each worker's answer. Exit code 1
 * when no worker answered or one answered an error.
 */
export function printGathered<T>(
  gathered: Gathered<T>,
  settings: ControlSettings,
  io: Printer,
  table: { header: readonly string[]; rows: (hostname: string, reply: T) => string[][] },
): number {
  const hosts = Object.keys(gathered.replies).sort();
  if (settings.jsonOutput) io.out(JSON.stringify(gathered.replies));
  else if (hosts.length > 0) {
    const rows = hosts.flatMap((host) => {
      const reply = gathered.replies[host] as T;
      const error = replyError(reply as JsonValue);
      return error === null ? table.rows(host, reply) : [[host, `error: ${error}`]];
    });
    printTable([table.header, ...rows], io.out);
  }
  if (gathered.malformed > 0) io.err(`prisma-celery: ignored ${gathered.malformed} message(s) on the reply queue that were no worker's answer`);
  const within = `within ${settings.controlTimeout} s`;
  if (gathered.missing.length > 0) io.err(`prisma-celery: no answer ${within} from ${gathered.missing.join(', ')} (is the hostname right? see prisma-celery inspect ping)`);
  else if (hosts.length === 0) io.err(`prisma-celery: no worker answered ${within} (are workers running on this broker? a longer --timeout may help)`);
  const failed = hosts.some((host) => replyError(gathered.replies[host] as JsonValue) !== null);
  return hosts.length === 0 || failed ? 1 : 0;
}

function printTable(rows: readonly (readonly string[])[], out: (line: string) => void): void {
  const clean = rows.map((row) => row.map((cell) => escapeControls(cell)));
  const widths = (clean[0] ?? []).map((_, i) => Math.max(...clean.map((row) => (row[i] ?? '').length)));
  for (const row of clean) out(row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
}

/** `{ok: text}` → text; anything else as JSON. */
export function answerText(reply: JsonValue): string {
  if (reply !== null && typeof reply === 'object' && !Array.isArray(reply) && typeof reply.ok === 'string') return reply.ok;
  return JSON.stringify(reply);
}

/** Throws the usage line unless `args` has between `min` and `max` items. */
export function expectArgs(args: readonly string[], min: number, max: number, usage: string): void {
  if (args.length < min || args.length > max) {
    throw new UsageError(`usage: prisma-celery ${usage}${args.length > max ? ` (extra: ${args.slice(max).join(' ')})` : ''}`);
  }
}
