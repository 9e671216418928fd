/**
 * Celery's `--maxrate` for the camera (celery.events.snapshot.Polaroid):
 * a rate like `100/m` read by celery.utils.time.rate, and a token bucket of
 * capacity 1 that lets a shutter through only when a token is there. Pure,
 * with an injected clock.
 */
import { ConfigError } from '../../errors.js';

const PER: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** `100/m` → 1.666… per second; `5/s`, `10/h`, or a bare number (per second). */
export function parseRate(text: string): number {
  const match = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:\/\s*([smh]))?\s*$/.exec(text);
  if (!match) throw new ConfigError(`"${text}" is not a rate (use e.g. 100/m, 5/s or 10/h)`);
  const rate = Number(match[1]) / (PER[match[2] ?? 's'] ?? 1);
  if (!(rate > 0)) throw new ConfigError(`rate "${text}" must be more than zero`);
  return rate;
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `perSecond` tokens flow in, at most `capacity` are held; `now` is epoch ms. */
  constructor(
    private readonly perSecond: number,
    private readonly now: () => number,
    private readonly capacity = 1,
  ) {
    this.tokens = capacity;
    this.last = now();
  }

  /** Takes one token if one is there. */
  tryConsume(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
