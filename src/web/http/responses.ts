/**
 * JSON responses and the headers every response carries. Pure.
 */

/**
 * Sent with everything the handler answers. The page loads only its own
 * scripts and styles (no inline code, no CDN), so a task result that
 * smuggles markup past the escaping still cannot run.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
};

export function json(body: unknown, status = 200, headers: Readonly<Record<string, string>> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      ...SECURITY_HEADERS,
      'content-type': 'application/json; charset=utf-8',
      // Task states change under the reader; a cached answer is a wrong one.
      'cache-control': 'no-store',
      ...headers,
    },
  });
}

/** An error as every route answers it: `{"error": message}`, plus any details. */
export function jsonError(status: number, message: string, details: Readonly<Record<string, unknown>> = {}): Response {
  return json({ ...details, error: message }, status);
}

/** Thrown by a route to answer with an error; the router turns it into jsonError(). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toResponse(): Response {
    return json({ ...this.details, error: this.message }, this.status, this.headers);
  }
}
