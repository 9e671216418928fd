/**
 * The bearer token that guards every route that changes something.
 *
 * A header, never a cookie: a browser does not attach it to a request that
 * another site makes, so no CSRF token is needed, and a link cannot apply a
 * task on its own.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { HttpError } from './responses.js';

// Hashing first gives equal lengths, so the comparison does not leak the token's length either.
const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export class TokenGuard {
  readonly #digest: Buffer | null;

  /** `token` undefined: nothing may change; every guarded route answers 403. */
  constructor(token: string | undefined) {
    this.#digest = token === undefined ? null : digest(token);
  }

  get configured(): boolean {
    return this.#digest !== null;
  }

  /** Whether the request carries the token. */
  accepts(request: Request): boolean {
    if (this.#digest === null) return false;
    const match = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '');
    return match?.[1] !== undefined && timingSafeEqual(digest(match[1].trim()), this.#digest);
  }

  /** Throws 403 when no token was configured, 401 when the request lacks it. */
  check(request: Request): void {
    if (this.#digest === null) {
      throw new HttpError(403, 'read-only: no token was configured, so nothing can be changed here');
    }
    if (!this.accepts(request)) {
      throw new HttpError(401, 'send the token as "Authorization: Bearer <token>"', {}, { 'www-authenticate': 'Bearer' });
    }
  }
}
