import { readFile, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import type { ConfigFile } from './resolve.js';

/** Looked for in this order in the working directory; the first found is the only one read. */
export const configFileNames = ['prisma-celery.config.js', 'prisma-celery.config.mjs', 'prisma-celery.config.json'];

/** A config file named by `--config` or PRISMA_CELERY_CONFIG, and which of them named it. */
export interface ChosenConfigFile {
  readonly path: string;
  readonly from: string;
}

/**
 * Reads the config file: the chosen one (relative to `cwd`), else the first
 * of configFileNames in `cwd`; undefined when there is none. JS files export
 * default an object of settings (or assign module.exports in a CommonJS
 * package); JSON files hold one.
 */
export async function loadConfigFile(cwd: string, chosen?: ChosenConfigFile): Promise<ConfigFile | undefined> {
  if (chosen) {
    const path = resolve(cwd, chosen.path);
    if (!(await isFile(path))) throw new ConfigError(`${chosen.from} "${chosen.path}": no such file`);
    if (!['.js', '.mjs', '.json'].includes(extname(path))) {
      throw new ConfigError(`${chosen.from} "${chosen.path}": a config file must end in .js, .mjs or .json`);
    }
    return { name: chosen.path, values: await read(path, chosen.path) };
  }
  for (const name of configFileNames) {
    const path = resolve(cwd, name);
    if (await isFile(path)) return { name, values: await read(path, name) };
  }
  return undefined;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

async function read(path: string, name: string): Promise<Record<string, unknown>> {
  let contents: unknown;
  if (extname(path) === '.json') {
    const text = await readFile(path, 'utf8');
    try {
      contents = JSON.parse(text);
    } catch (cause) {
      throw new ConfigError(`${name}: invalid JSON: ${(cause as Error).message}`, { cause });
    }
  } else {
    try {
      contents = ((await import(pathToFileURL(path).href)) as { default?: unknown }).default;
    } catch (cause) {
      // The user's own code failed (syntax, a throw at load): still their configuration's fault.
      throw new ConfigError(`${name}: could not be loaded: ${firstLine(cause)}`, { cause });
    }
  }
  if (typeof contents !== 'object' || contents === null || Array.isArray(contents)) {
    const what = extname(path) === '.json' ? 'hold' : 'export default';
    throw new ConfigError(`${name}: must ${what} an object of settings`);
  }
  return contents as Record<string, unknown>;
}

const firstLine = (error: unknown): string =>
  String(error instanceof Error ? error.message : error).split('\n')[0] ?? '';
