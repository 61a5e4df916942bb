import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { parse, validate } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../src/app/schema.js';
import { jsonForScript } from '../src/playground/assets.js';
import { DEFAULT_EXAMPLES, tomorrowAtNine, variablesAt } from '../src/playground/examples.js';
import {
  PLAYGROUND_CSP,
  createPlaygroundHandler,
  prefersHtml,
  type PlaygroundHandler,
} from '../src/playground/handler.js';

/**
 * The playground handler over real HTTP, without a browser: routing next to a GraphQL endpoint on
 * the same path, content types, caching, compression and security headers. The browser test
 * drives the page itself.
 */

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8';

let server: Server;
let base: string;
let handler: PlaygroundHandler;

beforeAll(async () => {
  handler = createPlaygroundHandler({ endpointPath: '/graphql', examples: DEFAULT_EXAMPLES, ui: 'basic' });
  server = createServer((req, res) => {
    if (handler(req, res)) return;
    // Stands in for the gateway: whatever the playground does not take is GraphQL's.
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ data: { routedTo: 'graphql' } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('playground handler', () => {
  it('serves the page to a browser, with a CSP allowing only self', async () => {
    const res = await fetch(`${base}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('vary')).toBe('Accept');
    expect(res.headers.get('content-security-policy')).toBe(PLAYGROUND_CSP);
    expect(PLAYGROUND_CSP).toMatch(/script-src 'self';/);
    expect(PLAYGROUND_CSP).not.toMatch(/unsafe|https?:|\*/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    // Every script is a file from the gateway: no inline code, nothing from elsewhere.
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
    for (const attrs of scripts) {
      expect(attrs).toMatch(/type="application\/json"|src="\/graphql\/playground\/[\w.-]+\?v=[0-9a-f]{16}"/);
    }
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('mutation TrackEvents');
  });

  it('leaves GraphQL requests on the same path to GraphQL', async () => {
    const requests: RequestInit[] = [
      { headers: { accept: 'application/json' } },
      { headers: { accept: 'application/graphql-response+json, application/json;q=0.9' } },
      { headers: { accept: '*/*' } },
      { headers: {} },
      { method: 'POST', headers: { accept: BROWSER_ACCEPT, 'content-type': 'application/json' }, body: '{}' },
    ];
    for (const init of requests) {
      const res = await fetch(`${base}/graphql?query=%7B__typename%7D`, init);
      expect(await res.json()).toEqual({ data: { routedTo: 'graphql' } });
    }
  });

  it('serves its assets with content types, immutable caching for the linked version, ETags and gzip', async () => {
    const html = await (await fetch(`${base}/graphql`, { headers: { accept: BROWSER_ACCEPT } })).text();
    const js = /src="(\/graphql\/playground\/basic\.js\?v=[0-9a-f]+)"/.exec(html)![1]!;
    const css = /href="(\/graphql\/playground\/basic\.css\?v=[0-9a-f]+)"/.exec(html)![1]!;

    const res = await fetch(`${base}${js}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-security-policy')).toBe(PLAYGROUND_CSP);
    const etag = res.headers.get('etag')!;
    expect(await res.text()).toMatch(/^\(function \(\) \{/);

    expect((await fetch(`${base}${css}`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    // Another version (or none) revalidates instead.
    const stale = await fetch(`${base}/graphql/playground/basic.js?v=0000`);
    expect(stale.headers.get('cache-control')).toBe('no-cache');
    const notModified = await fetch(`${base}${js}`, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);

    // fetch() decompresses transparently: look at the wire with node:http.
    const raw = await rawGet(`${js}`, { 'accept-encoding': 'gzip' });
    expect(raw.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(raw.body).toString('utf8')).toMatch(/^\(function \(\) \{/);
  });

  it('answers 404 for an unknown asset and 405 for a non-GET', async () => {
    expect((await fetch(`${base}/graphql/playground/nope.js`)).status).toBe(404);
    const post = await fetch(`${base}/graphql/playground/basic.js`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${base}/graphql`, { method: 'HEAD', headers: { accept: BROWSER_ACCEPT } });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
  });

  it('says why it serves the basic page, or serves GraphiQL', () => {
    const auto = createPlaygroundHandler({ endpointPath: '/graphql', examples: DEFAULT_EXAMPLES });
    if (auto.ui === 'basic') expect(auto.note).toMatch(/graphiql@4, react@18 and react-dom@18/);
    else expect(auto.note).toBeUndefined();
    expect(handler.ui).toBe('basic');
  });
});

describe('examples', () => {
  it('are valid operations on the gateway schema, with the variables they declare', () => {
    const schema = buildSchema();
    const names: string[] = [];
    for (const example of DEFAULT_EXAMPLES) {
      const doc = parse(example.query);
      expect(validate(schema, doc)).toEqual([]);
      const op = doc.definitions[0]!;
      if (op.kind !== 'OperationDefinition') throw new Error('expected an operation');
      names.push(op.name!.value);
      const declared = (op.variableDefinitions ?? []).map((v) => v.variable.name.value).sort();
      expect(Object.keys(variablesAt(example, new Date()) ?? {}).sort()).toEqual(declared);
    }
    expect(names).toEqual([
      'TrackEvents',
      'SetUserAttributes',
      'User',
      'ByEmail',
      'Users',
      'RecentCampaigns',
      'ScheduleMessage',
      'HardBounces',
      'DailyActiveUsers',
    ]);
  });
});

describe('the ScheduleMessage tab', () => {
  it('is made when the page is served: tomorrow at 9:00, local time', async () => {
    const schedule = DEFAULT_EXAMPLES.find((e) => e.query.includes('mutation ScheduleMessage('))!;
    expect(tomorrowAtNine(new Date('2026-12-31T23:30:00Z'))).toBe('2027-01-01T09:00:00.000Z');
    const res = await fetch(`${base}/graphql`, { headers: { accept: BROWSER_ACCEPT } });
    const html = await res.text();
    const served = variablesAt(schedule, new Date()) as { input: { schedule: unknown } };
    expect(served.input.schedule).toEqual({ time: tomorrowAtNine(new Date()), inLocalTime: true });
    // The page carries the variables as JSON text inside its config.
    expect(html).toContain(tomorrowAtNine(new Date()));
  });
});

describe('helpers', () => {
  it('prefersHtml tells a browser from a GraphQL client', () => {
    expect(prefersHtml(BROWSER_ACCEPT)).toBe(true);
    expect(prefersHtml('text/html')).toBe(true);
    expect(prefersHtml('application/json, text/html;q=0.5')).toBe(false);
    expect(prefersHtml('*/*')).toBe(false);
    expect(prefersHtml(undefined)).toBe(false);
  });

  it('jsonForScript cannot close the script element it sits in', () => {
    const text = jsonForScript({ q: '</script><script>alert(1)</script><!--' });
    expect(text).not.toMatch(/[<>]/);
    expect(JSON.parse(text)).toEqual({ q: '</script><script>alert(1)</script><!--' });
  });
});

function rawGet(
  path: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    get(`${base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}
