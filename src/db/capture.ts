/**
 * Keeps hold of the driver adapter Prisma connects, for db.sql: the factory
 * handed to PrismaClient is wrapped so that each connect() puts the new
 * adapter in a slot and its dispose() (on $disconnect) empties it again.
 * Prisma still owns the adapter; we only borrow it.
 */
import type { SqlDriverAdapter, SqlDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { AdapterSlot } from './sql.js';

export function capturingFactory(factory: SqlDriverAdapterFactory, slot: AdapterSlot): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    async connect() {
      const adapter = await factory.connect();
      slot.current = adapter;
      return releasing(adapter, () => {
        if (slot.current === adapter) slot.current = undefined;
      });
    },
  };
}

/**
 * The adapter as Prisma uses it, with dispose() emptying the slot first.
 * Forwarded by hand: the adapters keep private fields, so neither a
 * prototype nor a Proxy could stand in for the instance.
 */
function releasing(adapter: SqlDriverAdapter, release: () => void): SqlDriverAdapter {
  const forwarded: SqlDriverAdapter = {
    provider: adapter.provider,
    adapterName: adapter.adapterName,
    queryRaw: (query) => adapter.queryRaw(query),
    executeRaw: (query) => adapter.executeRaw(query),
    executeScript: (script) => adapter.executeScript(script),
    startTransaction: (isolationLevel) => adapter.startTransaction(isolationLevel),
    async dispose() {
      release();
      await adapter.dispose();
    },
  };
  const connectionInfo = adapter.getConnectionInfo?.bind(adapter);
  if (connectionInfo) forwarded.getConnectionInfo = connectionInfo;
  return forwarded;
}
