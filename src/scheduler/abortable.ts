/**
 * `work`, or a rejection with `reason()` as soon as `signal` aborts; the
 * work itself goes on, unheard. How beat keeps its stop budget: a send or a
 * query that hangs is left behind, not waited for.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, reason: () => Error): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => {});
    return Promise.reject(reason());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
