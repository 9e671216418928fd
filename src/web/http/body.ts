/**
 * Reading a request body: bounded in bytes before it is buffered, and
 * decoded as JSON or as an HTML form.
 */
import { HttpError } from './responses.js';

/** Default cap on a request body: task kwargs and periodic-task forms are small. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * The body as text, refused with 413 once it passes `maxBytes`: first on a
 * declared Content-Length, else while streaming, so a client that sends
 * gigabytes without declaring them is cut off at the cap.
 */
export async function readText(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () => new HttpError(413, `request body is larger than ${maxBytes} bytes`);
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new HttpError(400, 'request body is not valid UTF-8');
  }
}

const mediaType = (request: Request): string =>
  (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** A JSON body; 400 when it is not JSON, 415 when it says it is something else. */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const type = mediaType(request);
  if (type !== 'application/json' && !type.endsWith('+json')) {
    throw new HttpError(415, 'send the body as application/json');
  }
  return parseJson(await readText(request, maxBytes));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, `request body is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * The keyword arguments a request carries, as djcelery's views read them:
 * the query string, then the body (a JSON object, or an HTML form) over it.
 * Query and form values are strings, as in Django's request.GET and .POST.
 */
export async function readKwargs(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const kwargs: Record<string, unknown> = Object.fromEntries(new URL(request.url).searchParams);
  const text = await readText(request, maxBytes);
  if (text.trim() === '') return kwargs;
  const type = mediaType(request);
  if (type === 'application/x-www-form-urlencoded') {
    return { ...kwargs, ...Object.fromEntries(new URLSearchParams(text)) };
  }
  if (type !== 'application/json' && !type.endsWith('+json') && type !== '') {
    throw new HttpError(415, 'send keyword arguments as a JSON object (application/json) or a form');
  }
  const body = parseJson(text);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'request body must be a JSON object of keyword arguments');
  }
  return { ...kwargs, ...(body as Record<string, unknown>) };
}
