/**
 * The one log line format of the package: `<ISO time> <LEVEL> <component>
 * <message>`. The commands log through src/cli/log.ts; the library parts,
 * when the caller gave no listener of their own, print their problems with
 * printProblem, in the same format.
 */

export type Level = 'debug' | 'info' | 'warn' | 'error';

/** Control characters shown as escapes, so a value carrying a newline or an ANSI code stays on one visible line. */
export function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (char) => {
    const named: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    return named[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

/** One log line: `2026-01-02T03:04:05.678Z WARN  cam      snapshot failed (…)`. */
export function formatLine(at: Date, level: Level, component: string, message: string): string {
  return `${at.toISOString()} ${level.toUpperCase().padEnd(5)} ${component.padEnd(8)} ${escapeControls(message)}`;
}

/** A problem on stderr as one line; the error contributes the first line of its message, never its stack. */
export function printProblem(level: 'warn' | 'error', component: string, message: string, error?: unknown): void {
  const cause = error === undefined ? '' : `: ${firstLine(error instanceof Error ? error.message || error.name : String(error))}`;
  process.stderr.write(`${formatLine(new Date(), level, component, message + cause)}\n`);
}

const firstLine = (text: string): string => text.split('\n').map((line) => line.trim()).find((line) => line !== '') ?? '';
