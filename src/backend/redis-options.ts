/**
 * RedisResultBackend's one options object: the fields it shares with
 * PrismaResultBackend are checked by the same code; the rest (expiry, the
 * wait for Redis) here.
 */
import { ConfigError } from '../errors.js';
import type { RetryPolicy } from '../db/transient.js';
import { integer, resolveExpires, resolveOptions, type BackendEvent, type RedactInput, type ResultBackendOptions } from './options.js';

export interface RedisResultBackendOptions {
  /**
   * How long a task's or group's key lives after each write: Celery's
   * result_expires (the key's Redis expiry, set on every write as Celery
   * sets it). Ms, or a duration such as "1d"; 0 or null keeps keys for
   * good. Default 1 day, as Celery's.
   */
  expires?: number | string | null;
  /** As PrismaResultBackend's: largest result in bytes of JSON. Default 1 MiB; 1 KiB to 64 MiB. */
  maxResultBytes?: number;
  /** Store task args and kwargs (as Celery's result_extended does). Default true. */
  storeArgs?: boolean;
  /** Rewrites args/kwargs before they are stored, e.g. to mask secrets. */
  redactArgs?: (input: RedactInput) => { args: unknown; kwargs: unknown };
  /**
   * Retrying commands that fail because Redis cannot be reached (or is
   * loading): 6 attempts in all, waits from 20 ms doubling up to 2000 ms,
   * with jitter. When Redis is down, a call then waits for the connection
   * to come back, up to `waitForRedisMs` (default 60000; 0 to 3600000; 0
   * fails at once), and goes on the moment it does.
   */
  retry?: { attempts?: number; minDelayMs?: number; maxDelayMs?: number; waitForRedisMs?: number };
  /**
   * waitFor()'s longest poll interval in ms, used only while the SUBSCRIBE
   * connection is down (otherwise a PUBLISH wakes the wait). Default 500; 1 to 60000.
   */
  pollInterval?: number;
  /** Ms the first connect may take. Default 10000; 100 to 600000. */
  connectTimeoutMs?: number;
  /** Receives the backend's events (as PrismaResultBackend's onEvent). */
  onEvent?: (event: BackendEvent) => void;
}

export interface ResolvedRedisOptions {
  /** 0: no expiry. */
  readonly expiresMs: number;
  readonly maxResultBytes: number;
  readonly storeArgs: boolean;
  readonly redactArgs: ResultBackendOptions['redactArgs'];
  readonly retry: RetryPolicy & { readonly waitForRedisMs: number };
  readonly pollInterval: number;
  readonly connectTimeoutMs: number;
  readonly onEvent: (event: BackendEvent) => void;
}

/** Celery's result_expires default. */
const ONE_DAY_MS = 24 * 60 * 60 * 1000;

export function resolveRedisOptions(options: RedisResultBackendOptions = {}): ResolvedRedisOptions {
  if (typeof options !== 'object' || options === null) throw new ConfigError('result backend options must be an object');
  const { retry = {} } = options;
  const shared = resolveOptions({
    ...(options.maxResultBytes !== undefined && { maxResultBytes: options.maxResultBytes }),
    ...(options.storeArgs !== undefined && { storeArgs: options.storeArgs }),
    ...(options.redactArgs !== undefined && { redactArgs: options.redactArgs }),
    ...(options.pollInterval !== undefined && { pollInterval: options.pollInterval }),
    ...(options.onEvent !== undefined && { onEvent: options.onEvent }),
    retry: { attempts: retry.attempts, minDelayMs: retry.minDelayMs, maxDelayMs: retry.maxDelayMs },
  });
  return {
    expiresMs: options.expires === null ? 0 : Math.round(resolveExpires(options.expires ?? ONE_DAY_MS)),
    maxResultBytes: shared.maxResultBytes,
    storeArgs: shared.storeArgs,
    redactArgs: shared.redactArgs,
    retry: {
      attempts: shared.retry.attempts,
      minDelayMs: shared.retry.minDelayMs,
      maxDelayMs: shared.retry.maxDelayMs,
      waitForRedisMs: integer('retry.waitForRedisMs', retry.waitForRedisMs, 60_000, 0, 3_600_000),
    },
    pollInterval: shared.pollInterval,
    connectTimeoutMs: integer('connectTimeoutMs', options.connectTimeoutMs, 10_000, 100, 600_000),
    onEvent: shared.onEvent,
  };
}
