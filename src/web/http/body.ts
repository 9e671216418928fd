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

/** A JSON object body, or `{}` for a request with no body at all (an action whose options all have defaults). */
export async function readOptions(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  if (!request.headers.has('content-type') && (request.body === null || request.headers.get('content-length') === '0')) return {};
  const body = await readJson(request, maxBytes);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'send the options as a JSON object');
  return body as Record<string, unknown>;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new HttpError(400, `request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** What a request carries as named values: its query string, and its body's fields. */
export interface RequestFields {
  /** The query string's values (strings, as Django's request.GET). */
  readonly query: Record<string, string>;
  /** A JSON object body as is, or an HTML form's values (strings, as request.POST); {} when there is no body. */
  readonly body: Record<string, unknown>;
  /** Whether the body was JSON (its values may be any JSON). */
  readonly json: boolean;
}

/**
 * The query string and the body, as djcelery's views read them: the body a
 * JSON object (with or without its content type) or an HTML form.
 */
export async function readFields(request: Request, maxBytes: number): Promise<RequestFields> {
  const query = Object.fromEntries(new URL(request.url).searchParams);
  const text = await readText(request, maxBytes);
  if (text.trim() === '') return { query, body: {}, json: false };
  const type = mediaType(request);
  if (type === 'application/x-www-form-urlencoded') return { query, body: Object.fromEntries(new URLSearchParams(text)), json: false };
  if (type !== 'application/json' && !type.endsWith('+json') && type !== '') {
    throw new HttpError(415, 'send the body as a JSON object (application/json) or a form');
  }
  const body = parseJson(text);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'request body must be a JSON object');
  }
  return { query, body: body as Record<string, unknown>, json: true };
}
