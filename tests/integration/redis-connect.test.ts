// connectRedis against real servers that cannot be used as a broker: a
// Redis of the test's own with a password, servers of other protocols, a
// port nothing listens on and one that never answers. Each first connect
// fails at once with its fault, and the client does not go on trying.
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { BrokerError } from '../../src/broker/errors.js';
import { probeBroker } from '../../src/broker/probe.js';
import { connectRedis } from '../../src/broker/redis/connect.js';
import { describeWithBroker } from '../support/broker.js';
import { freePort } from '../support/free-port.js';
import { describeWhenPresent } from '../support/gates.js';
import { startPrivateRedis, type PrivateRedis } from '../support/private-redis.js';
import { describeWithRedis } from '../support/redis.js';

/** The BrokerError a first connect fails with, and how long it took. */
async function failure(url: string, timeoutMs = 2500): Promise<{ error: BrokerError; ms: number }> {
  const started = performance.now();
  const error = await connectRedis(url, { timeoutMs }).then(
    (client) => {
      client.disconnect();
      throw new Error(`${url} connected`);
    },
    (error: unknown) => error as BrokerError,
  );
  return { error, ms: performance.now() - started };
}

describeWithRedis('connectRedis to a Redis that wants a password', () => {
  let redis: PrivateRedis;
  let admin: Redis;
  /** Connections the server has accepted so far. */
  const accepted = async (): Promise<number> => Number(/total_connections_received:(\d+)/.exec(await admin.info('stats'))?.[1]);

  beforeAll(async () => {
    redis = await startPrivateRedis({ password: 'secret' });
    admin = new Redis({ port: redis.port, host: '127.0.0.1', password: 'secret' });
    await admin.acl('SETUSER', 'reader', 'on', '>readerpw', '~*', '&*', '+@all', '-select');
  });
  afterAll(async () => {
    admin.disconnect();
    await redis[Symbol.asyncDispose]();
  });

  it.each([
    ['no password', (port: number) => `redis://127.0.0.1:${port}/0`, /^NOAUTH /],
    ['a wrong password', (port: number) => `redis://:wrong@127.0.0.1:${port}/0`, /^WRONGPASS /],
    ['a user the server does not know', (port: number) => `redis://nobody:pw@127.0.0.1:${port}/0`, /^WRONGPASS /],
  ])('refuses the login with %s, once, without retrying', async (_, url, detail) => {
    const before = await accepted();
    const { error, ms } = await failure(url(redis.port));
    expect(error).toMatchObject({ name: 'BrokerError', code: 'E_BROKER_CONNECT', fault: { kind: 'access-denied', detail: expect.stringMatching(detail) } });
    expect(error.message).not.toContain('wrong');
    expect(ms).toBeLessThan(2500);
    // ioredis would reconnect after 500 ms; the failed first connect stopped it.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect((await accepted()) - before).toBe(1);
  });

  it('says which database is missing and how many there are, and does not go on in database 0', async () => {
    const before = await accepted();
    const { error } = await failure(redis.url(20));
    expect(error.fault).toEqual({ kind: 'no-database', detail: 'ERR DB index is out of range', databases: 16 });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    // The refused connection, and the one that asked for the count.
    expect((await accepted()) - before).toBe(2);
  });

  it('says an ACL user may not select its database', async () => {
    const { error } = await failure(`redis://reader:readerpw@127.0.0.1:${redis.port}/3`);
    expect(error.fault).toMatchObject({ kind: 'no-permission', detail: expect.stringMatching(/^NOPERM .*'select'/) });
  });

  it('connects with the password and the database of the URL', async () => {
    const client = await connectRedis(redis.url(3), { timeoutMs: 2500 });
    try {
      await client.set('where', 'here');
      await admin.select(3);
      expect(await admin.get('where')).toBe('here');
    } finally {
      await client.quit();
      await admin.select(0);
    }
  });

  it('does not go on in database 0 when a reconnect may not select its database, and resumes in it once it may', async () => {
    await admin.acl('SETUSER', 'app', 'on', '>apppw', '~*', '&*', '+@all');
    const warnings: string[] = [];
    const client = await connectRedis(`redis://app:apppw@127.0.0.1:${redis.port}/4`, {
      timeoutMs: 2500,
      reconnectInitialDelayMs: 50,
      reconnectMaxDelayMs: 100,
      log: (_, message, error) => warnings.push(`${message}: ${(error as Error).message}`),
    });
    try {
      await admin.acl('SETUSER', 'app', '-select');
      await admin.client('KILL', 'USER', 'app');
      // It reconnects, is refused SELECT, drops the connection, and tries again.
      await expect.poll(() => warnings.some((w) => w.includes("NOPERM this user has no permissions to run the 'select' command")), { timeout: 5000 }).toBe(true);
      await expect(client.set('lost', 'in database 0?')).rejects.toThrow();
      expect(await admin.exists('lost')).toBe(0); // admin is on database 0

      await admin.acl('SETUSER', 'app', '+select');
      await expect.poll(() => client.status, { timeout: 5000 }).toBe('ready');
      await client.set('found', 'in database 4');
      await admin.select(4);
      expect(await admin.get('found')).toBe('in database 4');
    } finally {
      client.disconnect();
      await admin.select(0);
    }
  });

  it('is probed by the transport-neutral probe', async () => {
    await expect(probeBroker(redis.url(1))).resolves.toBeUndefined();
    await expect(probeBroker(`redis://127.0.0.1:${redis.port}/1`)).rejects.toMatchObject({ fault: { kind: 'access-denied' } });
  });
});

