// A connection opened on first use: shared by concurrent callers, opened
// again after a failed open or once dropped, closed once, and refused after
// close.
import { describe, expect, it } from 'vitest';
import { BrokerError } from '../../src/broker/errors.js';
import { LazyConnection } from '../../src/broker/lazy-connection.js';

function counted(failFirst = false) {
  const log: string[] = [];
  let opened = 0;
  const lazy = new LazyConnection(
    async () => {
      opened++;
      if (failFirst && opened === 1) throw new Error('refused');
      log.push(`open ${opened}`);
      return { n: opened };
    },
    async (connection) => void log.push(`end ${connection.n}`),
  );
  return { lazy, log };
}

describe('LazyConnection', () => {
  it('opens once for concurrent callers', async () => {
    const { lazy, log } = counted();
    const [a, b] = await Promise.all([lazy.get(), lazy.get()]);
    expect(a).toBe(b);
    expect(log).toEqual(['open 1']);
  });

  it('opens again after a failed open, and after the connection is dropped', async () => {
    const { lazy, log } = counted(true);
    await expect(lazy.get()).rejects.toThrow('refused');
    const second = await lazy.get();
    expect(second.n).toBe(2);
    lazy.drop({ n: 99 }); // not the current one: kept
    await Promise.resolve();
    expect(await lazy.get()).toBe(second);
    lazy.drop(second);
    await Promise.resolve();
    expect((await lazy.get()).n).toBe(3);
    expect(log).toEqual(['open 2', 'open 3']);
  });

  it('ends the open connection on close, and refuses after', async () => {
    const { lazy, log } = counted();
    await lazy.get();
    await lazy.close();
    expect(log).toEqual(['open 1', 'end 1']);
    const refused = await lazy.get().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BrokerError);
    expect((refused as BrokerError).code).toBe('E_BROKER_CLOSED');
  });
});
