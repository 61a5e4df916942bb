import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { graphql, parse, validate, type GraphQLSchema } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from './fixtures/chromium.js';
import { buildSchema } from '../src/app/schema.js';
import { DEFAULT_EXAMPLES } from '../src/playground/examples.js';
import { createPlaygroundHandler, type PlaygroundUi } from '../src/playground/handler.js';
import { limitValidationRules } from '../src/security/shapeLimits.js';

/**
 * The playground in a real browser (Debian's Chromium driven by playwright-core), as a person
 * would use it: the page loads from the gateway alone, the first example runs, its result shows,
 * and the browser reports no Content-Security-Policy violation or script error. Each front end
 * the machine can serve is tried (the basic page always; GraphiQL when graphiql@4, react@18 and
 * react-dom@18 are installed). A screenshot of what a user gets goes to docs/playground.png
 * (see `screenshot` below for when).
 *
 * Waits use Playwright selectors (`:has-text()`), never page-evaluated strings: the page's CSP
 * forbids eval, for test code too.
 *
 * The GraphQL endpoint is a stand-in: introspection is answered from the gateway's real schema
 * (GraphiQL needs it for its editor), every other operation gets one fixed response.
 */

const DOCS = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');

/** The few playwright-core calls used here (typed locally, so typechecking needs no package). */
interface Page {
  goto(url: string): Promise<unknown>;
  on(event: 'console', fn: (msg: { type(): string; text(): string }) => void): void;
  on(event: 'pageerror', fn: (err: Error) => void): void;
  click(selector: string): Promise<void>;
  waitForSelector(selector: string, opts?: { timeout?: number }): Promise<unknown>;
  textContent(selector: string): Promise<string | null>;
  locator(selector: string): { count(): Promise<number>; allTextContents(): Promise<string[]> };
  screenshot(opts: { path: string }): Promise<unknown>;
  close(): Promise<void>;
}
interface Browser {
  newPage(opts: { viewport: { width: number; height: number } }): Promise<Page>;
  close(): Promise<void>;
}

const skipReason = chromiumSkipReason;
if (skipReason !== undefined) console.warn(`playground browser test skipped: ${skipReason}`);

const FIXED_RESPONSE = {
  data: {
    trackEvents: [
      { ok: true, error: null },
      { ok: false, error: { code: 'BAD_USER_INPUT' } },
    ],
  },
};

const autoUi = createPlaygroundHandler({ endpointPath: '/graphql', examples: DEFAULT_EXAMPLES }).ui;
const uis: PlaygroundUi[] = autoUi === 'graphiql' ? ['graphiql', 'basic'] : ['basic'];
if (autoUi === 'basic' && skipReason === undefined) {
  console.warn(
    'playground browser test: GraphiQL not installed (graphiql@4, react@18, react-dom@18): basic only',
  );
}

