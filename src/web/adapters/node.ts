/**
 * Mounting a Request → Response handler in Node's own http server, and in
 * Express-style (req, res, next) stacks, without depending on either.
 *
 *   http.createServer(toNodeListener(handler)).listen(8080);
 *   app.use('/celery', toExpressMiddleware(createHandler({ database, basePath: '/celery' })));
 */
import { printProblem } from '../../core/log-line.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { WebHandler } from '../handler.js';

/** What Express adds to IncomingMessage that matters here; plain http requests lack both. */
interface MaybeExpressRequest extends IncomingMessage {
  /** The path before Express stripped the mount point. */
  originalUrl?: string;
  /** A body some earlier middleware already read and parsed. */
  body?: unknown;
}

const BODYLESS = new Set(['GET', 'HEAD']);

/** The Fetch Request for a Node request; the body streams through unread. */
export function toRequest(req: MaybeExpressRequest): Request {
  const method = req.method ?? 'GET';
  // Only the path and query matter to the handler; the Host header is not trusted for anything.
  const url = new URL(req.originalUrl ?? req.url ?? '/', 'http://localhost');
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  if (BODYLESS.has(method)) return new Request(url, { method, headers });
  // body-parser sets req.body to {} even for a type it does not parse, and
  // leaves that body unread: only a body whose stream was read is the parser's.
  if (req.body !== undefined && req.readableEnded) {
    // A body parser consumed the stream: hand on what it made of it.
    headers.delete('content-length');
    const parsed = req.body;
    if (typeof parsed === 'string' || Buffer.isBuffer(parsed)) return new Request(url, { method, headers, body: parsed });
    headers.set('content-type', 'application/json');
    return new Request(url, { method, headers, body: JSON.stringify(parsed) });
  }
  return new Request(url, {
    method,
    headers,
    body: Readable.toWeb(req) as ReadableStream<Uint8Array>,
    duplex: 'half',
  } as RequestInit);
}

/**
 * Writes a Fetch Response to a Node response, its body streamed as it
 * comes (an event stream never ends by itself). A client that leaves
 * cancels the body.
 */
export async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  if (response.body === null) {
    res.end();
    return;
  }
  const body = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
  try {
    await pipeline(body, res);
  } catch (error) {
    // The client went away: nothing left to answer.
    if (!res.destroyed) throw error;
  }
}

/** `http.createServer(toNodeListener(handler))`. */
export function toNodeListener(handler: WebHandler): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handler(toRequest(req))
      .then((response) => writeResponse(response, res))
      .catch((error: unknown) => {
        printProblem('error', 'web', 'could not answer a request', error);
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
  };
}

/** `app.use('/celery', toExpressMiddleware(handler))`: a failure goes to Express's error handling. */
export function toExpressMiddleware(
  handler: WebHandler,
): (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void {
  return (req, res, next) => {
    handler(toRequest(req))
      .then((response) => writeResponse(response, res))
      .catch(next);
  };
}
