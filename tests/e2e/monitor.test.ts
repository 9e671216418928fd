// The monitor page end to end, in headless Debian Chromium: a worker fed by
// a real event stream (Celery events on the vhost's celeryev exchange,
// turned into rows by the real camera), task filters, a failure's
// traceback, disabling a periodic task from the page stopping the real
// beat from sending it, retrying a failed task (the message on the real
// broker, both tasks linked), the running beat shown alive and the queues'
// depths as RabbitMQ counts them. Screenshots of the main views go to
// .test-output/screenshots/.
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectBroker } from '../../src/broker/amqp/index.js';
import { PrismaResultBackend } from '../../src/backend/index.js';
import type { Database } from '../../src/db/open.js';
import { Beat, PeriodicTaskStore, type BeatEvent } from '../../src/scheduler/index.js';
import { Camera } from '../../src/snapshot/index.js';
import { startMonitorServer, type MonitorServer } from '../../src/web/server.js';
import { describeEachDatabase } from '../support/databases.js';
import { waitFor } from '../support/wait.js';
import { describeWithChromium, launchBrowser, screenshot, type Browser } from './support/browser.js';
import { EventStream } from './support/events.js';
import { privateVhost, type PrivateVhost } from './support/vhost.js';

const TOKEN = 'e2e-token-0123456789abcdef';
const ZONE = 'Europe/Berlin';
const TICKS_QUEUE = 'e2e.ticks';
const RETRY_QUEUE = 'e2e.retried';
const WAITING_QUEUE = 'e2e.waiting';
// Markup in worker data must show as text, never run.
const XSS = '<img src=x onerror="window.__xss=1">';
const TRACEBACK = `Traceback (most recent call last):\n  File "tasks.py", line 12, in divide\n    return a / b\nZeroDivisionError: division by zero ${XSS}\n`;

const polling = { timeoutMs: 15_000, intervalMs: 100 };

