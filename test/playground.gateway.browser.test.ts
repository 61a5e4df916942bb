import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from './fixtures/chromium.js';
import { startStack, type Stack } from './helpers.js';

/**
 * The playground of the real gateway, in Debian's Chromium: served by the gateway alone (no
 * internet), the preloaded TrackEvents example runs against the gateway and the simulator, and
 * the result shows. Set UPDATE_SCREENSHOTS=1 to refresh docs/playground.png from this page.
 */

interface Page {
  goto(url: string): Promise<unknown>;
  on(event: 'console', fn: (msg: { type(): string; text(): string }) => void): void;
  click(selector: string): Promise<void>;
  waitForSelector(selector: string, opts?: { timeout?: number }): Promise<unknown>;
  textContent(selector: string): Promise<string | null>;
  screenshot(opts: { path: string }): Promise<unknown>;
}
interface Browser {
  newPage(opts: { viewport: { width: number; height: number } }): Promise<Page>;
  close(): Promise<void>;
}
const skip = chromiumSkipReason !== undefined;
if (skip) console.warn(`gateway playground browser test skipped: ${chromiumSkipReason}`);

describe.skipIf(skip)('the gateway playground in Chromium', () => {
  let stack: Stack;
  let browser: Browser;
  beforeAll(async () => {
    stack = await startStack();
    browser = await launchChromium<Browser>();
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  it('loads from the gateway, runs the preloaded TrackEvents example, and shows the result', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(stack.gw.url);
    await page.waitForSelector('.graphiql-container', { timeout: 20_000 });
    await page.click('.graphiql-execute-button');
    await page.waitForSelector('.result-window:has-text("trackEvents")', { timeout: 20_000 });
    const result = (await page.textContent('.result-window')) ?? '';
    expect(result).toContain('"ok": true');
    expect(stack.sim.count('/users/track')).toBeGreaterThanOrEqual(1);
    await page.screenshot({ path: join(tmpdir(), 'braze-gateway-playground-real.png') });
    if (process.env.UPDATE_SCREENSHOTS === '1') await page.screenshot({ path: 'docs/playground.png' });
    expect(errors).toEqual([]);
  });

  it("runs the HardBounces tab against the simulator's seeded list", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(stack.gw.url);
    await page.waitForSelector('.graphiql-container', { timeout: 20_000 });
    await page.click('.graphiql-tab-button:has-text("HardBounces")');
    // Run at once after the switch: the tab's own operation runs, not the previous tab's.
    await page.click('.graphiql-execute-button');
    await page.waitForSelector('.result-window:has-text("emailHardBounces")', { timeout: 20_000 });
    await page.screenshot({ path: join(tmpdir(), 'braze-gateway-playground-hard-bounces.png') });
    const result = (await page.textContent('.result-window')) ?? '';
    // The simulator's default seed: two bounces within the last 7 days, one older.
    expect(result).toContain('bounced-1@example.com');
    expect(result).toContain('bounced-2@example.com');
    expect(result).not.toContain('old-bounce@example.com');
    expect(stack.sim.count('/email/hard_bounces', 200)).toBe(1);
  });
});
