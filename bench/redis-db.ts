/**
 * A Redis database of the bench's own on the machine's Redis, claimed as
 * the tests claim theirs (a key in database 0, so a test never shares it),
 * unless BENCH_REDIS_URL names one.
 */
import type { Redis } from 'ioredis';
import { connectRedis } from '../src/broker/redis/connect.js';

const REDIS_HOST = '127.0.0.1:6379';
const CLAIM_DBS = [15, 14, 13, 12];

export interface BenchRedis {
  readonly url: string;
  /** A client on that database. */
  readonly client: Redis;
  /** Lets go of the claim (the caller removes what it wrote). */
  release(): Promise<void>;
}

export async function claimBenchRedis(): Promise<BenchRedis> {
  const claims = await connectRedis(`redis://${REDIS_HOST}/0`);
  const owner = `bench-${process.pid}-${Math.random().toString(36).slice(2)}`;
  let url = process.env.BENCH_REDIS_URL;
  let claim: string | undefined;
  for (const db of url === undefined ? CLAIM_DBS : []) {
    const key = `prisma-celery-test:claim:${db}`;
    if ((await claims.set(key, owner, 'EX', 3600, 'NX')) !== 'OK') continue;
    claim = key;
    url = `redis://${REDIS_HOST}/${db}`;
    break;
  }
  if (url === undefined) {
    claims.disconnect();
    throw new Error(`no free Redis database among ${CLAIM_DBS.join(', ')} at ${REDIS_HOST}; set BENCH_REDIS_URL`);
  }
  const client = await connectRedis(url);
  return {
    url,
    client,
    async release() {
      client.disconnect();
      if (claim !== undefined && (await claims.get(claim)) === owner) await claims.del(claim);
      claims.disconnect();
    },
  };
}
