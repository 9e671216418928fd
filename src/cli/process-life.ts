// What the long-running commands (beat, cam, serve) share about living in
// a process: log levels, and stopping on a signal.

export type Level = 'debug' | 'info' | 'warn' | 'error';

const RANK: Readonly<Record<Level, number>> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Whether a line of `level` is shown when the threshold is `threshold`. */
export const shows = (level: Level, threshold: Level): boolean => RANK[level] >= RANK[threshold];

/**
 * Resolves with the first SIGINT or SIGTERM, then stops listening, so a
 * second signal gets Node's default (exit) while the command winds down.
 */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}
