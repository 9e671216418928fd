import { describe, expect, it } from 'vitest';
import { dialectOf } from '../../src/db/dialect.js';
import { parseDatabaseUrl } from '../../src/db/url.js';
import { ConfigError } from '../../src/errors.js';

describe('parseDatabaseUrl', () => {
  it('makes a relative SQLite path absolute from the working directory', () => {
    expect(parseDatabaseUrl('file:./data/celery.db', '/srv/app')).toEqual({
      provider: 'sqlite',
      url: 'file:/srv/app/data/celery.db',
      file: '/srv/app/data/celery.db',
    });
    expect(parseDatabaseUrl('file:///var/celery.db', '/x')).toMatchObject({ file: '/var/celery.db' });
    expect(parseDatabaseUrl('file:/var/celery.db?mode=rw', '/x')).toMatchObject({ file: '/var/celery.db' });
  });

  it('takes the PostgreSQL schema out of the connection string', () => {
    const t = parseDatabaseUrl('postgresql://u:p@db:5433/app?schema=celery&sslmode=disable');
    expect(t).toMatchObject({ provider: 'postgresql', schema: 'celery' });
    if (t.provider !== 'postgresql') throw new Error('unreachable');
    expect(t.connectionString).toBe('postgresql://u:p@db:5433/app?sslmode=disable');
    expect(parseDatabaseUrl('postgres://localhost/app')).toMatchObject({ schema: 'public' });
  });

  it('reads MySQL and MariaDB URLs with defaults and decoded credentials', () => {
    expect(parseDatabaseUrl('mariadb://me:p%40ss@127.0.0.1/celery')).toMatchObject({
      provider: 'mysql',
      host: '127.0.0.1',
      port: 3306,
      user: 'me',
      password: 'p@ss',
      database: 'celery',
    });
    expect(parseDatabaseUrl('mysql://db:3307/x')).toMatchObject({ port: 3307, user: 'root', password: '' });
  });

  it.each([
    ['redis://localhost/0', /unknown scheme/],
    ['postgresql://localhost', /names no database/],
    ['mysql://localhost/', /names no database/],
    ['file:', /names no SQLite file/],
    ['nonsense', /unknown scheme/],
  ])('rejects %s with a ConfigError', (url, message) => {
    expect(() => parseDatabaseUrl(url)).toThrow(ConfigError);
    expect(() => parseDatabaseUrl(url)).toThrow(message);
  });

  it('never echoes a password in an error', () => {
    expect(() => parseDatabaseUrl('postgresql://u:secret@host')).toThrow(/u:\*\*\*@host/);
  });
});

describe('dialects', () => {
  it('number PostgreSQL placeholders and quote MySQL identifiers with backticks', () => {
    expect(dialectOf('postgresql').param(3)).toBe('$3');
    expect(dialectOf('sqlite').param(3)).toBe('?');
    expect(dialectOf('mysql').ident('key')).toBe('`key`');
    expect(dialectOf('postgresql').ident('key')).toBe('"key"');
  });
});
