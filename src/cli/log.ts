/**
 * The log of the long-running commands (beat, cam, serve) and the demo:
 * one format, `<ISO time> <LEVEL> <component> <message>`, one line per
 * message, and warnings and errors folded: a message seen again within a
 * minute is counted instead of printed, and the count is printed when the
 * minute is over ("… (repeated 5000 times in the last 60 s)"), so a flood
 * of one problem costs two lines, not thousands.
 */

import { escapeControls, formatLine, type Level } from '../core/log-line.js';

export { escapeControls, formatLine, type Level };

const RANK: Readonly<Record<Level, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Whether a line of `level` is shown when the threshold is `threshold`. */
export const shows = (level: Level, threshold: Level): boolean => RANK[level] >= RANK[threshold];

export interface LoggerOptions {
  /** Least severe level printed. */
  readonly threshold: Level;
  /** Receives each finished line (without its newline). */
  readonly write: (line: string) => void;
  /** Default Date.now; tests move it. */
  readonly now?: () => number;
  /** How long repeats are folded. Default 60 s. */
  readonly windowMs?: number;
}

export interface Logger {
  /**
   * Logs `message`. Warnings and errors with the same `fold` key (by
   * default the message itself) within the window are counted, not printed;
   * give a key to fold messages that differ only in details (one per bad
   * event of a kind).
   */
  log(level: Level, component: string, message: string, fold?: string): void;
  /** A logger that writes as `component`. */
  for(component: string): ComponentLog;
  /** Prints the counts still open; call before exiting. */
  close(): void;
}

export type ComponentLog = (level: Level, message: string, fold?: string) => void;

interface Fold {
  readonly level: Level;
  readonly component: string;
  readonly since: number;
  readonly first: string;
  last: string;
  count: number;
}

export function createLogger(options: LoggerOptions): Logger {
  const { threshold, write } = options;
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? 60_000;
  const open = new Map<string, Fold>();
  let timer: NodeJS.Timeout | undefined;

  const emit = (at: number, level: Level, component: string, message: string): void =>
    write(formatLine(new Date(at), level, component, message));

  const summarise = (fold: Fold, at: number): void => {
    if (fold.count === 0) return;
    const seconds = Math.max(1, Math.round((at - fold.since) / 1000));
    const times = fold.count === 1 ? 'once' : `${fold.count} times`;
    const text = fold.last === fold.first ? `${fold.first} (repeated ${times} in the last ${seconds} s)` : `${fold.last} (${fold.count} like it in the last ${seconds} s)`;
    emit(at, fold.level, fold.component, text);
  };

  // Closes the windows that are over; wakes again for the next one to end.
  const sweep = (all: boolean): void => {
    const at = now();
    for (const [key, fold] of open) {
      if (!all && at - fold.since < windowMs) continue;
      summarise(fold, at);
      open.delete(key);
    }
    clearTimeout(timer);
    timer = undefined;
    if (open.size === 0 || all) return;
    const next = Math.min(...[...open.values()].map((fold) => fold.since + windowMs));
    timer = setTimeout(() => sweep(false), Math.max(0, next - at));
    timer.unref();
  };

  const log = (level: Level, component: string, message: string, fold?: string): void => {
    if (!shows(level, threshold)) return;
    const at = now();
    if (level === 'debug' || level === 'info') {
      emit(at, level, component, message);
      return;
    }
    const key = `${level}\u0000${component}\u0000${fold ?? message}`;
    const seen = open.get(key);
    if (seen !== undefined && at - seen.since < windowMs) {
      seen.count++;
      seen.last = message;
      return;
    }
    if (seen !== undefined) {
      summarise(seen, at);
      open.delete(key);
    }
    open.set(key, { level, component, since: at, first: message, last: message, count: 0 });
    emit(at, level, component, message);
    if (timer === undefined) sweep(false);
  };

  return {
    log,
    for: (component) => (level, message, fold) => log(level, component, message, fold),
    close: () => sweep(true),
  };
}
