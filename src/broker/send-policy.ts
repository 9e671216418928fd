// What every task publisher takes, whatever the transport: how often and
// how patiently one message is sent, and how long closing may take.
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '../errors.js';
import { consoleLog, type BrokerLog } from './log.js';

export interface PublishOptions {
  /** Sends of one message before giving up, 1..20. Default 5. */
  maxAttempts?: number;
  /** Pause before the second send, doubled for each further one. Default 200 ms. */
  retryDelayMs?: number;
  /** Longest pause between sends. Default 5000 ms. */
  maxRetryDelayMs?: number;
  /** How long one send may wait for the broker's confirm or reply (and any connecting). Default 30000 ms. */
  confirmTimeoutMs?: number;
  /**
   * How long close() waits for sends under way, and then for the broker to
   * acknowledge the close, before giving up on them. Default 2000 ms.
   */
  closeTimeoutMs?: number;
  /** Default: warnings and errors to the console. */
  log?: BrokerLog;
}

export type PublishSettings = Required<PublishOptions>;

/** The options with their defaults; a ConfigError for a value out of range. */
export function publishSettings(options: PublishOptions): PublishSettings {
  return {
    maxAttempts: bounded(options.maxAttempts, 5, 1, 20, 'maxAttempts'),
    retryDelayMs: bounded(options.retryDelayMs, 200, 0, 60_000, 'retryDelayMs'),
    maxRetryDelayMs: bounded(options.maxRetryDelayMs, 5000, 0, 300_000, 'maxRetryDelayMs'),
    confirmTimeoutMs: bounded(options.confirmTimeoutMs, 30_000, 1, 600_000, 'confirmTimeoutMs'),
    closeTimeoutMs: bounded(options.closeTimeoutMs, 2000, 0, 600_000, 'closeTimeoutMs'),
    log: options.log ?? consoleLog,
  };
}

/** Waits before another send after `attemptsSoFar` failed ones; false if `signal` (closing) ended the wait. */
export async function pauseBeforeRetry(settings: PublishSettings, attemptsSoFar: number, signal: AbortSignal): Promise<boolean> {
  const delay = Math.min(settings.maxRetryDelayMs, settings.retryDelayMs * 2 ** (attemptsSoFar - 1));
  try {
    await sleep(delay, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}

/** One send's wait for the broker ran out (confirmTimeoutMs). */
export class SendTimeout extends Error {
  constructor(ms: number, what: string) {
    super(`no ${what} within ${ms} ms`);
  }
}

/**
 * `work` (one send), until confirmTimeoutMs has passed (SendTimeout) or
 * `abandon` (close() giving up on sends under way) is aborted.
 */
export async function sendWithin(work: Promise<void>, settings: PublishSettings, what: string, abandon: AbortSignal): Promise<void> {
  const { confirmTimeoutMs } = settings;
  let timer: NodeJS.Timeout | undefined;
  let onAbandon = (): void => {};
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SendTimeout(confirmTimeoutMs, what)), confirmTimeoutMs);
    onAbandon = () => reject(new Error('abandoned by close()'));
    if (abandon.aborted) onAbandon();
    else abandon.addEventListener('abort', onAbandon, { once: true });
  });
  work.catch(() => {}); // it may settle after the timeout won
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    abandon.removeEventListener('abort', onAbandon);
  }
}

/** Waits for `work` at most `ms`; true if it settled in time. */
export async function within(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

function bounded(value: number | undefined, fallback: number, min: number, max: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be between ${min} and ${max} (got ${value})`);
  }
  return value;
}
