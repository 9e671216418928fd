import { describe, expect, it } from 'vitest';
import { checkBrokerUrl, parseRedisUrl, redactUrl, transportOf } from '../../src/broker/url.js';

describe('broker URLs', () => {
  it('picks the transport from the scheme', () => {
    expect(transportOf('amqp://guest:guest@rabbit//')).toBe('amqp');
    expect(transportOf('amqps://rabbit:5671/v')).toBe('amqp');
    expect(transportOf('redis://cache')).toBe('redis');
    expect(transportOf('rediss://cache:6380/1')).toBe('redis');
    expect(transportOf('redis+socket:///run/redis.sock')).toBe('redis');
    expect(() => transportOf('sentinel://u:secret@cache:26379')).toThrow(
      '"sentinel://u:***@cache:26379" is not a broker URL (use amqp://, amqps://, redis://, rediss:// or redis+socket://)',
    );
    expect(() => transportOf('cache:6379')).toThrow('is not a broker URL');
  });

  it('reads redis:// as kombu does: host, port 6379, database from the path, ACL user and password', () => {
    expect(parseRedisUrl('redis://cache')).toEqual({ host: 'cache', port: 6379, db: 0 });
    expect(parseRedisUrl('redis://cache/')).toEqual({ host: 'cache', port: 6379, db: 0 });
    expect(parseRedisUrl('redis://:s%40cret@cache:6380/3')).toEqual({ host: 'cache', port: 6380, db: 3, password: 's@cret' });
    expect(parseRedisUrl('redis://app:pw@[::1]:7000/15')).toEqual({ host: '::1', port: 7000, db: 15, username: 'app', password: 'pw' });
  });

  it('reads TLS options of rediss:// and verifies the certificate unless told not to', () => {
    expect(parseRedisUrl('rediss://cache:6380/0').tls).toEqual({ verify: true });
    expect(parseRedisUrl('rediss://cache/0?ssl_cert_reqs=CERT_NONE').tls).toEqual({ verify: false });
    expect(parseRedisUrl('rediss://cache/0?ssl_cert_reqs=optional&ssl_ca_certs=/etc/ca.pem&ssl_certfile=c.pem&ssl_keyfile=k.pem').tls).toEqual({
      verify: true,
      caFile: '/etc/ca.pem',
      certFile: 'c.pem',
      keyFile: 'k.pem',
    });
    expect(() => parseRedisUrl('rediss://:pw@cache/0?ssl_cert_reqs=maybe')).toThrow(
      '"rediss://:***@cache/0?ssl_cert_reqs=maybe": ssl_cert_reqs must be required, optional or none (got "maybe")',
    );
    expect(parseRedisUrl('redis://cache/0?ssl_cert_reqs=none').tls).toBeUndefined();
  });

  it('reads a Unix socket with its database in virtual_host', () => {
    expect(parseRedisUrl('redis+socket:///run/redis/redis.sock?virtual_host=2')).toEqual({ path: '/run/redis/redis.sock', db: 2 });
    expect(parseRedisUrl('redis+socket:///tmp/r.sock')).toEqual({ path: '/tmp/r.sock', db: 0 });
    expect(() => parseRedisUrl('redis+socket://')).toThrow('names no socket (use redis+socket:///path/to/redis.sock)');
  });

  it('refuses a database that is not a number, and a URL without a host, in one line', () => {
    expect(() => parseRedisUrl('redis://:pw@cache/celery')).toThrow(
      '"redis://:***@cache/celery" names database "celery": a Redis database is a number (redis://host:6379/0)',
    );
    expect(() => parseRedisUrl('redis+socket:///tmp/r.sock?virtual_host=x')).toThrow('names database "x"');
    expect(() => parseRedisUrl('redis:///0')).toThrow('"redis:///0" names no host');
    expect(() => parseRedisUrl('amqp://rabbit')).toThrow('is not a Redis URL');
  });

  it('checks either transport without connecting', () => {
    expect(checkBrokerUrl('amqp://rabbit//')).toBe('amqp://rabbit//');
    expect(checkBrokerUrl('redis://cache:6379/1')).toBe('redis://cache:6379/1');
    expect(() => checkBrokerUrl('amqp://')).toThrow('"amqp://" names no host');
    expect(() => checkBrokerUrl('redis://cache/one')).toThrow('a Redis database is a number');
  });

  it('never shows a password', () => {
    expect(redactUrl('redis://app:secret@cache:6379/0')).toBe('redis://app:***@cache:6379/0');
    expect(redactUrl('amqp://guest:guest@rabbit//')).toBe('amqp://guest:***@rabbit//');
    expect(redactUrl('not a url')).toBe('(unparseable broker URL)');
  });
});
