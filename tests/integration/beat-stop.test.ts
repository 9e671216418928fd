// Beat stops within its stop budget whatever the broker does. A TCP proxy in
// front of RabbitMQ drops everything the broker sends (a partition that
// loses packets: no confirm, no reset, no close-ok); SIGTERM's close() then
// abandons the publishes under way, gives their runs back, and returns in a
// few seconds instead of waiting out the confirm timeouts (30 s × 5).
import { expect, it } from 'vitest';
import { startBeatBehindProxy } from '../support/beat-behind-proxy.js';
import { describeWithBroker } from '../support/broker.js';
import { describeEachDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';

const STOP_TIMEOUT = 3;

describeWithBroker('beat stopping during a broker partition', () => {
  describeEachDatabase('stop', (testDb) => {
    it('ends within the stop budget, every run claimed either sent or given back', { timeout: 60_000 }, async () => {
      const { beat, proxy, events, sent, runs } = await startBeatBehindProxy(testDb, { stopTimeout: STOP_TIMEOUT });
      let stoppedIn = Infinity;
      try {
        await waitFor('a first send of each', () => sent() >= 2, { timeoutMs: 20_000 });
        proxy.blackhole();
        const before = sent();
        // A run claimed whose publish hangs: the count is ahead of what was sent.
        await waitFor('a claimed run stuck in its publish', async () => (await runs()) > before, { timeoutMs: 20_000, intervalMs: 50 });
        const started = performance.now();
        await Promise.race([beat.close(), new Promise((resolve) => setTimeout(resolve, 20_000))]);
        stoppedIn = (performance.now() - started) / 1000;
      } finally {
        proxy.heal();
        await beat.close();
        await proxy.cut();
      }
      expect(stoppedIn).toBeLessThan(STOP_TIMEOUT + 1);
      expect(events.filter((e) => e.type === 'run-lost')).toEqual([]);
      expect(events.some((e) => e.type === 'publish-failed')).toBe(true);
      // Every run the table counts was sent: the stuck ones were given back.
      expect(await runs()).toBe(sent());
    });
  });
});
