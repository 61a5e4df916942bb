import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumSkipReason, launchChromium } from './fixtures/chromium.js';
import { hashGatewayKey } from '../src/security/keyStore.js';
import { TRACK_EVENTS, event, exported, startStack, type Stack } from './helpers.js';

/**
 * CORS_ORIGINS in a real browser (Debian's Chromium driven by playwright-core): a frontend page
 * served from another origin calls the gateway with `fetch`, as a single-page app would. One
 * tiny page server is reached under two names, `localhost` and `127.0.0.1`: to a browser these
 * are two origins, and only the first is in CORS_ORIGINS. The gateway listens on 127.0.0.1 on
 * its own port, so both pages are cross-origin to it.
 *
 * What each test awaits is an event (fetch settling, a log line written), never a fixed delay.
 */

/** The few playwright-core calls used here (typed locally, so typechecking needs no package). */
interface Page {
  goto(url: string): Promise<unknown>;
  on(event: 'console', fn: (msg: { type(): string; text(): string }) => void): void;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  close(): Promise<void>;
}
interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
const skip = chromiumSkipReason !== undefined;
if (skip) console.warn(`CORS browser test skipped: ${chromiumSkipReason}`);

const ADMIN = 'bgw_cors-browser-admin-key-0001';

/** What a page learns from one fetch: the answer as the browser lets it see it, or the error. */
type Seen =
  { status: number; ok: boolean; type: string; requestId: string | null; body: string } | { error: string };

/** Runs in the page: one fetch, reported as plain data. */
const pageFetch = (a: { url: string; init: RequestInit }): Promise<Seen> =>
  fetch(a.url, a.init).then(
    async (res) => ({
      status: res.status,
      ok: res.ok,
      type: res.type,
      requestId: res.headers.get('x-request-id'),
      body: await res.text(),
    }),
    (err: Error) => ({ error: `${err.name}: ${err.message}` }),
  );

interface RequestLine {
  msg: string;
  method: string;
  path: string;
  status: number;
}

