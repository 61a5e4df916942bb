import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { hashGatewayKey } from '../src/security/keyStore.js';
import { TRACK_EVENTS, event, exported, useStacks, type Stack } from './helpers.js';

/**
 * CORS_ORIGINS over real HTTP: preflights answered before authentication (allowed: 204 and the
 * lists; anything else: 403 and no CORS headers), CORS headers on every answer to an allowed
 * origin (errors included), nothing changed for callers without an Origin, Apollo's CSRF
 * prevention still on, and the configuration checked at start-up. Requests go out through
 * node:http so the headers sent and received are exactly the ones written here.
 */

const startStack = useStacks();

const APP = 'http://localhost:5173';
const OTHER_APP = 'https://app.example.com';
const STRANGER = 'https://evil.example';
const CORS_ORIGINS = `${APP}, ${OTHER_APP}`;

const ADMIN = 'bgw_cors-admin-key-for-tests-0001';
const TRACKER = 'bgw_cors-tracker-key-for-tests-0002';
const GATEWAY_KEYS = [
  `admin:${hashGatewayKey(ADMIN)}:*`,
  `tracker:${hashGatewayKey(TRACKER)}:users.track`,
].join(';');

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json(): { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

function send(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text,
          json: () => JSON.parse(text) as never,
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The CORS part of an answer: every access-control-* header, and Vary. */
function corsHeaders(headers: IncomingHttpHeaders): Record<string, string | string[] | undefined> {
  return Object.fromEntries(
    Object.entries(headers).filter(([k]) => k.startsWith('access-control-') || k === 'vary'),
  );
}

function preflight(
  s: Stack,
  origin: string,
  requestHeaders = 'authorization, content-type',
): Promise<Answer> {
  return send(s.gw.url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': requestHeaders,
    },
  });
}

function postJson(
  s: Stack,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): Promise<Answer> {
  return send(s.gw.url, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const ALLOWED_PREFLIGHT = {
  'access-control-allow-origin': APP,
  'access-control-allow-methods': 'GET, POST, OPTIONS',
  'access-control-allow-headers':
    'content-type, authorization, x-request-deadline-ms, apollo-require-preflight, traceparent, tracestate',
  'access-control-max-age': '600',
  vary: 'Origin',
};
const ALLOWED_ANSWER = {
  'access-control-allow-origin': APP,
  'access-control-expose-headers': 'x-request-id, traceparent',
  vary: 'Origin',
};

describe('CORS preflight', () => {
  it('answers an allowed origin with 204 and exactly the CORS headers, without a gateway key', async () => {
    const stack = await startStack({ env: { CORS_ORIGINS, GATEWAY_KEYS } });
    const res = await preflight(stack, APP);
    expect(res.status).toBe(204);
    expect(corsHeaders(res.headers)).toEqual(ALLOWED_PREFLIGHT);
    expect(res.text).toBe('');
    // Never a wildcard, never credentials; each listed origin gets its own echo.
    const other = await preflight(stack, OTHER_APP);
    expect(other.status).toBe(204);
    expect(other.headers['access-control-allow-origin']).toBe(OTHER_APP);
    expect(other.headers['access-control-allow-credentials']).toBeUndefined();
    // The same on `/`, which serves GraphQL too.
    const root = await send(stack.gw.url.replace('/graphql', '/'), {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'POST' },
    });
    expect(root.status).toBe(204);
    expect(corsHeaders(root.headers)).toEqual(ALLOWED_PREFLIGHT);
    // A preflight is answered before authentication, so it never counts as a refused key.
    expect(stack.logs.join('')).not.toContain('UNAUTHENTICATED');
  });

  it('refuses an origin not in the list with 403 FORBIDDEN and no CORS headers but Vary', async () => {
    const stack = await startStack({ env: { CORS_ORIGINS, GATEWAY_KEYS } });
    // A near miss is a miss: another host, scheme or port, or a trailing slash, is another origin.
    for (const origin of [STRANGER, 'http://127.0.0.1:5173', 'https://localhost:5173', `${APP}/`, 'null']) {
      const res = await preflight(stack, origin);
      expect(res.status, origin).toBe(403);
      expect(corsHeaders(res.headers), origin).toEqual({ vary: 'Origin' });
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json().errors).toEqual([
        {
          message: `Origin ${JSON.stringify(origin)} may not call this gateway from a browser: it is not one of the origins in CORS_ORIGINS.`,
          extensions: { code: 'FORBIDDEN' },
        },
      ]);
    }
  });

  it('refuses every preflight when CORS_ORIGINS is unset, and leaves other answers as they were', async () => {
    const stack = await startStack();
    const res = await preflight(stack, APP);
    expect(res.status).toBe(403);
    expect(corsHeaders(res.headers)).toEqual({ vary: 'Origin' });
    expect(res.json().errors![0]!.message).toContain('CORS_ORIGINS is empty');
    // An actual request, with or without an Origin, gets no CORS header at all.
    for (const headers of [{}, { origin: APP }] as Array<Record<string, string>>) {
      const answer = await postJson(stack, { query: '{ __typename }' }, headers);
      expect(answer.status).toBe(200);
      expect(corsHeaders(answer.headers)).toEqual({});
    }
    // An OPTIONS that is not a preflight (no Access-Control-Request-Method) still goes to
    // GraphQL, and gets what it gets without an Origin (Apollo's refusal).
    const plain = await send(stack.gw.url, { method: 'OPTIONS' });
    const withOrigin = await send(stack.gw.url, { method: 'OPTIONS', headers: { origin: APP } });
    expect(plain.status).toBe(400);
    expect([withOrigin.status, withOrigin.json()]).toEqual([plain.status, plain.json()]);
    expect(corsHeaders(withOrigin.headers)).toEqual({});
  });
});

