import { describe, expect, it } from 'vitest';
import { resolveExpires, resolveOptions } from '../../src/backend/options.js';
import { ConfigError } from '../../src/errors.js';

describe('result backend options', () => {
  it('fills in documented defaults', () => {
    const options = resolveOptions();
    expect(options).toMatchObject({
      maxResultBytes: 1024 * 1024,
      storeArgs: true,
      maxBatchRows: 256,
      retry: { attempts: 6, minDelayMs: 20, maxDelayMs: 2000, waitForDatabaseMs: 60_000 },
      pollInterval: 500,
      notify: true,
      cleanupBatchSize: 5000,
    });
  });

  it.each([
    [{ maxResultBytes: 10 }, 'maxResultBytes must be a whole number between 1024 and 67108864, got 10'],
    [{ maxBatchRows: 0 }, 'maxBatchRows must be a whole number between 1 and 1000, got 0'],
    [{ retry: { attempts: 1.5 } }, 'retry.attempts must be a whole number between 1 and 20, got 1.5'],
    [{ retry: { waitForDatabaseMs: -1 } }, 'retry.waitForDatabaseMs must be a whole number between 0 and 3600000, got -1'],
    [{ retry: { minDelayMs: 100, maxDelayMs: 50 } }, 'retry.maxDelayMs must be a whole number between 100 and 300000, got 50'],
    [{ pollInterval: '1s' }, 'pollInterval must be a whole number between 1 and 60000, got 1s'],
    [{ storeArgs: 'yes' }, 'storeArgs must be true or false, got yes'],
    [{ notify: 'off' }, 'notify must be true or false, got off'],
    [{ onEvent: 'log' }, 'onEvent must be a function, got string'],
  ])('refuses %j with a bounded message', (options, message) => {
    expect(() => resolveOptions(options as never)).toThrow(ConfigError);
    expect(() => resolveOptions(options as never)).toThrow(message);
  });

  it('takes expires as ms or as a duration', () => {
    expect(resolveExpires(1500)).toBe(1500);
    expect(resolveExpires('1d')).toBe(86_400_000);
    expect(resolveExpires('90')).toBe(90_000);
    expect(() => resolveExpires(-1)).toThrow(/expires must be a number of milliseconds/);
    expect(() => resolveExpires('soon')).toThrow(/"soon"/);
  });
});
