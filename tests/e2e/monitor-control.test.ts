// The monitor's remote control end to end, in headless Chromium, against a
// real Python Celery 5.2.6 worker (prefork, one process, -E) on a vhost of
// its own, with the real camera writing its events: the worker's page shows
// what it answers (its running task, queues, registered tasks) and sets a
// rate limit; a running task is terminated from its page and the camera's
// table says REVOKED.
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Control } from '../../src/control/index.js';
import type { Database } from '../../src/db/open.js';
import { Camera } from '../../src/snapshot/index.js';
import { startMonitorServer, type MonitorServer } from '../../src/web/server.js';
import { describeEachDatabase } from '../support/databases.js';
import { PythonWorker } from '../support/python-worker.js';
import { missingServices } from '../support/services.js';
import { waitFor } from '../support/wait.js';
import { describeWithChromium, launchBrowser, screenshot, type Browser } from './support/browser.js';
import { privateVhost, type PrivateVhost } from './support/vhost.js';

const TOKEN = 'e2e-control-token-0123456789abcdef';
const polling = { timeoutMs: 20_000, intervalMs: 100 };
const describeWithPythonAndChromium = missingServices().has('python-celery') ? describe.skip : describeWithChromium;

describeWithPythonAndChromium('monitor remote control in Chromium', () => {
  describeEachDatabase('monitor control', (testDb) => {
    let vhost: PrivateVhost;
    let database: Database;
    let camera: Camera;
    let worker: PythonWorker;
    let server: MonitorServer;
    let browser: Browser;
    let page: Page;
    const actions: string[] = [];

    beforeAll(async () => {
      vhost = privateVhost('e2e-control');
      database = await testDb.open();
      camera = new Camera({ database, brokerUrl: vhost.url, freq: 0.2, workerWriteInterval: 0 });
      await camera.start();
      worker = new PythonWorker({ brokerUrl: vhost.url });
      await worker.start();
      server = await startMonitorServer({ database, port: 0, token: TOKEN, brokerUrl: vhost.url, brokerLog: () => {}, actionLog: (line) => actions.push(line) });
      browser = await launchBrowser({ timezoneId: 'UTC' });
      page = await browser.newPage();
      page.on('pageerror', (error) => {
        throw error;
      });
      await page.goto(new URL('#/workers', server.url).href);
      await page.fill('#token', TOKEN);
      await page.click('#lock button[type=submit]');
      await page.locator('#lock .badge.unlocked').waitFor();
    }, 90_000);

    afterAll(async () => {
      await browser?.[Symbol.asyncDispose]();
      await server?.close();
      await worker?.[Symbol.asyncDispose]();
      await camera?.close();
      vhost?.drop();
    });

    it('terminates a running task from its page, seen running on the worker page first', { timeout: 60_000 }, async () => {
      const slow = await worker.publish('tasks.slow', [120]);
      await waitFor('the camera to see it started', async () => (await database.prisma.taskState.findUnique({ where: { taskId: slow } }))?.state === 'STARTED', polling);
      await page.goto(new URL(`#/workers/${encodeURIComponent(worker.name)}`, server.url).href);
      const running = page.locator(`#worker-active tr[data-id="${slow}"]`);
      await running.waitFor({ timeout: 15_000 });
      expect(await running.textContent()).toContain('tasks.slow');
      expect(await page.locator('#worker-queues').textContent()).toContain(worker.queue);
      expect(await page.locator('#worker-registered').textContent()).toContain('tasks.slow');
      await screenshot(page, `worker-detail-${testDb.provider}`);

      await running.locator('a').click();
      await page.locator('#task-detail button[data-action="terminate"]').click();
      // Every worker on the shared vhost answers a broadcast revoke: this one must be among them.
      await expect.poll(() => page.locator('#task-detail .message.ok').textContent()).toMatch(/^Terminate sent; answered by .+\.$/);
      expect(await page.locator('#task-detail .message.ok').textContent()).toContain(worker.name);
      await waitFor('the camera to store it REVOKED', async () => (await database.prisma.taskState.findUnique({ where: { taskId: slow } }))?.state === 'REVOKED', polling);
      await page.reload();
      await expect.poll(() => page.locator('#task-detail .badge').first().textContent()).toBe('REVOKED');
      expect(await page.locator('#task-detail button[data-action="terminate"]').count()).toBe(0);
      expect(actions).toHaveLength(1);
      expect(actions[0]).toMatch(new RegExp(`^revoke \\(terminate, SIGTERM\\): task ${slow}; \\d+ worker\\(s\\) answered: .*${worker.name.replace(/[.@]/g, '\\$&')}`));
    });

    it('sets a rate limit from the worker page, which the worker then reports', { timeout: 60_000 }, async () => {
      await page.goto(new URL(`#/workers/${encodeURIComponent(worker.name)}`, server.url).href);
      await page.locator('#rate-task').waitFor();
      await page.selectOption('#rate-task', 'tasks.add');
      await page.fill('#rate-value', '10/m');
      await page.click('button[data-action="rate-limit"]');
      await expect.poll(() => page.locator('.notices .message.ok').textContent()).toBe('Rate limit of tasks.add: new rate limit set successfully');
      await using control = new Control({ brokerUrl: vhost.url });
      await control.start();
      const shown = await control.registered({ destination: worker.name, taskinfoitems: ['rate_limit'] });
      expect(shown.replies[worker.name]).toContain('tasks.add [rate_limit=10/m]');
    });
  });
});
