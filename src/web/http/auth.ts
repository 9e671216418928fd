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
    return this.#verdict(request) === 'accepted';
  }

  /** Throws 403 when no token was configured, 401 when the request lacks it or sends another. */
  check(request: Request): void {
    if (this.#digest === null) {
      throw new HttpError(403, 'read-only: no token was configured, so nothing can be changed here');
    }
    const verdict = this.#verdict(request);
    if (verdict === 'accepted') return;
    const message = verdict === 'wrong' ? 'token not accepted' : 'send the token as "Authorization: Bearer <token>"';
    throw new HttpError(401, message, {}, { 'www-authenticate': 'Bearer' });
  }

  /**
   * For reads anyone may make (/metrics): a request without a token passes,
   * one that sends a token other than the configured one gets 401, so a
   * scraper holding an old token is told rather than served.
   */
  checkIfSent(request: Request): void {
    if (this.#verdict(request) === 'wrong') throw new HttpError(401, 'token not accepted', {}, { 'www-authenticate': 'Bearer' });
  }

  #verdict(request: Request): 'accepted' | 'wrong' | 'missing' {
    const match = /^Bearer\s+(.+)$/i.exec(request.headers.get('authorization') ?? '');
    if (this.#digest === null || match?.[1] === undefined) return 'missing';
    return timingSafeEqual(digest(match[1].trim()), this.#digest) ? 'accepted' : 'wrong';
  }
}
