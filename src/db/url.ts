import { isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

export const providers = ['sqlite', 'postgresql', 'mysql'] as const;
export type Provider = (typeof providers)[number];

/** A database URL taken apart: which provider, and what its driver needs. */
export type DatabaseTarget =
  | { provider: 'sqlite'; url: string; file: string }
  | { provider: 'postgresql'; url: string; connectionString: string; schema: string }
  | {
      provider: 'mysql';
      url: string;
      host: string;
      port: number;
      user: string;
      password: string;
      database: string;
    };

/** The URL with its password replaced by ***, for messages and logs. */
export const redactUrl = (url: string): string => url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');

/**
 * Parses `file:`, `postgres(ql)://` and `mysql://` / `mariadb://` URLs.
 * SQLite paths are made absolute from `cwd`, because the Prisma CLI and the
 * runtime would otherwise resolve a relative path from different folders.
 */
export function parseDatabaseUrl(url: string, cwd: string = process.cwd()): DatabaseTarget {
  const scheme = /^([a-z]+):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'file') {
    const path = url.slice('file:'.length).replace(/^\/\/(?=\/)/, '').split('?')[0] ?? '';
    if (path === '') throw new ConfigError(`database URL "${url}" names no SQLite file`);
    const file = path === ':memory:' ? path : isAbsolute(path) ? path : resolve(cwd, path);
    return { provider: 'sqlite', url: `file:${file}`, file };
  }
  if (scheme === 'postgres' || scheme === 'postgresql' || scheme === 'mysql' || scheme === 'mariadb') {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch (cause) {
      throw new ConfigError(`database URL "${redactUrl(url)}" is not a valid URL`, { cause });
    }
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
    if (database === '') throw new ConfigError(`database URL "${redactUrl(url)}" names no database`);
    if (scheme === 'postgres' || scheme === 'postgresql') {
      const schema = parsed.searchParams.get('schema') ?? 'public';
      parsed.searchParams.delete('schema');
      return { provider: 'postgresql', url, connectionString: parsed.toString(), schema };
    }
    return {
      provider: 'mysql',
      url,
      host: parsed.hostname || 'localhost',
      port: parsed.port ? Number(parsed.port) : 3306,
      user: decodeURIComponent(parsed.username) || 'root',
      password: decodeURIComponent(parsed.password),
      database,
    };
  }
  throw new ConfigError(
    `database URL "${redactUrl(url)}" has an unknown scheme: use file: (SQLite), postgresql:// or mysql:// (also mariadb://)`,
  );
}