describeWhenPresent('postgresql')('connectRedis to PostgreSQL', () => {
  it('says it is not a Redis server (PostgreSQL hangs up on RESP)', async () => {
    const { error, ms } = await failure('redis://127.0.0.1:5432/0');
    // Whether the close comes first, or the next write meets a reset or a broken pipe, is a race.
    expect(error.fault).toEqual({ kind: 'not-broker', detail: expect.stringMatching(/^it (closed the connection without answering|hung up: \w+ (ECONNRESET|EPIPE))$/) });
    expect(ms).toBeLessThan(2500);
  });
});

describeWithBroker('connectRedis to RabbitMQ', () => {
  it('says it is not a Redis server (RabbitMQ answers with its AMQP header and hangs up)', async () => {
    const { error } = await failure('redis://127.0.0.1:5672/0');
    // Which comes first, the AMQP header read or the reset of the next write, is a race.
    expect(error.fault).toEqual({ kind: 'not-broker', detail: expect.stringMatching(/^it (answered in another protocol: Unknown RESP type 65 "A"|hung up: \w+ (ECONNRESET|EPIPE))$/) });
  });
});

describeWithRedis('connectRedis where nothing answers', () => {
  let silent: Server;
  let port = 0;
  const sockets = new Set<Socket>();
  beforeAll(async () => {
    silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('says nothing listens on the port', async () => {
    const free = await freePort();
    const { error } = await failure(`redis://127.0.0.1:${free}/0`);
    expect(error.fault).toEqual({ kind: 'unreachable', detail: `connect ECONNREFUSED 127.0.0.1:${free}` });
  });

  it('says a socket file is missing', async () => {
    const { error } = await failure('redis+socket:///nonexistent/redis.sock?virtual_host=2');
    expect(error.fault).toEqual({ kind: 'unreachable', detail: 'connect ENOENT /nonexistent/redis.sock' });
  });

  it('gives up on a server that accepts the connection and never answers, after timeoutMs', async () => {
    const { error, ms } = await failure(`redis://127.0.0.1:${port}/0`, 1000);
    expect(error.fault).toEqual({ kind: 'timeout', detail: 'no answer within 1000 ms' });
    expect(ms).toBeGreaterThanOrEqual(990);
    expect(ms).toBeLessThan(2500);
  });

  it('gives up on a TLS handshake nobody answers', async () => {
    const { error } = await failure(`rediss://127.0.0.1:${port}/0`, 1000);
    expect(error.fault?.kind).toBe('timeout');
  });

  it('says a host DNS does not know', async () => {
    const { error } = await failure('redis://nohost.invalid:6379/0');
    expect(error.fault).toMatchObject({ kind: 'host-not-found', detail: expect.stringMatching(/^getaddrinfo (ENOTFOUND|EAI_AGAIN) nohost\.invalid$/) });
  });
});

// A certificate made for these tests (openssl req -x509, EC P-256, CN and
// subjectAltName localhost and 127.0.0.1, valid for a century).
const CERT = fileURLToPath(new URL('../support/tls/redis.crt', import.meta.url));
const KEY = fileURLToPath(new URL('../support/tls/redis.key', import.meta.url));

describeWithRedis('connectRedis over TLS', () => {
  let redis: PrivateRedis;
  beforeAll(async () => {
    redis = await startPrivateRedis({ tls: { certFile: CERT, keyFile: KEY } });
  });
  afterAll(() => redis[Symbol.asyncDispose]());

  it('does not trust a certificate no CA vouches for', async () => {
    const { error } = await failure(redis.url(0));
    expect(error.fault).toEqual({ kind: 'tls-untrusted', detail: 'self-signed certificate' });
  });

  it('connects with the CA named in ssl_ca_certs, or with ssl_cert_reqs=none', async () => {
    for (const query of [`ssl_ca_certs=${encodeURIComponent(CERT)}`, 'ssl_cert_reqs=none']) {
      const client = await connectRedis(`${redis.url(2)}?${query}`, { timeoutMs: 2500 });
      expect(await client.ping()).toBe('PONG');
      await client.quit();
    }
  });

  it('says a CA file that cannot be read as a setting to fix', async () => {
    await expect(connectRedis(`${redis.url(0)}?ssl_ca_certs=/nonexistent/ca.pem`)).rejects.toThrow(
      'broker URL: ssl_ca_certs=/nonexistent/ca.pem cannot be read (ENOENT): fix the path',
    );
  });

  it('says the server hung up on redis:// to a TLS port', async () => {
    const { error } = await failure(`redis://127.0.0.1:${redis.port}/0`);
    expect(error.fault).toMatchObject({ kind: 'not-broker', detail: expect.stringMatching(/^it (hung up: .*ECONNRESET|closed the connection without answering)$/) });
  });
});

describeWithRedis('connectRedis over TLS to a plain Redis', () => {
  it('gives up within timeoutMs and says so', async () => {
    await using redis = await startPrivateRedis();
    const { error, ms } = await failure(`rediss://127.0.0.1:${redis.port}/0`, 1000);
    expect(error.fault).toMatchObject({ kind: 'timeout' });
    expect(ms).toBeLessThan(2500);
  });
});
