/**
 * The text/event-stream wire format. Pure.
 */

/** One event; every line of `data` goes out as its own `data:` line, as the format requires. */
export function sseEvent(name: string, data: string): string {
  return `event: ${name}\n${data.split(/\r\n|\r|\n/).map((line) => `data: ${line}\n`).join('')}\n`;
}

/** A comment line: ignored by EventSource, it keeps proxies from closing an idle stream. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/** How long a browser waits before it reconnects a dropped stream. */
export const sseRetry = (ms: number): string => `retry: ${ms}\n\n`;

export const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  // nginx buffers responses by default; an event held back is not live.
  'x-accel-buffering': 'no',
};