describe('CORS on actual requests', () => {
  it('lets an allowed origin read its answer, and its request id', async () => {
    const stack = await startStack({ env: { CORS_ORIGINS, GATEWAY_KEYS } });
    const res = await postJson(
      stack,
      { query: TRACK_EVENTS, variables: { events: [event('cors-1')] } },
      { origin: APP, authorization: `Bearer ${ADMIN}`, 'x-request-id': 'cors-req-1' },
    );
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ data: { trackEvents: [{ ok: true, error: null }] } });
    expect(corsHeaders(res.headers)).toEqual(ALLOWED_ANSWER);
    // The exposed header is really there for the frontend to read.
    expect(res.headers['x-request-id']).toBe('cors-req-1');
    expect(exported(stack.sim, 'cors-1')).toBeDefined();

    // A GET query, with the CSRF header a browser GET needs.
    const get = await send(`${stack.gw.url}?query=${encodeURIComponent('{ rateBudget { group } }')}`, {
      headers: { origin: APP, authorization: `Bearer ${ADMIN}`, 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect((get.json().data as { rateBudget: unknown[] }).rateBudget.length).toBeGreaterThan(0);
    expect(corsHeaders(get.headers)).toEqual(ALLOWED_ANSWER);
  });

  it('gives no CORS header to another origin, and only Vary to a caller without an Origin', async () => {
    const stack = await startStack({ env: { CORS_ORIGINS, GATEWAY_KEYS } });
    const body = { query: '{ __typename }' };
    const auth = { authorization: `Bearer ${ADMIN}` };
    const stranger = await postJson(stack, body, { ...auth, origin: STRANGER });
    // The gateway answers (CORS is the browser's rule; a browser never gets this far without a
    // successful preflight), but nothing allows a browser to show the answer to the page.
    expect(stranger.status).toBe(200);
    expect(corsHeaders(stranger.headers)).toEqual({ vary: 'Origin' });
    const server = await postJson(stack, body, auth);
    expect(server.status).toBe(200);
    expect(server.json()).toEqual({ data: { __typename: 'Query' } });
    expect(corsHeaders(server.headers)).toEqual({ vary: 'Origin' });
  });

  it('puts the CORS headers on error answers too: 401, 403, 413, 400', async () => {
    const stack = await startStack({
      env: { CORS_ORIGINS, GATEWAY_KEYS, MAX_REQUEST_BODY_BYTES: '2000' },
    });
    const origin = { origin: APP };

    const noKey = await postJson(stack, { query: '{ __typename }' }, origin);
    expect(noKey.status).toBe(401);
    expect(noKey.json().errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(corsHeaders(noKey.headers)).toEqual(ALLOWED_ANSWER);

    const notPermitted = await postJson(
      stack,
      { query: 'mutation { deleteUsers(users: [{ externalId: "x" }]) { ok } }' },
      { ...origin, authorization: `Bearer ${TRACKER}` },
    );
    expect(notPermitted.status).toBe(403);
    expect(notPermitted.json().errors![0]!.extensions!.code).toBe('FORBIDDEN');
    expect(corsHeaders(notPermitted.headers)).toEqual(ALLOWED_ANSWER);

    const tooLarge = await postJson(
      stack,
      { query: '{ __typename }', padding: 'x'.repeat(5_000) },
      { ...origin, authorization: `Bearer ${ADMIN}` },
    );
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json().errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(corsHeaders(tooLarge.headers)).toEqual(ALLOWED_ANSWER);

    const notJson = await postJson(stack, '{"query": ', { ...origin, authorization: `Bearer ${ADMIN}` });
    expect(notJson.status).toBe(400);
    expect(notJson.json().errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(corsHeaders(notJson.headers)).toEqual(ALLOWED_ANSWER);
    expect(stack.sim.count('/users/delete')).toBe(0);
  });
});

describe('CSRF prevention stays on', () => {
  it('refuses a simple cross-origin POST or GET, allowed origin or not, before anything runs', async () => {
    // No keys: an open gateway is where a cross-site form post would otherwise get through.
    const stack = await startStack({ env: { CORS_ORIGINS } });
    const mutation = JSON.stringify({ query: TRACK_EVENTS, variables: { events: [event('csrf-1')] } });
    for (const origin of [APP, STRANGER]) {
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']) {
        const res = await postJson(stack, mutation, { origin }, contentType);
        expect(res.status, `${origin} ${contentType}`).toBe(400);
        expect(res.json().errors![0]!.message).toMatch(/Cross-Site Request Forgery/);
        // The allowed origin's page can read why; the stranger's cannot.
        expect(corsHeaders(res.headers)).toEqual(origin === APP ? ALLOWED_ANSWER : { vary: 'Origin' });
      }
    }
    // A GET without apollo-require-preflight (or a JSON content-type) is refused the same way.
    const get = await send(`${stack.gw.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { origin: APP },
    });
    expect(get.status).toBe(400);
    expect(get.json().errors![0]!.message).toMatch(/Cross-Site Request Forgery/);
    expect(corsHeaders(get.headers)).toEqual(ALLOWED_ANSWER);
    expect(stack.sim.count('/users/track')).toBe(0);
    expect(exported(stack.sim, 'csrf-1')).toBeUndefined();

    // The same mutation with either CSRF header goes through.
    const json = await postJson(stack, mutation, { origin: APP });
    expect(json.json()).toEqual({ data: { trackEvents: [{ ok: true, error: null }] } });
    const preflighted = await postJson(
      stack,
      { query: TRACK_EVENTS, variables: { events: [event('csrf-2')] } },
      { origin: APP, 'apollo-require-preflight': 'true' },
      'text/plain',
    );
    // With the header Apollo lets it in, and the body (not JSON-typed) is not a GraphQL request.
    expect(preflighted.status).toBe(400);
    expect(preflighted.json().errors![0]!.message).not.toMatch(/Cross-Site Request Forgery/);
  });
});

describe('CORS_ORIGINS configuration', () => {
  it('is empty by default and keeps origins normalised as a browser sends them', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: '  ' }).corsOrigins).toEqual([]);
    expect(
      loadConfig({
        CORS_ORIGINS:
          'http://localhost:5173, HTTPS://App.Example.com:443/,https://app.example.com,http://[::1]:8080,http://127.0.0.1:3000',
      }).corsOrigins,
    ).toEqual([
      'http://localhost:5173',
      'https://app.example.com',
      'http://[::1]:8080',
      'http://127.0.0.1:3000',
    ]);
  });

  it('refuses what is not an origin, naming the variable and each bad value at once', () => {
    const bad: Array<[string, RegExp]> = [
      ['example.com', /not an origin of the form scheme:\/\/host\[:port\]/],
      ['https://app.example.com/path', /no path, query or fragment/],
      ['https://app.example.com?x=1', /no path, query or fragment/],
      ['http://localhost:5173/#top', /no path, query or fragment/],
      ['*', /a wildcard is not allowed/],
      ['https://*.example.com', /a wildcard is not allowed/],
      ['null', /"null" origin/],
      ['ftp://files.example.com', /scheme must be http or https/],
      ['localhost:5173', /not an origin of the form/],
      ['https://user:pw@app.example.com', /no user name or password/],
      ['http://localhost:99999', /host or port is not valid/],
    ];
    for (const [value, why] of bad) {
      let error: unknown;
      try {
        loadConfig({ CORS_ORIGINS: `${APP},${value}` });
      } catch (err) {
        error = err;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems;
      expect(problems, value).toHaveLength(1);
      expect(problems[0], value).toContain(`CORS_ORIGINS item ${JSON.stringify(value)} is not valid`);
      expect(problems[0], value).toMatch(why);
    }
    // All at once, with the other variables' problems.
    expect(() => loadConfig({ CORS_ORIGINS: 'example.com,*', PORT: 'x' })).toThrow(
      /PORT="x"[\s\S]*CORS_ORIGINS item "example.com"[\s\S]*CORS_ORIGINS item "\*"/,
    );
  });
});