describe.skipIf(skipReason !== undefined)('playground in Chromium', () => {
  let browser: Browser;
  let schema: GraphQLSchema;

  beforeAll(async () => {
    schema = buildSchema();
    browser = await launchChromium<Browser>();
  });

  afterAll(async () => {
    await browser?.close();
  });

  describe.each(uis)('%s', (ui) => {
    let server: Server;
    let base: string;
    const received: Array<{
      body: { query?: string; variables?: unknown };
      headers: IncomingMessage['headers'];
    }> = [];
    const introspectionRefusals: string[] = [];

    beforeAll(async () => {
      const handler = createPlaygroundHandler({
        endpointPath: '/graphql',
        examples: DEFAULT_EXAMPLES,
        ui,
        headers: { Authorization: 'Bearer bgw_example-key' },
      });
      server = createServer((req, res) => {
        if (handler(req, res)) return;
        if (req.url !== '/graphql' || req.method !== 'POST') {
          res.statusCode = 404;
          res.end();
          return;
        }
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
            query?: string;
            variables?: Record<string, unknown>;
          };
          const answer = (result: unknown): void => {
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify(result));
          };
          if (body.query?.includes('__schema')) {
            // The gateway's default abuse limits must let GraphiQL's introspection through.
            introspectionRefusals.push(
              ...validate(schema, parse(body.query), limitValidationRules()).map((e) => e.message),
            );
            graphql({ schema, source: body.query, variableValues: body.variables }).then(answer, () => {
              res.statusCode = 500;
              res.end();
            });
            return;
          }
          received.push({ body, headers: req.headers });
          answer(FIXED_RESPONSE);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    /**
     * What a user gets goes to docs/playground.png (the other front end beside it), when that file
     * is missing or UPDATE_SCREENSHOTS=1: pixels differ from run to run, and a test run should not
     * leave a changed binary in the work tree. A copy always goes to the temp directory.
     */
    async function screenshot(page: Page): Promise<void> {
      const name = ui === autoUi ? 'playground.png' : `playground-${ui}.png`;
      await page.screenshot({ path: join(tmpdir(), `braze-gateway-${name}`) });
      const target = join(DOCS, name);
      if (process.env.UPDATE_SCREENSHOTS === '1' || !existsSync(target)) {
        mkdirSync(DOCS, { recursive: true });
        await page.screenshot({ path: target });
      }
    }

    it('loads, runs the first example and shows its result', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      const problems: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error') problems.push(msg.text());
      });
      page.on('pageerror', (err) => problems.push(err.message));
      try {
        await page.goto(`${base}/graphql`);
        if (ui === 'graphiql') {
          await page.waitForSelector('.graphiql-container', { timeout: 15_000 });
          const tabs = await page.locator('.graphiql-tab-button').allTextContents();
          expect(tabs.map((t) => t.trim())).toEqual([
            'TrackEvents',
            'SetUserAttributes',
            'User',
            'ByEmail',
            'Users',
            'DailyActiveUsers',
          ]);
          await page.click('.graphiql-execute-button');
          await page.waitForSelector('.result-window:has-text("BAD_USER_INPUT")', { timeout: 15_000 });
          expect(await page.textContent('.result-window')).toContain('"ok": true');
          await screenshot(page);
          // The schema arrived through introspection: the docs explorer lists the root types.
          await page.click('[aria-label="Show Documentation Explorer"]');
          await page.waitForSelector('.graphiql-doc-explorer:has-text("mutation")', { timeout: 15_000 });
        } else {
          await page.waitForSelector('#tabs button', { timeout: 15_000 });
          const tabs = await page.locator('#tabs button').allTextContents();
          expect(tabs).toEqual([
            'TrackEvents',
            'SetUserAttributes',
            'User',
            'ByEmail',
            'Users',
            'DailyActiveUsers',
          ]);
          await page.click('#run');
          await page.waitForSelector('#result:has-text("BAD_USER_INPUT")', { timeout: 15_000 });
          expect(await page.textContent('#status')).toMatch(/^HTTP 200 · \d+ ms$/);
          expect(JSON.parse((await page.textContent('#result')) ?? '')).toEqual(FIXED_RESPONSE);
          await screenshot(page);
        }
        // The example went out as written, with the headers from the headers editor.
        const sent = received.at(-1)!;
        expect(sent.body.query).toContain('mutation TrackEvents');
        expect(sent.body.variables).toEqual(DEFAULT_EXAMPLES[0]!.variables);
        expect(sent.headers.authorization).toBe('Bearer bgw_example-key');
        expect(sent.headers['content-type']).toMatch(/^application\/json/);

        // Another tab runs its own operation with its own variables.
        const before = received.length;
        await page.click(
          ui === 'graphiql' ? '.graphiql-tab-button:has-text("Users")' : '#tabs button:has-text("Users")',
        );
        await page.click(ui === 'graphiql' ? '.graphiql-execute-button' : '#run');
        await expect.poll(() => received.length).toBe(before + 1);
        expect(received.at(-1)!.body.query).toContain('query Users');
        expect(received.at(-1)!.body.variables).toEqual(
          DEFAULT_EXAMPLES.find((e) => e.query.includes('query Users('))!.variables,
        );
        expect(introspectionRefusals).toEqual([]);
        // No CSP violation, failed load or script error along the way.
        expect(problems).toEqual([]);
      } finally {
        await page.close();
      }
    });
  });
});
