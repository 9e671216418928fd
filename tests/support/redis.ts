// A Redis database of the test file's own on the shared server (127.0.0.1:6379).
// Redis has no vhosts; kombu's keys (_kombu.binding.*, unacked, the queues'
// lists) and its PUB/SUB channels (/{db}.celeryev/…) are per database, so
// a file claims a database number that was empty, uses it alone, and
// empties it again when done: it deletes only what it made.
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { describeWhenPresent } from './gates.js';

const HOST = '127.0.0.1:6379';
/** Database 0 holds the claims; 1–15 are handed out (Redis's default is 16 databases). */
const FIRST_DB = 1;
const LAST_DB = 15;
const CLAIM_SECONDS = 1800;

/** `describe`, or `describe.skip` when Redis is down outside CI. */
export const describeWithRedis = describeWhenPresent('redis');

export interface RedisTestDb extends AsyncDisposable {
  /** redis://127.0.0.1:6379/<db> */
  readonly url: string;
  readonly db: number;
  /** A client on that database, for assertions. */
  readonly client: Redis;
}

/** Claims an empty database for this file; waits up to 30 s when all are in use. */
export async function claimRedisDb(): Promise<RedisTestDb> {
  const claims = new Redis(`redis://${HOST}/0`, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await claims.connect();
  const owner = `${process.pid}-${Math.random().toString(36).slice(2)}`;
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      for (let db = FIRST_DB; db <= LAST_DB; db++) {
        const key = `prisma-celery-test:claim:${db}`;
        if ((await claims.set(key, owner, 'EX', CLAIM_SECONDS, 'NX')) !== 'OK') continue;
        const client = new Redis(`redis://${HOST}/${db}`, { lazyConnect: true, maxRetriesPerRequest: 1 });
        await client.connect();
        if ((await client.dbsize()) > 0) {
          // Someone else's data: leave it, and this number, alone.
          client.disconnect();
          continue;
        }
        return {
          url: `redis://${HOST}/${db}`,
          db,
          client,
          async [Symbol.asyncDispose]() {
            await client.flushdb().catch(() => {});
            client.disconnect();
            const release = new Redis(`redis://${HOST}/0`, { maxRetriesPerRequest: 1 });
            if ((await release.get(key)) === owner) await release.del(key);
            release.disconnect();
          },
        };
      }
      if (Date.now() > deadline) throw new Error(`no empty Redis database among ${FIRST_DB}–${LAST_DB} at ${HOST} for 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    claims.disconnect();
  }
}

/**
 * A database claimed for the enclosing describe: claimed in its beforeAll,
 * emptied and released in its afterAll. Its fields are read once claimed.
 */
export function redisDbPerSuite(): Omit<RedisTestDb, typeof Symbol.asyncDispose> {
  let claimed: RedisTestDb | undefined;
  beforeAll(async () => {
    claimed = await claimRedisDb();
  });
  afterAll(async () => {
    await claimed?.[Symbol.asyncDispose]();
  });
  const get = (): RedisTestDb => {
    if (claimed === undefined) throw new Error('the Redis database is claimed in beforeAll: read it in a hook or a test');
    return claimed;
  };
  return {
    get url() {
      return get().url;
    },
    get db() {
      return get().db;
    },
    get client() {
      return get().client;
    },
  };
}
