/**
 * The commands a key-value result store needs of Redis, on one connection
 * opened by connectRedis (same URLs, TLS, ACL users and connect faults as
 * the broker). Values are read as bytes, so a value some other writer left
 * is compared exactly. Writes go through one Lua script, a compare-and-set:
 * the caller decides the new value from the one it read, and the script
 * writes it (with its expiry) and PUBLISHes it on the key's channel only if
 * the key still holds what was read — atomically, whoever else writes.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { BrokerLog } from '../log.js';
import { connectRedis } from './connect.js';

// KEYS[1]: the key. ARGV: whether it was absent ('0') or held a value ('1'),
// that value's SHA-1, the new value, its expiry in ms ('0': none).
const COMPARE_AND_SET = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if current then return {0, current} end
elseif not current then
  return {0}
elseif redis.sha1hex(current) ~= ARGV[2] then
  return {0, current}
end
if ARGV[4] == '0' then
  redis.call('SET', KEYS[1], ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
end
redis.call('PUBLISH', KEYS[1], ARGV[3])
return {1}
`;

interface ScriptedRedis extends Redis {
  compareAndSetBuffer(key: string, absent: string, sha1: string, value: string, ttlMs: string): Promise<[number, Buffer?]>;
}

export type CompareAndSet = { readonly written: true } | { readonly written: false; readonly current: Buffer | null };

export interface KeyStoreOptions {
  /** Shown by CLIENT LIST. */
  name: string;
  /** Ms the first connect may take. Default 10000. */
  timeoutMs?: number;
  log?: BrokerLog;
}

export class RedisKeyStore {
  readonly #client: ScriptedRedis;

  private constructor(client: Redis) {
    client.defineCommand('compareAndSet', { numberOfKeys: 1, lua: COMPARE_AND_SET });
    this.#client = client as ScriptedRedis;
  }

  /** Connects; rejects with a BrokerError E_BROKER_CONNECT (with its fault) when Redis cannot be used. Reconnects on its own after. */
  static async open(url: string, options: KeyStoreOptions): Promise<RedisKeyStore> {
    return new RedisKeyStore(await connectRedis(url, options));
  }

  /** Whether the connection is up now (commands fail at once while it is not). */
  get ready(): boolean {
    return this.#client.status === 'ready';
  }

  /** Resolves true once the connection is up again, or false at `deadline` (Date.now() ms). */
  untilReady(deadline: number): Promise<boolean> {
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (up: boolean): void => {
        clearTimeout(timer);
        this.#client.off('ready', onReady);
        this.#client.off('end', onEnd);
        resolve(up);
      };
      const onReady = (): void => done(true);
      const onEnd = (): void => done(false);
      const timer = setTimeout(() => done(this.ready), Math.max(0, deadline - Date.now()));
      this.#client.on('ready', onReady);
      this.#client.once('end', onEnd);
    });
  }

  get(key: string): Promise<Buffer | null> {
    return this.#client.getBuffer(key);
  }

  /** Writes `value` (and PUBLISHes it on the key's channel) if the key still holds `expected` (null: absent). */
  async compareAndSet(key: string, expected: Buffer | null, value: string, ttlMs: number): Promise<CompareAndSet> {
    const sha1 = expected === null ? '' : createHash('sha1').update(expected).digest('hex');
    const [written, current] = await this.#client.compareAndSetBuffer(key, expected === null ? '0' : '1', sha1, value, String(ttlMs));
    return written === 1 ? { written: true } : { written: false, current: current ?? null };
  }

  /** SET (with the expiry; 0: none) and PUBLISH on the key's channel, in one transaction. */
  async setAndPublish(key: string, value: string, ttlMs: number): Promise<void> {
    const transaction = this.#client.multi();
    if (ttlMs > 0) transaction.set(key, value, 'PX', ttlMs);
    else transaction.set(key, value);
    const replies = await transaction.publish(key, value).exec();
    const failed = replies?.find(([error]) => error !== null)?.[0];
    if (failed) throw failed;
  }

  /** Resolves to how many of the keys existed. */
  del(...keys: string[]): Promise<number> {
    return this.#client.del(...keys);
  }

  /** Remaining time to live in ms: -1 for none, -2 when the key does not exist. */
  pttl(key: string): Promise<number> {
    return this.#client.pttl(key);
  }

  async close(): Promise<void> {
    await this.#client.quit().catch(() => this.#client.disconnect());
  }
}
