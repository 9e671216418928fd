/**
 * The monitor page's files (HTML, one JavaScript module and its helpers,
 * CSS), served as they are from src/web/assets: no build step, no CDN.
 *
 * The folder is found relative to this module: src/web/ and dist/web/ both
 * sit two levels below the package root, so `../../src/web/assets/` is the
 * same folder whether the package runs from source or compiled (the
 * package's "files" must include src/web/assets).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SECURITY_HEADERS } from './http/responses.js';

export const ASSETS_DIR = new URL('../../src/web/assets/', import.meta.url);

const TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

// One plain name with a known extension: no paths, no dots (so no .d.ts), nothing hidden.
const ASSET_NAME = /^[a-z0-9-]+\.(html|js|css|svg)$/;

interface Loaded {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

export class StaticFiles {
  readonly #cache = new Map<string, Promise<Loaded | null>>();

  /** The file as a response (304 when the browser's copy is current), or null when there is no such asset. */
  async serve(request: Request, name: string): Promise<Response | null> {
    const match = ASSET_NAME.exec(name);
    if (!match) return null;
    let loading = this.#cache.get(name);
    if (loading === undefined) {
      loading = load(name, TYPES[match[1] ?? ''] ?? 'application/octet-stream');
      this.#cache.set(name, loading);
    }
    const file = await loading;
    if (file === null) return null;
    const headers = {
      ...SECURITY_HEADERS,
      'content-type': file.type,
      etag: file.etag,
      // Revalidated on every load, so a package upgrade shows at once.
      'cache-control': 'no-cache',
    };
    if (request.headers.get('if-none-match') === file.etag) return new Response(null, { status: 304, headers });
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(file.body), { status: 200, headers });
  }
}

async function load(name: string, type: string): Promise<Loaded | null> {
  let body: Buffer;
  try {
    body = await readFile(new URL(name, ASSETS_DIR));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}
