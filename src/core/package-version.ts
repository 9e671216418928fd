import { readFile } from 'node:fs/promises';

let cached: Promise<string> | undefined;

/** This package's version, from its package.json (read once, at run time). */
export function packageVersion(): Promise<string> {
  // package.json sits outside the compiled tree, two levels up from src/core and dist/core alike.
  cached ??= readFile(new URL('../../package.json', import.meta.url), 'utf8').then((text) => (JSON.parse(text) as { version: string }).version);
  return cached;
}
