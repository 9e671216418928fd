// What the long-running commands (beat, cam, serve) share about living in
// a process: stopping on a signal (their log is log.ts).

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
