/**
 * Durations as people write them in flags and config files (`90s`, `5m`,
 * `2h`, `1d`, `500ms`) or as plain seconds (`2.5`), always held as seconds:
 * Celery's own settings (expires, max_interval) are seconds too.
 */
const secondsPer = { ms: 0.001, s: 1, m: 60, h: 3_600, d: 86_400 } as const;
type Unit = keyof typeof secondsPer;

const pattern = /^(\d+(?:\.\d*)?|\.\d+)\s*(ms|s|m|h|d)?$/;

/** Seconds, or undefined when `text` is not a duration. */
export function parseDuration(text: string): number | undefined {
  const match = pattern.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 's') as Unit;
  return Number(match[1]) * secondsPer[unit];
}

/** The shortest exact spelling of `seconds`, e.g. 86400 → `1d`, 0.5 → `500ms`. */
export function formatDuration(seconds: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    if (seconds !== 0 && seconds % secondsPer[unit] === 0) return `${seconds / secondsPer[unit]}${unit}`;
  }
  if (Number.isInteger(seconds) || !Number.isInteger(seconds * 1000)) return `${seconds}s`;
  return `${Math.round(seconds * 1000)}ms`;
}