describe.skipIf(skip)('browser frontends (CORS) in Chromium', () => {
  let pages: Server;
  let allowedOrigin: string;
  let refusedOrigin: string;
  let stack: Stack;
  let browser: Browser;

  beforeAll(async () => {
    pages = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end('<!doctype html><title>frontend</title><p>A frontend on another origin.</p>');
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    const port = (pages.address() as AddressInfo).port;
    allowedOrigin = `http://localhost:${port}`;
    refusedOrigin = `http://127.0.0.1:${port}`;
    stack = await startStack({
      env: { CORS_ORIGINS: allowedOrigin, GATEWAY_KEYS: `admin:${hashGatewayKey(ADMIN)}:*` },
    });
    browser = await launchChromium<Browser>();
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    pages?.closeAllConnections();
    await new Promise<void>((resolve) => (pages ? pages.close(() => resolve()) : resolve()));
  });

  /** A fresh page (and browser context: no preflight cache) on `origin`, closed afterwards. */
  async function onPage<T>(
    origin: string,
    fn: (page: Page, consoleErrors: string[]) => Promise<T>,
  ): Promise<T> {
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    try {
      await page.goto(`${origin}/`);
      return await fn(page, consoleErrors);
    } finally {
      await page.close();
    }
  }

  /** The gateway's request log lines so far. */
  function requests(): RequestLine[] {
    return stack.logs
      .map((l) => JSON.parse(l) as RequestLine)
      .filter((l) => l.msg === 'request' && l.path === '/graphql');
  }

  function postInit(body: unknown, headers: Record<string, string> = {}): RequestInit {
    return {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    };
  }

  it('lets a page on an allowed origin track an event and read a query, with its key', async () => {
    // A traced frontend sends W3C trace context too: the preflight must allow it.
    const auth = {
      authorization: `Bearer ${ADMIN}`,
      'x-request-deadline-ms': '5000',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    };
    const [tracked, budget] = await onPage(allowedOrigin, async (page) => [
      await page.evaluate(pageFetch, {
        url: stack.gw.url,
        init: postInit({ query: TRACK_EVENTS, variables: { events: [event('browser-1')] } }, auth),
      }),
      await page.evaluate(pageFetch, {
        url: stack.gw.url,
        init: postInit({ query: '{ rateBudget { group } }' }, auth),
      }),
    ]);
    expect(tracked).toMatchObject({ ok: true, status: 200, type: 'cors' });
    if ('error' in tracked) throw new Error(tracked.error);
    expect(JSON.parse(tracked.body)).toEqual({ data: { trackEvents: [{ ok: true, error: null }] } });
    // x-request-id is exposed, so the page can quote it.
    expect(tracked.requestId).toMatch(/^[\w.:-]+$/);
    expect(exported(stack.sim, 'browser-1')?.custom_events?.map((e) => e.name)).toEqual(['app_opened']);

    if ('error' in budget) throw new Error(budget.error);
    expect(budget.ok).toBe(true);
    const groups = (JSON.parse(budget.body) as { data: { rateBudget: Array<{ group: string }> } }).data
      .rateBudget;
    expect(groups.map((g) => g.group)).toContain('users.track');
    // The browser asked first (authorization and the deadline header are not safelisted), and
    // that preflight got through without a key.
    await expect
      .poll(() => requests().filter((r) => r.method === 'OPTIONS'))
      .toContainEqual(expect.objectContaining({ status: 204 }));
  });

  it('lets the allowed page read an error answer (401 without a key)', async () => {
    const seen = await onPage(allowedOrigin, (page) =>
      page.evaluate(pageFetch, { url: stack.gw.url, init: postInit({ query: '{ __typename }' }) }),
    );
    if ('error' in seen) throw new Error(seen.error);
    expect(seen).toMatchObject({ status: 401, ok: false, type: 'cors' });
    expect(JSON.parse(seen.body)).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });

  it('refuses a page on an origin not in the list: fetch throws a TypeError and nothing runs', async () => {
    const before = requests().length;
    const { seen, consoleErrors } = await onPage(refusedOrigin, async (page, consoleErrors) => ({
      seen: await page.evaluate(pageFetch, {
        url: stack.gw.url,
        init: postInit(
          { query: TRACK_EVENTS, variables: { events: [event('browser-refused')] } },
          { authorization: `Bearer ${ADMIN}` },
        ),
      }),
      consoleErrors,
    }));
    expect(seen).toEqual({ error: 'TypeError: Failed to fetch' });
    // The browser says why: the preflight's answer did not allow this origin.
    expect(consoleErrors.join('\n')).toMatch(/blocked by CORS policy/);
    // The preflight reached the gateway and was refused; the POST was never sent, so no event.
    // (Only OPTIONS lines are compared: the previous test's last line may be written late.)
    await expect
      .poll(() =>
        requests()
          .slice(before)
          .filter((r) => r.method === 'OPTIONS'),
      )
      .toEqual([expect.objectContaining({ status: 403 })]);
    expect(
      requests()
        .slice(before)
        .filter((r) => r.method === 'POST' && r.status === 200),
    ).toEqual([]);
    expect(exported(stack.sim, 'browser-refused')).toBeUndefined();
  });

  it("refuses credentials: 'include' (the gateway never sends Access-Control-Allow-Credentials)", async () => {
    const init = postInit({ query: '{ __typename }' }, { authorization: `Bearer ${ADMIN}` });
    const [withCookies, withKeyOnly] = await onPage(allowedOrigin, async (page) => [
      await page.evaluate(pageFetch, { url: stack.gw.url, init: { ...init, credentials: 'include' } }),
      // The key travels in a header, which needs no credentials mode: the same call succeeds.
      await page.evaluate(pageFetch, { url: stack.gw.url, init }),
    ]);
    expect(withCookies).toEqual({ error: 'TypeError: Failed to fetch' });
    expect(withKeyOnly).toMatchObject({ status: 200, ok: true });
  });

  it('keeps CSRF prevention on: a simple cross-origin POST to an open gateway is refused before it runs', async () => {
    // Without keys nothing else stops a form-like POST: CSRF prevention must.
    const open = await startStack({ env: { CORS_ORIGINS: allowedOrigin } });
    try {
      const openRequests = () =>
        open.logs
          .map((l) => JSON.parse(l) as RequestLine)
          .filter((l) => l.msg === 'request' && l.path === '/graphql');
      const mutation = (id: string) =>
        JSON.stringify({ query: TRACK_EVENTS, variables: { events: [event(id)] } });
      // A page not in the list fires it without a preflight (the browser sends it and hides the
      // answer from the page).
      const blind = await onPage(refusedOrigin, (page) =>
        page.evaluate(pageFetch, {
          url: open.gw.url,
          init: {
            method: 'POST',
            mode: 'no-cors',
            headers: { 'content-type': 'text/plain' },
            body: mutation('csrf-refused'),
          },
        }),
      );
      expect(blind).toMatchObject({ type: 'opaque', status: 0 });
      await expect.poll(openRequests).toEqual([expect.objectContaining({ method: 'POST', status: 400 })]);
      // The allowed page's simple POST is refused the same way, and that page can read why.
      const readable = await onPage(allowedOrigin, (page) =>
        page.evaluate(pageFetch, {
          url: open.gw.url,
          init: { method: 'POST', headers: { 'content-type': 'text/plain' }, body: mutation('csrf-allowed') },
        }),
      );
      if ('error' in readable) throw new Error(readable.error);
      expect(readable.status).toBe(400);
      expect(readable.body).toMatch(/Cross-Site Request Forgery/);
      expect(open.sim.count('/users/track')).toBe(0);
      // As JSON, the same page's mutation goes through: the refusal was CSRF prevention's.
      const json = await onPage(allowedOrigin, (page) =>
        page.evaluate(pageFetch, {
          url: open.gw.url,
          init: {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: mutation('csrf-json'),
          },
        }),
      );
      expect(json).toMatchObject({ status: 200, ok: true });
      expect(exported(open.sim, 'csrf-refused')).toBeUndefined();
      expect(exported(open.sim, 'csrf-allowed')).toBeUndefined();
      expect(exported(open.sim, 'csrf-json')).toBeDefined();
    } finally {
      await open.close();
    }
  });
});
