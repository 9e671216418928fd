// The page's calls to the server's JSON API. URLs are relative, so the
// page works wherever the handler is mounted. The token lives in this
// tab's sessionStorage only, and travels as a bearer header, never a cookie.

const TOKEN_KEY = 'prisma-celery-token';

export class ApiError extends Error {
  constructor(status, body) {
    super(typeof body?.error === 'string' ? body.error : `the server answered ${status}`);
    this.status = status;
    /** For a refused periodic task: the field at fault. */
    this.field = typeof body?.field === 'string' ? body.field : null;
    /** For a refused periodic task: every field at fault, `{field, message}` each. */
    this.errors = Array.isArray(body?.errors) ? body.errors : this.field === null ? [] : [{ field: this.field, message: this.message }];
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

async function call(method, path, body) {
  const headers = { accept: 'application/json' };
  const saved = token.get();
  if (saved) headers.authorization = `Bearer ${saved}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`api/${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** `path` is joined from encoded segments, and `query` skips empty values. */
export function get(segments, query = {}) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== null && value !== '') params.set(key, value);
  const text = params.toString();
  return call('GET', `${segments.map(encodeURIComponent).join('/')}${text === '' ? '' : `?${text}`}`);
}

export const post = (segments, body) => call('POST', segments.map(encodeURIComponent).join('/'), body);
export const put = (segments, body) => call('PUT', segments.map(encodeURIComponent).join('/'), body);
