// The monitor's History view and a worker's chart in headless Chromium,
// over known rows: the lines drawn hold exactly the counts the rows make,
// the time axis shows the browser's zone, the runtime table the rows'
// percentiles; and a new handler and server on the same database (a
// restart) draws the same history.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/open.js';
import { createHandler, LiveFeed, toNodeListener } from '../../src/web/index.js';
import { describeEachDatabase, type TestDatabase } from '../support/databases.js';
import { SnapshotStore } from '../../src/snapshot/index.js';
import { EXPECTED_HOUR, EXPECTED_RUNTIMES, EXPECTED_W1_HOUR, EXPECTED_WEEK, HISTORY_NOW, historyRow, writeHistoryRows } from '../support/history-rows.js';
import { describeInChromium, launchBrowser, screenshot, type Browser } from './support/browser.js';

// Kolkata is 5:30 ahead of UTC: the minute buckets' labels move, the hour buckets start at half past.
const ZONE = 'Asia/Kolkata';

interface Running {
  url: string;
  close(): Promise<void>;
}

/** createHandler and Node's server on a database of its own connection, with the rows' clock: what `serve` runs. */
async function startServer(testDb: TestDatabase): Promise<Running> {
  const database: Database = await testDb.open();
  const live = new LiveFeed(database);
  const handler = createHandler({ database, monitor: true, live, now: () => HISTORY_NOW });
  const server: Server = createServer(toNodeListener(handler)).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    async close() {
      await live.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await database.close();
    },
  };
}

/** The values each line of a chart holds, by series. */
async function drawn(page: Page, chart: string): Promise<Record<string, number[]>> {
  const lines = page.locator(`${chart} polyline`);
  await lines.first().waitFor();
  const out: Record<string, number[]> = {};
  for (const line of await lines.all()) {
    const key = (await line.getAttribute('data-series')) as string;
    out[key] = ((await line.getAttribute('data-values')) as string).split(',').map(Number);
  }
  return out;
}

async function runtimes(page: Page): Promise<unknown[]> {
  await page.locator('#runtimes tbody tr').first().waitFor();
  const out = [];
  for (const row of await page.locator('#runtimes tbody tr').all()) {
    const [name, count, p50, p95, p99] = await Promise.all(['name', 'count', 'p50', 'p95', 'p99'].map((key) => row.getAttribute(`data-${key}`)));
    out.push({ name, count: Number(count), p50: Number(p50), p95: Number(p95), p99: Number(p99) });
  }
  return out;
}

describeInChromium('monitor history in Chromium', () => {
  describeEachDatabase('history', (testDb) => {
    let db: Database;
    let server: Running;
    let browser: Browser;
    let page: Page;

    beforeAll(async () => {
      db = await testDb.open();
      await writeHistoryRows(db);
      server = await startServer(testDb);
      browser = await launchBrowser({ timezoneId: ZONE });
      page = await browser.newPage();
      page.on('pageerror', (error) => {
        throw error;
      });
    }, 60_000);

    afterAll(async () => {
      await browser?.[Symbol.asyncDispose]();
      await server?.close();
    });

    it('draws the last hour per minute from the rows, with local times on the axis', async () => {
      await page.goto(new URL('#/history', server.url).href);
      expect(await drawn(page, '#history-chart')).toEqual({ succeeded: EXPECTED_HOUR.succeeded, failed: EXPECTED_HOUR.failed, retried: EXPECTED_HOUR.retried });
      const chart = page.locator('#history-chart svg');
      expect(await chart.getAttribute('data-since')).toBe(EXPECTED_HOUR.since);
      // 11:31 UTC is 17:01 in Kolkata: the first label is 17:10, the last 18:00.
      const labels = await chart.locator('text.axis[text-anchor="middle"]').allTextContents();
      expect([labels[0], labels.at(-1)]).toEqual(['17:10', '18:00']);
      expect(await page.locator('#history-chart .legend li').allTextContents()).toEqual(['succeeded 23', 'failed 1', 'retried 8']);
      expect(await runtimes(page)).toEqual(EXPECTED_RUNTIMES);
      await screenshot(page, `history-${testDb.provider}`);
    });

    it('draws the last week per hour', async () => {
      await page.locator('nav.ranges a', { hasText: 'Last week' }).click();
      await page.waitForURL((url) => url.hash === '#/history?range=week');
      await expect.poll(async () => page.locator('#history-chart svg').getAttribute('data-step')).toBe('3600');
      expect(await drawn(page, '#history-chart')).toEqual({ succeeded: EXPECTED_WEEK.succeeded, failed: EXPECTED_WEEK.failed, retried: EXPECTED_WEEK.retried });
    });

    it("draws a worker's last hour by state on its page", async () => {
      await page.goto(new URL('#/workers/w1%40host', server.url).href);
      expect(await drawn(page, '#worker-history')).toEqual({ success: EXPECTED_W1_HOUR.states.SUCCESS, retry: EXPECTED_W1_HOUR.states.RETRY });
    });

    it('after a restart on the same database, the same history', async () => {
      await server.close();
      server = await startServer(testDb);
      await page.goto(new URL('#/history', server.url).href);
      expect(await drawn(page, '#history-chart')).toEqual({ succeeded: EXPECTED_HOUR.succeeded, failed: EXPECTED_HOUR.failed, retried: EXPECTED_HOUR.retried });
      expect(await runtimes(page)).toEqual(EXPECTED_RUNTIMES);
    });

    // Last: it adds a row.
    it('a row the camera writes while the page is open shows without a reload (live updates, throttled)', async () => {
      await expect.poll(() => page.locator('html').getAttribute('data-live'), { timeout: 5000 }).toBe('on');
      const outcome = await new SnapshotStore(db).write([historyRow('live-1', 'SUCCESS', 'tasks.add', 'w1@host', '2026-12-07T12:30:10.000Z', { runtime: 0.1 })], []);
      expect(outcome.error).toBeNull();
      // The chart's query runs at most every 5 s: the redraw may wait that long.
      await expect.poll(async () => (await drawn(page, '#history-chart')).succeeded?.[59], { timeout: 15_000, interval: 200 }).toBe(3);
    });
  });
});
