// The monitor page's files: served as they are, found from the compiled
// tree too, complete (every file the page loads exists), offline (no
// address outside the page), and built without HTML parsing of data.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ASSETS_DIR, StaticFiles } from '../../src/web/static-files.js';

const names = readdirSync(ASSETS_DIR).filter((name) => !name.endsWith('.d.ts'));
const read = (name: string): string => readFileSync(new URL(name, ASSETS_DIR), 'utf8');
const scripts = names.filter((name) => name.endsWith('.js'));

describe('the assets folder', () => {
  it('is the same folder from src/web and from dist/web', () => {
    const from = (module: string) => fileURLToPath(new URL('../../src/web/assets/', new URL(module, 'file:///pkg/')));
    expect(from('src/web/static-files.js')).toBe(from('dist/web/static-files.js'));
    expect(fileURLToPath(ASSETS_DIR)).toMatch(/src\/web\/assets\/$/);
  });

  it('holds every file the page and its modules load', () => {
    const loaded = new Set<string>();
    for (const match of read('index.html').matchAll(/(?:src|href)="assets\/([^"]+)"/g)) loaded.add(match[1] ?? '');
    for (const script of scripts) {
      for (const match of read(script).matchAll(/^import .* from '\.\/([^']+)';$/gm)) loaded.add(match[1] ?? '');
    }
    expect([...loaded].sort()).toEqual(expect.arrayContaining(['app.js', 'style.css', 'humanize.js', 'icon.svg']));
    for (const name of loaded) expect(names, `${name} is loaded but missing`).toContain(name);
  });

  it('names no address outside the page: no CDN, no network', () => {
    for (const name of names) {
      const urls = [...read(name).matchAll(/\b(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'"]*/gi)].map((m) => m[0]);
      expect(urls.filter((url) => url !== 'http://www.w3.org/2000/svg'), name).toEqual([]);
    }
  });

  it('never turns data into HTML: no innerHTML, outerHTML, insertAdjacentHTML, document.write or eval', () => {
    for (const script of scripts) {
      expect(read(script), script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
    }
  });

  it('has no inline script or style the Content-Security-Policy would block', () => {
    const html = read('index.html');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });
});

describe('StaticFiles', () => {
  const files = new StaticFiles();
  const get = (name: string, headers: Record<string, string> = {}) => files.serve(new Request(`http://x/assets/${name}`, { headers }), name);

  it('serves each asset with its type, an ETag, and the security headers', async () => {
    const response = await get('app.js');
    expect(response?.status).toBe(200);
    expect(response?.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response?.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(response?.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await response?.text()).toBe(read('app.js'));
    expect((await get('style.css'))?.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await get('index.html'))?.headers.get('content-type')).toBe('text/html; charset=utf-8');
  });

  it('answers 304 when the browser has the current copy', async () => {
    const etag = (await get('style.css'))?.headers.get('etag') ?? '';
    expect((await get('style.css', { 'if-none-match': etag }))?.status).toBe(304);
  });

  it('serves nothing but plain asset names: no paths, no type declarations, no dotfiles', async () => {
    for (const name of ['../handler.ts', '..%2Fhandler.ts', 'humanize.d.ts', '.hidden.js', 'nope.js', 'APP.JS', 'app.js/']) {
      expect(await get(name), name).toBeNull();
    }
  });
});
