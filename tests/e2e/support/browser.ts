// Debian's Chromium, headless, driven by playwright-core (never a
// downloaded browser), with the flags that keep it off the network, a
// fresh empty profile, and the time zone the page should show times in.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { describe } from 'vitest';
import { describeWithBroker } from '../../support/broker.js';
import { CHROMIUM, missingServices } from '../../support/services.js';

/** `describeWithBroker` for suites that drive Chromium (skipped outside CI when it is not installed). */
export const describeWithChromium = missingServices().has('chromium') ? describe.skip : describeWithBroker;
/** For suites that need Chromium and a database but no broker. */
export const describeInChromium = missingServices().has('chromium') ? describe.skip : describe;
export const SCREENSHOTS = new URL('../../../.test-output/screenshots/', import.meta.url);

// Without the background-networking flags Chromium keeps dialling Google on a closed network.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser extends AsyncDisposable {
  readonly context: BrowserContext;
  newPage(): Promise<Page>;
}

export async function launchBrowser(options: { timezoneId: string }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'prisma-celery-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    timezoneId: options.timezoneId,
    locale: 'en-GB',
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    newPage: () => context.newPage(),
    async [Symbol.asyncDispose]() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as .test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // From the top, so the sticky header is drawn where it belongs.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: new URL(`${name}.png`, SCREENSHOTS).pathname, fullPage: true });
}
