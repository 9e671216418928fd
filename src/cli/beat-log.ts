// How beat's events are logged, by the beat command and the demo alike.
import { causeLine } from '../db/adapter-error.js';
import type { BeatEvent } from '../scheduler/events.js';
import type { Level } from './log.js';

/** How much a beat event matters: problems warn or err, the routine is info, a lost race debug. */
export function levelOf(event: BeatEvent): Level {
  switch (event.type) {
    case 'run-taken':
      return 'debug';
    case 'entry-disabled':
    case 'publish-failed':
    case 'broker-trouble':
    case 'heartbeat-failed':
      return 'warn';
    case 'run-lost':
    case 'tick-failed':
    case 'close-failed':
      return 'error';
    default:
      return 'info';
  }
}

// Failures that recur while the database or broker is away fold by their cause, not by their retry count.
export function foldOf(event: BeatEvent): string | undefined {
  switch (event.type) {
    case 'tick-failed':
      return `tick-failed ${causeLine(event.error)}`;
    case 'publish-failed':
      return `publish-failed ${event.entry} ${causeLine(event.error)}`;
    case 'heartbeat-failed':
      return `heartbeat-failed ${causeLine(event.error)}`;
    default:
      return undefined;
  }
}
