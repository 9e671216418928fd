// Types for humanize.js, which stays JavaScript so the browser can load it as it is.

export interface NaturalDateOptions {
  /** Where "yesterday" starts; default the runtime's own zone. */
  timeZone?: string;
  /** "12 seconds ago" instead of "just now" under a minute. */
  includeSeconds?: boolean;
}

/** djcelery.humanize.naturaldate: "just now", "5 minutes ago", "yesterday at 14:05", "3 weeks ago". */
export function naturalDate(date: Date, now: Date, options?: NaturalDateOptions): string;

/** The exact instant for a tooltip: "2026-11-29 14:05:09 CET". */
export function exactTime(date: Date, options?: { timeZone?: string }): string;

/** A duration in seconds, short: "850 ms", "2.41 s", "3 min 5 s". */
export function shortDuration(seconds: number): string;
