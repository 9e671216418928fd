// Polling for a condition that other code makes true in its own time
// (events arriving, rows written, a process printing a line).

export interface WaitOptions {
  /** How long to keep polling; default 30 s. */
  timeoutMs?: number;
  /** Pause between probes; default 50 ms. */
  intervalMs?: number;
}

/**
 * Calls `probe` until it returns (or resolves to) a truthy value, and
 * resolves with that value. Rejects with `timed out after N ms waiting for
 * <what>` once `timeoutMs` has passed without one. The probe runs at least
 * once, and once more after the deadline has passed.
 */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, options: WaitOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 30_000, intervalMs = 50 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
