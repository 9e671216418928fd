// The Node and Express-style adapters, through a real http server on a
// loopback port: headers, streamed bodies, bodies a parser already read,
// and failures.
import { createServer, request, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { dialectOf } from '../../src/db/dialect.js';
import type { Database } from '../../src/db/open.js';
import { startMonitorServer, toExpressMiddleware, toNodeListener, type WebHandler } from '../../src/web/index.js';

const servers: { close(): void }[] = [];
afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// Echoes what the handler saw.
const echo: WebHandler = async (request) =>
  Response.json(
    {
      method: request.method,
      url: request.url,
      type: request.headers.get('content-type'),
      custom: request.headers.get('x-custom'),
      body: request.body === null ? null : await request.text(),
    },
    { status: 201, headers: { 'x-answer': 'yes' } },
  );

describe('toNodeListener', () => {
  it("hands the handler the request's path, query, headers and streamed body, and writes back status, headers and body", async () => {
    const base = await serve(toNodeListener(echo));
    const response = await fetch(`${base}/a/b?c=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-custom': 'v' },
      body: '{"x": 1}',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-answer')).toBe('yes');
    expect(await response.json()).toEqual({
      method: 'POST',
      url: 'http://localhost/a/b?c=1',
      type: 'application/json',
      custom: 'v',
      body: '{"x": 1}',
    });
  });

  it('writes a body as it comes, and cancels it when the client leaves', async () => {
    let cancelled: () => void = () => {};
    const gone = new Promise<void>((resolve) => (cancelled = resolve));
    const endless: WebHandler = async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start: (controller) => controller.enqueue(new TextEncoder().encode('first\n')),
          cancel: () => cancelled(),
        }),
        { headers: { 'content-type': 'text/event-stream' } },
      );
    const base = await serve(toNodeListener(endless));
    const abort = new AbortController();
    const response = await fetch(base, { signal: abort.signal });
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first\n');
    abort.abort();
    await gone;
  });

  it('answers 500 when the handler fails', async () => {
    const base = await serve(toNodeListener(() => Promise.reject(new Error('boom'))));
    const lines: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
    try {
      expect((await fetch(base)).status).toBe(500);
    } finally {
      stderr.mockRestore();
    }
    expect(lines).toEqual([expect.stringMatching(/Z ERROR web      could not answer a request: boom\n$/)]);
  });
});

describe('toExpressMiddleware', () => {
  // What Express does before the middleware runs: strip the mount path, keep originalUrl, maybe parse the body.
  const expressLike =
    (mount: string, parse: boolean, middleware: ReturnType<typeof toExpressMiddleware>, errors: unknown[]): RequestListener =>
    (req: IncomingMessage, res: ServerResponse) => {
      const raw = req as IncomingMessage & { originalUrl?: string; body?: unknown };
      raw.originalUrl = req.url;
      req.url = (req.url ?? '/').slice(mount.length) || '/';
      const run = () =>
        middleware(req, res, (error) => {
          errors.push(error);
          res.statusCode = 599;
          res.end();
        });
      if (!parse) return run();
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        raw.body = JSON.parse(text) as unknown;
        run();
      });
    };

  it('sees the full path (basePath works under a mount) and a body a parser already read', async () => {
    const errors: unknown[] = [];
    const base = await serve(expressLike('/celery', true, toExpressMiddleware(echo), errors));
    const response = await fetch(`${base}/celery/apply/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"k": [1]}' });
    expect(await response.json()).toMatchObject({ url: 'http://localhost/celery/apply/x', type: 'application/json', body: '{"k":[1]}' });
    expect(errors).toEqual([]);
  });

  it("streams a body a JSON parser skipped, rather than its empty {} (body-parser's json() on a form)", async () => {
    // body-parser sets req.body to {} before it looks at the type, and reads only the types it parses.
    const jsonParser = (middleware: ReturnType<typeof toExpressMiddleware>): RequestListener => (req, res) => {
      (req as IncomingMessage & { body?: unknown }).body = {};
      middleware(req, res, () => res.end());
    };
    const base = await serve(jsonParser(toExpressMiddleware(echo)));
    const response = await fetch(`${base}/apply/x`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'a=1&b=two',
    });
    expect(await response.json()).toMatchObject({ type: 'application/x-www-form-urlencoded', body: 'a=1&b=two' });
  });

  it("passes a failure to Express's next(error)", async () => {
    const errors: unknown[] = [];
    const failure = new Error('boom');
    const base = await serve(expressLike('', false, toExpressMiddleware(() => Promise.reject(failure)), errors));
    expect((await fetch(`${base}/x`)).status).toBe(599);
    expect(errors).toEqual([failure]);
  });
});

describe('startMonitorServer', () => {
  // Only the page's files are asked for: no database is reached.
  const database = { provider: 'sqlite', prisma: {}, dialect: dialectOf('sqlite') } as unknown as Database;

  const statusFor = (url: string, host: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const call = request(new URL('assets/style.css', url), { headers: { host } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      call.on('error', reject);
      call.end();
    });

  it('on a loopback address, answers only requests addressed to a loopback name (no DNS rebinding)', async () => {
    await using server = await startMonitorServer({ database, port: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const port = new URL(server.url).port;
    expect(await statusFor(server.url, `127.0.0.1:${port}`)).toBe(200);
    expect(await statusFor(server.url, `localhost:${port}`)).toBe(200);
    expect(await statusFor(server.url, `[::1]:${port}`)).toBe(200);
    expect(await statusFor(server.url, `attacker.example:${port}`)).toBe(421);
    expect(await statusFor(server.url, 'localhost.attacker.example')).toBe(421);
  });

  it('refuses a port in use with a message naming it', async () => {
    await using first = await startMonitorServer({ database, port: 0 });
    const port = Number(new URL(first.url).port);
    await expect(startMonitorServer({ database, port })).rejects.toThrow(`cannot listen on 127.0.0.1:${port}: the port is in use`);
  });
});
