/**
 * Counts and times every statement the drivers send (BEGIN and COMMIT
 * included), by wrapping the drivers' own query calls: pg's Client, the
 * mariadb connector's pool and connection, better-sqlite3's statements.
 * What a flush costs in round trips and in time spent waiting on the
 * database, whatever path the product takes to get there. Bench only.
 */
import { createRequire } from 'node:module';
import pg from 'pg';

export interface DbCalls {
  /** Statements sent (each one round trip on a network database). */
  calls: number;
  /** Milliseconds during which at least one statement waited for its answer (statements in flight at once count once). */
  ms: number;
}

export const dbCalls: DbCalls = { calls: 0, ms: 0 };

type Method = (...args: unknown[]) => unknown;

let inFlight = 0;
let busySince = 0;

function wrap(proto: Record<string, unknown>, name: string): void {
  const original = proto[name] as Method & { timed?: true };
  if (typeof original !== 'function' || original.timed) return;
  const timed = function (this: unknown, ...args: unknown[]): unknown {
    dbCalls.calls++;
    if (inFlight++ === 0) busySince = performance.now();
    const done = (): void => {
      if (--inFlight === 0) dbCalls.ms += performance.now() - busySince;
    };
    // pg's pool calls its client with a callback: time until the callback.
    const last = args.at(-1);
    if (typeof last === 'function') {
      args[args.length - 1] = (...results: unknown[]): unknown => {
        done();
        return (last as Method)(...results);
      };
      return original.apply(this, args);
    }
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (error) {
      done();
      throw error;
    }
    if (result instanceof Promise) return result.finally(done);
    done();
    return result;
  } as Method & { timed?: true };
  timed.timed = true;
  proto[name] = timed;
}

let installed = false;

export function countDatabaseCalls(): DbCalls {
  if (installed) return dbCalls;
  installed = true;
  wrap(pg.Client.prototype as unknown as Record<string, unknown>, 'query');
  const require = createRequire(import.meta.url);
  for (const path of ['mariadb/lib/pool-promise.js', 'mariadb/lib/connection-promise.js']) {
    const proto = (require(path) as { prototype: Record<string, unknown> }).prototype;
    wrap(proto, 'query');
    wrap(proto, 'execute');
  }
  const Sqlite = require('better-sqlite3') as new (file: string) => { prepare(sql: string): object; close(): void };
  const probe = new Sqlite(':memory:');
  const statement = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>;
  probe.close();
  for (const name of ['run', 'all', 'get']) wrap(statement, name);
  return dbCalls;
}