describeWithChromium('monitor page in Chromium', () => {
  describeEachDatabase('monitor', (testDb) => {
    let vhost: PrivateVhost;
    let broker: ChannelModel;
    let events: EventStream;
    let heartbeats: NodeJS.Timeout;
    let database: Database;
    let camera: Camera;
    let beat: Beat;
    const beatEvents: BeatEvent[] = [];
    let ticks = 0;
    let counter: Channel;
    let server: MonitorServer;
    let browser: Browser;
    let page: Page;
    let failedTaskId: string;
    const retried: ConsumeMessage[] = [];
    const actions: string[] = [];

    beforeAll(async () => {
      vhost = privateVhost('e2e');
      database = await testDb.open();
      camera = new Camera({ database, brokerUrl: vhost.url, freq: 0.2, workerWriteInterval: 0, wakeUpWorkers: false });
      await camera.start();

      broker = await connectBroker(vhost.url, { log: () => {} });
      events = await EventStream.open(broker);
      await events.worker('online', 'celery@alpha');
      await events.worker('online', 'celery@beta');
      await events.worker('offline', 'celery@beta');
      heartbeats = setInterval(() => void events.worker('heartbeat', 'celery@alpha').catch(() => {}), 1000);
      await events.task('celery@alpha', 'tasks.add', '(2, 3)', { result: '5' });
      await events.task('celery@alpha', 'tasks.add', '(40, 2)', { result: '42' });
      await events.task('celery@alpha', 'tasks.mul', `('${XSS}',)`, { result: `'${XSS}'` });
      failedTaskId = await events.task('celery@alpha', 'tasks.divide', '(1, 0)', {
        exception: "ZeroDivisionError('division by zero')",
        traceback: TRACEBACK,
      });
      await waitFor('the camera to write the failure', () => database.prisma.taskState.findFirst({ where: { taskId: failedTaskId, state: 'FAILURE' } }), polling);
      await waitFor('the camera to write the workers', async () => (await database.prisma.workerState.count()) === 2, polling);

      // Stored results, for the results view.
      const backend = new PrismaResultBackend(database);
      await backend.markSucceeded('11111111-2222-4333-8444-555555555555', { total: 42 }, { name: 'tasks.add', worker: 'celery@alpha', args: [40, 2] });
      await backend.markFailed('66666666-7777-4888-9999-aaaaaaaaaaaa', new RangeError('too big'), { name: 'tasks.mul', worker: 'celery@alpha' });
      await backend.close();

      const periodic = new PeriodicTaskStore(database);
      await periodic.create({ name: 'tick every second', task: 'e2e.tick', schedule: { every: 1 }, queue: TICKS_QUEUE, description: 'stopped from the page' });
      await periodic.create({ name: 'nightly report', task: 'tasks.report', schedule: { crontab: '30 4 * * *', timezone: ZONE } });
      await periodic.create({ name: 'weekday digest', task: 'tasks.digest', schedule: { crontab: '0 9 * * mon-fri', timezone: 'America/New_York' }, enabled: false });
      // Long names and a busy crontab: the row's buttons must still fit a 1,280-px window.
      await periodic.create({
        name: 'quarterly financial summary for the regional offices',
        task: 'reports.finance.generate_quarterly_financial_summary_for_regional_offices',
        schedule: { crontab: '0,15,30,45 8-18 1-7 1,4,7,10 mon-fri', timezone: 'America/Argentina/ComodRivadavia' },
        description: 'sent to the finance team on the first weekday of each quarter, every quarter hour during office hours',
      });

      counter = await broker.createChannel();
      await counter.assertQueue(TICKS_QUEUE, { durable: true, exclusive: false, autoDelete: false, arguments: {} });
      await counter.consume(TICKS_QUEUE, () => void ticks++, { noAck: true });
      await counter.assertQueue(RETRY_QUEUE, { durable: true, exclusive: false, autoDelete: false, arguments: {} });
      await counter.consume(RETRY_QUEUE, (message) => void (message && retried.push(message)), { noAck: true });
      await counter.assertQueue(WAITING_QUEUE, { durable: true, exclusive: false, autoDelete: false, arguments: {} });
      for (let i = 0; i < 3; i++) counter.sendToQueue(WAITING_QUEUE, Buffer.from('{}'));
      beat = new Beat({ database, brokerUrl: vhost.url, maxInterval: 0.2, syncInterval: 0.1, onEvent: (event) => beatEvents.push(event) });
      await beat.start();

      server = await startMonitorServer({
        database,
        port: 0,
        token: TOKEN,
        brokerUrl: vhost.url,
        monitor: { heartbeatFreq: 2, cameraFreq: 1, queues: [WAITING_QUEUE] },
        brokerLog: () => {},
        actionLog: (line) => actions.push(line),
      });
      browser = await launchBrowser({ timezoneId: ZONE });
      page = await browser.newPage();
      page.on('pageerror', (error) => {
        throw error;
      });
    }, 90_000);

    afterAll(async () => {
      clearInterval(heartbeats);
      await browser?.[Symbol.asyncDispose]();
      await server?.close();
      await beat?.close();
      await camera?.close();
      await events?.close().catch(() => {});
      await broker?.close().catch(() => {});
      vhost?.drop();
    });

    const open = async (hash: string) => {
      await page.goto(new URL(hash, server.url).href);
      await page.waitForSelector('#main table, #main .detail, #main form.periodic-form, #main .message');
    };

    it('lists the worker the event stream feeds as online, with its last heartbeat humanized and exact on hover', async () => {
      await open('#/workers');
      const alpha = page.locator('tr[data-worker="celery@alpha"]');
      await expect.poll(() => alpha.locator('.liveness').textContent()).toBe('online');
      const heartbeat = alpha.locator('time');
      expect(await heartbeat.textContent()).toMatch(/^(just now|\d+ seconds? ago)$/);
      // The exact time, in the browser's zone (Berlin is UTC+1 in winter, +2 in summer).
      expect(await heartbeat.getAttribute('title')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (CES?T|GMT\+[12])$/);
      await expect.poll(() => page.locator('tr[data-worker="celery@beta"] .liveness').textContent()).toBe('offline');
      await screenshot(page, `workers-${testDb.provider}`);
    });

    it('filters tasks by state, and shows a failure with its traceback as text', async () => {
      await open('#/tasks');
      await expect.poll(() => page.locator('#tasks-list tbody tr').count()).toBe(4);
      await page.selectOption('#filter-state', 'FAILURE');
      await page.waitForURL((url) => url.hash === '#/tasks?state=FAILURE');
      await expect.poll(() => page.locator('#tasks-list tbody tr').count()).toBe(1);
      expect(await page.locator('#tasks-list tbody tr').getAttribute('data-id')).toBe(failedTaskId);
      await screenshot(page, `tasks-failures-${testDb.provider}`);

      await page.selectOption('#filter-state', '');
      await page.fill('#filter-name', 'tasks.add');
      await page.press('#filter-name', 'Enter');
      await expect.poll(() => page.locator('#tasks-list tbody tr').count()).toBe(2);
      await page.selectOption('#filter-worker', 'celery@alpha');
      await page.waitForURL((url) => url.hash === '#/tasks?name=tasks.add&worker=celery%40alpha');
      await expect.poll(() => page.locator('#tasks-list tbody tr').count()).toBe(2);

      await open('#/tasks?state=FAILURE');
      await page.click(`a[href="#/tasks/${failedTaskId}"]`);
      const detail = page.locator('#task-detail');
      await detail.waitFor();
      expect(await detail.locator('pre.traceback').textContent()).toBe(TRACEBACK);
      expect(await detail.textContent()).toContain("ZeroDivisionError('division by zero')");
      expect(await detail.textContent()).toContain('tasks.divide');
      await screenshot(page, `task-failure-${testDb.provider}`);
    });

    it('shows task arguments and results from workers as text, never as markup', async () => {
      await open('#/tasks?name=tasks.mul');
      await page.locator('#tasks-list a').first().click();
      await page.locator('#task-detail').waitFor();
      expect(await page.locator('#task-detail').textContent()).toContain(XSS);
      expect(await page.locator('#task-detail img').count()).toBe(0);
      expect(await page.evaluate('window.__xss')).toBeUndefined();
    });

    it('lists stored task results, and one in full', async () => {
      await open('#/results');
      await expect.poll(() => page.locator('#results-list tbody tr').count()).toBe(2);
      await screenshot(page, `results-${testDb.provider}`);
      await page.click('a[href="#/results/66666666-7777-4888-9999-aaaaaaaaaaaa"]');
      await page.locator('#result-detail pre.traceback').waitFor();
      expect(await page.locator('#result-detail').textContent()).toContain('RangeError');
    });

    it('shows a result stored meanwhile on the Results view, live: no reload, no timer', async () => {
      const live = await browser.newPage();
      try {
        // The page's own clock, moved on by hand: the 5-second timer never comes round, only the event's redraw.
        await live.clock.install();
        await live.goto(new URL('#/results', server.url).href);
        await expect.poll(() => live.locator('#results-list tbody tr').count()).toBe(2);
        await live.waitForSelector('html[data-live="on"]', { state: 'attached' });
        expect(await live.locator('#live').isVisible()).toBe(true);
        await live.evaluate('window.__sameDocument = true');
        const backend = new PrismaResultBackend(database);
        try {
          await backend.markSucceeded('77777777-8888-4999-aaaa-bbbbbbbbbbbb', 'live', { name: 'tasks.live', worker: 'celery@alpha' });
        } finally {
          await backend.close();
        }
        const row = live.locator('#results-list a[href="#/results/77777777-8888-4999-aaaa-bbbbbbbbbbbb"]');
        // At most 16 × 250 ms = 4 s of the page's time: the debounce passes, the timer does not.
        for (let step = 0; step < 16 && (await row.count()) === 0; step++) {
          await live.clock.runFor(250);
          await new Promise((resolve) => setTimeout(resolve, 250));
        }
        await row.waitFor({ timeout: 1_000 });
        expect(await live.evaluate('window.__sameDocument')).toBe(true);
        expect(await live.locator('#results-list tbody tr').count()).toBe(3);
      } finally {
        await live.close();
      }
    });

    it('falls back to its timer when the stream fails', async () => {
      const fallback = await browser.newPage();
      try {
        // The page's own clock: the timer runs when the test says, not after five real seconds.
        await fallback.clock.install();
        await fallback.route('**/api/live', (route) => route.abort());
        await fallback.goto(new URL('#/results', server.url).href);
        await fallback.locator('#results-list tbody tr').first().waitFor();
        await fallback.waitForSelector('html[data-live="off"]', { state: 'attached' });
        expect(await fallback.locator('#live').isVisible()).toBe(false);
        const backend = new PrismaResultBackend(database);
        try {
          await backend.markSucceeded('88888888-9999-4aaa-bbbb-cccccccccccc', 'timer', { name: 'tasks.timer', worker: 'celery@alpha' });
        } finally {
          await backend.close();
        }
        await fallback.clock.runFor(5_000);
        await fallback.locator('#results-list a[href="#/results/88888888-9999-4aaa-bbbb-cccccccccccc"]').waitFor({ timeout: 10_000 });
      } finally {
        await fallback.close();
      }
    });

    it('disabling a periodic task on the page stops beat from sending it', async () => {
      await waitFor('beat to send the every-second task twice', async () => ticks >= 2, { ...polling, timeoutMs: 20_000 });
      await open('#/periodic');
      const row = page.locator('tr[data-name="tick every second"]');
      expect(await row.textContent()).toContain('every second');
      expect(await page.locator('tr[data-name="nightly report"]').textContent()).toContain('30 4 * * *');
      // Locked: no buttons until the token is given.
      expect(await row.locator('button').count()).toBe(0);
      await page.fill('#token', 'not-the-token-at-all');
      await page.click('#lock button[type=submit]');
      await expect.poll(() => page.locator('.lock-error').textContent()).toBe('wrong token');
      await page.fill('#token', TOKEN);
      await page.click('#lock button[type=submit]');
      await page.locator('#lock .badge.unlocked').waitFor();
      await row.locator('button[data-action="disable"]').click();
      await expect.poll(() => page.locator('.message.ok').textContent()).toContain('Disabled "tick every second"');
      await expect.poll(() => row.locator('.liveness').textContent()).toBe('no');

      // Next and last run to the second, with the zone (the browser's: Berlin).
      const when = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (CES?T|GMT\+[12])$/;
      expect(await page.locator('tr[data-name="nightly report"] td.run-time time').first().textContent()).toMatch(when);
      expect(await row.locator('td.run-time').nth(1).locator('time').first().textContent()).toMatch(when);
      expect(await row.locator('td.run-time').nth(1).textContent()).toMatch(/(just now|seconds? ago)$/);

      // Every row's buttons fit the 1,280-px window, without scrolling the table sideways.
      const viewport = page.viewportSize()?.width ?? 0;
      expect(viewport).toBe(1280);
      // Measured in one go: the list refreshes itself now and then.
      const layout = await page.locator('#main .view-body').evaluate((body) => ({
        buttons: body.querySelectorAll('#periodic-list .actions > *').length,
        rightmost: Math.max(...[...body.querySelectorAll('#periodic-list .actions > *')].map((button) => button.getBoundingClientRect().right)),
        sideways: body.scrollWidth - body.clientWidth,
      }));
      expect(layout.buttons).toBe(4 * 3);
      expect(layout.rightmost).toBeLessThanOrEqual(viewport);
      expect(layout.sideways).toBe(0);

      // A run beat claimed before the disable committed is still sent; one
      // claimed after fails (the claim needs the row enabled and unchanged).
      // Beat syncs at the start of a tick, after the sends of the one before:
      // once it has synced the disable's version, every such send is out.
      const disabledAt = (await database.prisma.periodicTask.findUniqueOrThrow({ where: { name: 'tick every second' } })).changeVersion;
      await waitFor('beat to sync the disable', () => beatEvents.some((event) => event.type === 'schedule-synced' && event.version >= disabledAt), polling);
      const sent = (): number => beatEvents.filter((event) => event.type === 'task-sent' && event.entry === 'tick every second').length;
      const afterDisable = sent();
      await waitFor('the sends before the disable on the queue', () => ticks >= afterDisable, polling);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      expect(sent()).toBe(afterDisable);
      expect(ticks).toBe(afterDisable);
      expect(beatEvents.filter((event) => event.type === 'tick-failed')).toEqual([]);
      await screenshot(page, `periodic-${testDb.provider}`);

      await row.locator('button[data-action="enable"]').click();
      await expect.poll(() => row.locator('.liveness').textContent()).toBe('yes');
      await waitFor('beat to send it again', async () => ticks > afterDisable, { ...polling, timeoutMs: 10_000 });
      await row.locator('button[data-action="disable"]').click();
      await expect.poll(() => row.locator('.liveness').textContent()).toBe('no');
    });

    it('"run now" sends the task at once', async () => {
      const before = ticks;
      await page.locator('tr[data-name="tick every second"] button[data-action="run"]').click();
      await expect.poll(() => page.locator('.message.ok').textContent()).toMatch(/^Sent "e2e.tick" now \(task id [0-9a-f-]{36}\)\.$/);
      await waitFor('the message on the queue', async () => ticks === before + 1, polling);
    });

    it('adds a periodic task through the form, showing what is wrong next to the field', async () => {
      await page.click('a[href="#/periodic/new"]');
      await page.locator('#periodic-form').waitFor();
      await page.fill('#field-name', 'morning mail');
      await page.fill('#field-task', 'tasks.mail');
      await page.check('input[name=kind][value=crontab]');
      await page.fill('#field-schedule-minute', '15');
      await page.fill('#field-schedule-hour', '25');
      await page.fill('#field-schedule-timezone', 'US/Pacific-New');
      await page.fill('#field-kwargs', '{"to": ');
      await page.click('#periodic-form button[type=submit]');
      // Every field at fault at once, each under its field; the first on the page focused.
      const kwargsError = page.locator('[data-field="kwargs"] .field-error');
      const hourError = page.locator('[data-field="schedule.hour"] .field-error');
      const zoneError = page.locator('[data-field="schedule.timezone"] .field-error');
      await expect.poll(() => kwargsError.textContent()).toMatch(/^kwargs is not valid JSON/);
      expect(await hourError.textContent()).toMatch(/hour "25": must be 0-23/);
      expect(await zoneError.textContent()).toMatch(/^unknown time zone "US\/Pacific-New"/);
      for (const id of ['#field-kwargs', '#field-schedule-hour', '#field-schedule-timezone']) {
        expect(await page.locator(id).getAttribute('aria-invalid'), id).toBe('true');
      }
      expect(await page.locator('#field-schedule-minute').getAttribute('aria-invalid')).toBeNull();
      expect(await page.evaluate('document.activeElement?.id')).toBe('field-schedule-hour');
      await screenshot(page, `periodic-form-${testDb.provider}`);

      // Fixed ones clear; the zone is stored as tzdata spells it.
      await page.fill('#field-kwargs', '{"to": "ops"}');
      await page.fill('#field-schedule-timezone', 'europe/berlin');
      await page.fill('#field-schedule-hour', '7');
      await page.click('#periodic-form button[type=submit]');
      await page.waitForURL((url) => url.hash === '#/periodic');
      await expect.poll(() => page.locator('.message.ok').first().textContent()).toBe(`Saved "morning mail": at 07:15 every day (${ZONE}).`);
      const added = page.locator('tr[data-name="morning mail"]');
      expect(await added.locator('td.mono').allTextContents()).toEqual(['tasks.mail', '15 7 * * *']);
      // In the table, as beat will read it.
      const stored = await new PeriodicTaskStore(database).get('morning mail');
      expect(stored).toMatchObject({ kwargs: '{"to":"ops"}', schedule: { kind: 'crontab', hour: '7', minute: '15', timezone: ZONE } });

      await added.locator('a', { hasText: 'Edit' }).click();
      await page.locator('#periodic-form').waitFor();
      expect(await page.inputValue('#field-schedule-hour')).toBe('7');
      await page.check('input[name=kind][value=interval]');
      await page.fill('#field-schedule-every', '90');
      await page.selectOption('#field-schedule-period', 'minutes');
      await page.click('#periodic-form button[type=submit]');
      await page.waitForURL((url) => url.hash === '#/periodic');
      await expect.poll(() => added.locator('td').nth(3).textContent()).toBe('every 90 minutes');
    });

    it('retries a failed task from its result: the same call sent again under a new id, both linked', async () => {
      const failed = 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff';
      const backend = new PrismaResultBackend(database);
      try {
        await backend.markFailed(failed, new TypeError('bad input'), { name: 'tasks.parse', args: ['2026-13-01'], kwargs: { strict: true }, queue: RETRY_QUEUE });
        await open(`#/results/${failed}`);
        await page.locator('#result-detail button[data-action="retry"]').click();
        await expect.poll(() => page.locator('#result-detail .message.ok').textContent()).toMatch(/^Sent tasks\.parse again as task [0-9a-f-]{36}\.$/);
        const link = page.locator('#result-detail .retried-as a');
        const newId = (await link.textContent()) ?? '';
        await waitFor('the retried message on its queue', () => retried.length === 1, polling);
        expect(retried[0]!.properties.headers).toMatchObject({ task: 'tasks.parse', id: newId });
        expect(JSON.parse(retried[0]!.content.toString())).toEqual([['2026-13-01'], { strict: true }, expect.any(Object)]);
        expect(actions).toContain(`retry: tasks.parse[${failed}] sent again as ${newId} to queue ${RETRY_QUEUE}`);
        await screenshot(page, `result-retried-${testDb.provider}`);

        // The new task's result, once stored, links back.
        await backend.markFailed(newId, new TypeError('bad input'), { name: 'tasks.parse', args: ['2026-13-01'], kwargs: { strict: true }, queue: RETRY_QUEUE });
        await link.click();
        await page.waitForURL((url) => url.hash === `#/results/${newId}`);
        await expect.poll(() => page.locator('#result-detail a', { hasText: failed }).count()).toBe(1);
        expect(await page.locator('#result-detail').textContent()).toContain('Retry of');
      } finally {
        await backend.close();
      }
    });

    it('shows the running beat alive, and the queues with what RabbitMQ counts', async () => {
      await open('#/beats');
      const row = page.locator(`#beats tr[data-liveness] >> nth=0`);
      await expect.poll(() => row.locator('.liveness').textContent()).toBe('alive');
      expect(await row.locator('td.mono').allTextContents()).toEqual([expect.any(String), String(process.pid)]);
      await screenshot(page, `beats-${testDb.provider}`);

      await open('#/queues');
      const waiting = page.locator(`#queues tr[data-queue="${WAITING_QUEUE}"]`);
      await expect.poll(() => waiting.locator('td[data-messages]').textContent()).toBe('3');
      expect(await waiting.locator('td[data-consumers]').textContent()).toBe('0');
      // The periodic task's queue, with its one consumer; the retried result's queue, emptied by its consumer.
      expect(await page.locator(`#queues tr[data-queue="${TICKS_QUEUE}"] td[data-consumers]`).textContent()).toBe('1');
      expect(await page.locator(`#queues tr[data-queue="${RETRY_QUEUE}"] td[data-messages]`).textContent()).toBe('0');
      // Celery's default queue is listed; nothing declared it on this vhost.
      expect(await page.locator('#queues tr[data-queue="celery"]').textContent()).toContain('not declared on the broker');
      await screenshot(page, `queues-${testDb.provider}`);
    });

    it('without a token, the page is read-only: no buttons, and the API refuses changes', async () => {
      await using readOnly = await startMonitorServer({ database, port: 0 });
      await page.goto(new URL('#/periodic', readOnly.url).href);
      await page.locator('#periodic-list').waitFor();
      expect(await page.locator('#lock .badge.read-only').textContent()).toBe('read-only');
      expect(await page.locator('#periodic-list button, a[href="#/periodic/new"]').count()).toBe(0);
      const refused = await fetch(new URL('api/periodic-tasks/nightly%20report/disable', readOnly.url), {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(refused.status).toBe(403);
    });
  });
});
