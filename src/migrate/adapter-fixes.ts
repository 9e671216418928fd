// Driver adapters as the WASM schema engine needs them. The stock adapters
// are made for the query engine; three of their habits break migrations:
// - adapter-pg cannot read the catalog type "char" (OID 18) the engine's
//   schema describer selects → such columns are reported as text;
// - adapter-pg's executeScript splits on every `;` (breaks strings, function
//   and trigger bodies) → the script goes to the server whole;
// - adapter-better-sqlite3's executeRaw prepares one statement, and the
//   engine replays multi-statement scripts through it → fall back to exec.
// The engine also gets a view of one shared connection (PostgreSQL: a pool
// of one), so our own bookkeeping queries and the engine's run in the same
// session, and it cannot close the connection we own.
import pg from 'pg';
import type {
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlQuery,
} from '@prisma/driver-adapter-utils';

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

type QueryResultLike = { fields?: { dataTypeID: number }[] };

function charColumnsAsText<T>(result: T): T {
  for (const one of Array.isArray(result) ? result : [result]) {
    for (const field of (one as QueryResultLike | undefined)?.fields ?? []) {
      if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    }
  }
  return result;
}

/**
 * pg.Client whose results report "char" columns as text. Both the callback
 * form (used by pg.Pool) and the promise form of `query` are covered.
 */
export class CharAsTextClient extends pg.Client {
  constructor(config?: string | pg.ClientConfig) {
    super(config);
    const original = this.query.bind(this) as (...args: unknown[]) => unknown;
    const patched = (...args: unknown[]): unknown => {
      const last = args.length - 1;
      const callback = args[last];
      if (typeof callback === 'function') {
        args[last] = (error: unknown, result: unknown) =>
          (callback as (e: unknown, r: unknown) => void)(error, error ? result : charColumnsAsText(result));
        return original(...args);
      }
      const returned = original(...args);
      return returned instanceof Promise ? returned.then(charColumnsAsText) : returned;
    };
    this.query = patched as typeof this.query;
  }
}

const noArgs = (sql: string): SqlQuery => ({ sql, args: [], argTypes: [] });

/** PostgreSQL: scripts are sent whole (simple query protocol runs them all). */
export function wholeScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
  return override(adapter, {
    executeScript: async (script: string) => {
      await adapter.executeRaw(noArgs(script));
    },
  });
}

/** SQLite: a multi-statement executeRaw without arguments runs through exec. */
export function execFallback(adapter: SqlDriverAdapter): SqlDriverAdapter {
  return override(adapter, {
    executeRaw: async (query: SqlQuery) => {
      try {
        return await adapter.executeRaw(query);
      } catch (error) {
        // better-sqlite3 raises a RangeError without a code for a script of
        // several statements, or of none (a migration of comments only); its
        // message is the only thing that tells these apart.
        if (query.args.length > 0 || !/more than one statement|contains no statements/i.test(describe(error))) throw error;
        await adapter.executeScript(query.sql);
        return 0;
      }
    },
  });
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: { originalMessage?: string; message?: string } }).cause;
  return `${error.message} ${cause?.originalMessage ?? ''} ${cause?.message ?? ''}`;
}

/** A new adapter object delegating to `adapter` (bound: some use #private state), with `methods` replaced. */
function override(adapter: SqlDriverAdapter, methods: Partial<SqlDriverAdapter>): SqlDriverAdapter {
  const info = adapter.getConnectionInfo?.bind(adapter);
  return {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (query) => adapter.queryRaw(query),
    executeRaw: (query) => adapter.executeRaw(query),
    executeScript: (script) => adapter.executeScript(script),
    startTransaction: (isolationLevel) => adapter.startTransaction(isolationLevel),
    dispose: () => adapter.dispose(),
    ...(info ? { getConnectionInfo: info } : {}),
    ...methods,
  };
}

export interface SharedFactoryOptions {
  /** Where the engine replays migrations when it needs a shadow database. */
  openShadow?: () => Promise<SqlDriverAdapter>;
  /**
   * Sees every error the connection throws at the engine. The engine turns
   * them into its own words ("No such table: x"); this keeps the server's
   * code and text for the report.
   */
  onError?: (error: unknown) => void;
}

/**
 * A factory the engine can call `connect()` on as often as it likes: each
 * call returns the same connection, whose dispose() does nothing (the owner
 * closes it).
 */
export function sharedConnectionFactory(
  adapter: SqlDriverAdapter,
  options: SharedFactoryOptions = {},
): SqlMigrationAwareDriverAdapterFactory {
  const seen = async <T>(run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      options.onError?.(error);
      throw error;
    }
  };
  const view = override(adapter, {
    queryRaw: (query) => seen(() => adapter.queryRaw(query)),
    executeRaw: (query) => seen(() => adapter.executeRaw(query)),
    executeScript: (script) => seen(() => adapter.executeScript(script)),
    dispose: async () => {},
  });
  const { openShadow } = options;
  return {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    connect: async () => view,
    connectToShadowDb: async () => {
      if (!openShadow) throw new Error('this operation needs a shadow database, and none was provided');
      return openShadow();
    },
  };
}
