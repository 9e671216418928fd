/**
 * Broker URLs as Celery (kombu) reads them; the scheme picks the transport.
 * Pure: no I/O (certificate files named in a rediss:// URL are read when
 * connecting).
 */
import { ConfigError } from '../errors.js';

export type Transport = 'amqp' | 'redis';

export interface RedisTarget {
  /** TCP host and port; absent for a Unix socket. */
  readonly host?: string;
  readonly port?: number;
  /** Unix socket path (redis+socket://). */
  readonly path?: string;
  /** The database number: the URL's path, or `virtual_host` for a socket. Default 0. */
  readonly db: number;
  /** Redis 6 ACL user. */
  readonly username?: string;
  readonly password?: string;
  /** rediss:// only. */
  readonly tls?: RedisTls;
}

export interface RedisTls {
  /** ssl_cert_reqs: required (the default for rediss://) or optional verify the server's certificate; none does not. */
  readonly verify: boolean;
  /** ssl_ca_certs, ssl_certfile, ssl_keyfile: file paths. */
  readonly caFile?: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

const SCHEMES: Readonly<Record<string, Transport>> = {
  'amqp:': 'amqp',
  'amqps:': 'amqp',
  'redis:': 'redis',
  'rediss:': 'redis',
  'redis+socket:': 'redis',
};

const USE = 'use amqp://, amqps://, redis://, rediss:// or redis+socket://';

/** The transport a broker URL names; a ConfigError for anything else. */
export function transportOf(url: string): Transport {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  const transport = parsed && SCHEMES[parsed.protocol];
  if (transport === undefined) throw new ConfigError(`"${redactUrl(url)}" is not a broker URL (${USE})`);
  return transport;
}

/** Checks a broker URL as far as it can be checked without connecting; returns it unchanged. */
export function checkBrokerUrl(url: string): string {
  if (transportOf(url) === 'redis') parseRedisUrl(url);
  else if (new URL(url).hostname === '') throw new ConfigError(`"${redactUrl(url)}" names no host`);
  return url;
}

/**
 * A result backend URL as Celery's result_backend names Redis; checked as
 * far as it can be without connecting, and returned unchanged.
 */
export function checkResultBackendUrl(url: string): string {
  const redis = URL.canParse(url) && SCHEMES[new URL(url).protocol] === 'redis';
  if (!redis) {
    throw new ConfigError(
      `"${redactUrl(url)}" is not a result backend URL: use redis://, rediss:// or redis+socket:// (results in the database need no setting)`,
    );
  }
  parseRedisUrl(url);
  return url;
}

/**
 * redis://[[user]:password@]host[:port][/db], rediss://… (TLS; query
 * ssl_cert_reqs, ssl_ca_certs, ssl_certfile, ssl_keyfile) and
 * redis+socket:///path?virtual_host=db.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (parsed === undefined || transportOf(url) !== 'redis') throw new ConfigError(`"${redactUrl(url)}" is not a Redis URL (${USE})`);
  const where = redactUrl(url);
  const query = parsed.searchParams;
  const username = decodeURIComponent(parsed.username) || undefined;
  const password = parsed.password === '' ? undefined : decodeURIComponent(parsed.password);
  const auth = { ...(username !== undefined && { username }), ...(password !== undefined && { password }) };
  if (parsed.protocol === 'redis+socket:') {
    const path = decodeURIComponent(parsed.pathname);
    if (path === '' || path === '/') throw new ConfigError(`"${where}" names no socket (use redis+socket:///path/to/redis.sock)`);
    return { path, db: databaseNumber(query.get('virtual_host') ?? '', where), ...auth };
  }
  if (parsed.hostname === '') throw new ConfigError(`"${where}" names no host`);
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const db = databaseNumber(decodeURIComponent(parsed.pathname.replace(/^\//, '')), where);
  if (parsed.protocol !== 'rediss:') return { host, port, db, ...auth };
  return { host, port, db, ...auth, tls: tlsOf(query, where) };
}

/** The database number kombu takes from the path: empty means 0; a number from 0 on. */
function databaseNumber(text: string, where: string): number {
  const trimmed = text.replace(/\/+$/, '');
  if (trimmed === '') return 0;
  if (!/^\d+$/.test(trimmed) || Number(trimmed) > 2 ** 31) {
    throw new ConfigError(`"${where}" names database "${trimmed}": a Redis database is a number (redis://host:6379/0)`);
  }
  return Number(trimmed);
}

const CERT_REQS: Readonly<Record<string, boolean>> = {
  required: true,
  cert_required: true,
  optional: true,
  cert_optional: true,
  none: false,
  cert_none: false,
};

function tlsOf(query: URLSearchParams, where: string): RedisTls {
  const reqs = query.get('ssl_cert_reqs');
  const verify = reqs === null ? true : CERT_REQS[reqs.toLowerCase()];
  if (verify === undefined) {
    throw new ConfigError(`"${where}": ssl_cert_reqs must be required, optional or none (got "${reqs}")`);
  }
  const file = (name: string): string | undefined => query.get(name) ?? undefined;
  const caFile = file('ssl_ca_certs');
  const certFile = file('ssl_certfile');
  const keyFile = file('ssl_keyfile');
  return { verify, ...(caFile && { caFile }), ...(certFile && { certFile }), ...(keyFile && { keyFile }) };
}

/** A broker URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparseable broker URL)';
  }
}
