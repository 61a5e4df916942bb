import { afterEach, describe, expect, it } from 'vitest';
import { BrazeClient } from '../src/braze/client.js';
import { broadcastAudience } from '../src/braze/endpoints.js';
import type { AcquireResult, RateBudget, RateHeaders } from '../src/budget/budget.js';
import { createBudget } from '../src/budget/index.js';
import { loadConfig } from '../src/config.js';
import type { RateGroupName } from '../src/budget/groups.js';
import { RateLimitedError, UpstreamError } from '../src/errors.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { TEST_API_KEY, memoryLogger } from './helpers.js';

/** The one upstream path against the simulator: classification of every kind of answer. */

let sim: Simulator | undefined;
let client: BrazeClient | undefined;
afterEach(async () => {
  await client?.close();
  await sim?.close();
  sim = client = undefined;
});

/**
 * A clock 30 s into a one-minute window (windows align to epoch multiples), so a test that needs
 * "the window will not reset before my deadline" never depends on when it happens to run.
 */
function midWindowClock(): () => number {
  const base = Date.now();
  return () => 1_800_000_030_000 + (Date.now() - base);
}

function clientFor(
  url: string,
  opts: { budget?: RateBudget; headersTimeoutMs?: number; apiKey?: string; now?: () => number } = {},
) {
  const { log, lines } = memoryLogger();
  client = new BrazeClient({
    restEndpoint: url,
    apiKey: opts.apiKey ?? TEST_API_KEY,
    connectTimeoutMs: 1_000,
    headersTimeoutMs: opts.headersTimeoutMs ?? 5_000,
    bodyTimeoutMs: 5_000,
    connections: 4,
    budget: opts.budget ?? createBudget(loadConfig({}), log, opts.now),
    log,
    now: opts.now,
  });
  return { client, lines };
}

const soon = () => Date.now() + 5_000;
const trackBody = { events: [{ external_id: 'u', name: 'e', time: '2026-01-01T00:00:00Z' }] };

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the request to fail');
}

describe('BrazeClient.send', () => {
  it('sends Bearer auth and JSON, and returns the 2xx body with the rate headers', async () => {
    sim = await startSimulator({
      apiKey: TEST_API_KEY,
      rateLimits: { 'users.track': { limit: 10, windowSec: 60 } },
    });
    const { client } = clientFor(sim.url);
    const answer = await client.send('users.track', trackBody, { deadlineMs: soon() });
    expect(answer.status).toBe(201);
    expect(answer.body).toMatchObject({ events_processed: 1, message: 'success' });
    expect(answer.group).toBe('users.track');
    expect(answer.rate.limit).toBe(10);
    expect(answer.rate.remaining).toBe(9);
    expect(answer.rate.resetAtMs! % 60_000).toBe(0);
  });

  it('classifies 401, 403, 400, 429 and 5xx, and never echoes the key', async () => {
    sim = await startSimulator({ apiKey: TEST_API_KEY });
    const bad = clientFor(sim.url, { apiKey: 'not-the-key-77' });
    const e401 = (await failure(
      bad.client.send('users.track', trackBody, { deadlineMs: soon() }),
    )) as UpstreamError;
    expect(e401).toBeInstanceOf(UpstreamError);
    expect([e401.kind, e401.status, e401.mayHaveBeenProcessed]).toEqual(['unauthorized', 401, true]);
    expect(e401.message + bad.lines.join('')).not.toContain('not-the-key-77');
    await bad.client.close();

    const now = midWindowClock();
    const { client, lines } = clientFor(sim.url, { now });
    const inFive = () => now() + 5_000;
    const cases: Array<[number, UpstreamError['kind'] | 'rate_limited']> = [
      [403, 'forbidden'],
      [400, 'rejected'],
      [413, 'rejected'],
      [500, 'server'],
      [503, 'server'],
      // Last: after a 429 the budget holds further requests until the window resets.
      [429, 'rate_limited'],
    ];
    for (const [status, kind] of cases) {
      sim.injectFault({ status, body: { message: `simulated ${status} ${TEST_API_KEY}` } });
      const err = await failure(client.send('users.track', trackBody, { deadlineMs: inFive() }));
      if (kind === 'rate_limited') {
        expect(err).toBeInstanceOf(RateLimitedError);
      } else {
        expect(err).toBeInstanceOf(UpstreamError);
        expect((err as UpstreamError).kind).toBe(kind);
        expect((err as UpstreamError).status).toBe(status);
        expect((err as UpstreamError).brazeMessage ?? '').not.toContain(TEST_API_KEY);
      }
    }
    expect(lines.join('')).not.toContain(TEST_API_KEY);
  });

  it('sends a 429ed request again after the window resets, within the deadline', async () => {
    const limits = { 'users.track': { limit: 100, windowSec: 1 } };
    sim = await startSimulator({ apiKey: TEST_API_KEY, rateLimits: limits });
    const { log } = memoryLogger();
    const budget = createBudget(loadConfig({ RATE_LIMIT_USERS_TRACK: '100/1s' }), log);
    const { client } = clientFor(sim.url, { budget });
    sim.injectFault({ status: 429, body: { message: 'Rate limit exceeded' } });
    const answer = await client.send('users.track', trackBody, { deadlineMs: Date.now() + 3_000 });
    expect(answer.status).toBe(201);
    expect(sim.requests.map((r) => r.status)).toEqual([429, 201]);
    // The retry waited for the next one-second window.
    expect(Math.floor(sim.requests[1]!.at / 1000)).toBeGreaterThan(Math.floor(sim.requests[0]!.at / 1000));
  });

  it('keeps a fatal answer’s errors[] for per-item mapping', async () => {
    sim = await startSimulator({ apiKey: TEST_API_KEY });
    const { client } = clientFor(sim.url);
    const err = (await failure(
      client.send(
        'users.track',
        { events: [{ name: 'no identifier', time: '2026-01-01T00:00:00Z' }] },
        { deadlineMs: soon() },
      ),
    )) as UpstreamError;
    expect(err.kind).toBe('rejected');
    expect(err.brazeErrors).toEqual([expect.objectContaining({ input_array: 'events', index: 0 })]);
  });

  it('tells a refused connection (never processed) from a reset or a timeout (maybe processed)', async () => {
    sim = await startSimulator({ apiKey: TEST_API_KEY });
    const url = sim.url;
    const { client } = clientFor(url, { headersTimeoutMs: 300 });
    sim.injectFault({ kind: 'reset' });
    const reset = (await failure(
      client.send('users.track', trackBody, { deadlineMs: soon() }),
    )) as UpstreamError;
    expect([reset.kind, reset.mayHaveBeenProcessed]).toEqual(['network', true]);
    sim.injectFault({ kind: 'hang' });
    const hung = (await failure(
      client.send('users.track', trackBody, { deadlineMs: soon() }),
    )) as UpstreamError;
    expect([hung.kind, hung.mayHaveBeenProcessed]).toEqual(['timeout', true]);
    await sim.close();
    sim = undefined;
    const refused = (await failure(
      client.send('users.track', trackBody, { deadlineMs: soon() }),
    )) as UpstreamError;
    expect([refused.kind, refused.mayHaveBeenProcessed]).toEqual(['network', false]);
  });

  it('takes a budget unit before every request, reconciles after, and sends nothing when refused', async () => {
    sim = await startSimulator({ apiKey: TEST_API_KEY });
    const calls: string[] = [];
    const budget: RateBudget = {
      async acquire(group: RateGroupName): Promise<AcquireResult> {
        calls.push(`acquire ${group}`);
        return calls.length > 2 ? { ok: false, retryAfterMs: 4_000 } : { ok: true };
      },
      observe(group: RateGroupName, headers: RateHeaders, status: number) {
        calls.push(`observe ${group} ${status} ${headers.remaining}`);
      },
      retryHintMs: () => 1_000,
      async close() {},
    };
    const { client } = clientFor(sim.url, { budget });
    await client.send('users.track', trackBody, { deadlineMs: soon() });
    const refused = await failure(
      client.send('users.export.ids', { external_ids: ['u'] }, { deadlineMs: soon() }),
    );
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterSec).toBe(4);
    expect(calls).toEqual([
      'acquire users.track',
      'observe users.track 201 49999',
      'acquire users.export.ids',
    ]);
    expect(sim.count()).toBe(1);
  });

  it("tells the budget a broadcast's audience when it reconciles, so a per-audience 429 spends only it", async () => {
    sim = await startSimulator({
      apiKey: TEST_API_KEY,
      broadcastPerAudienceLimit: { limit: 0, windowSec: 60 },
    });
    const calls: string[] = [];
    const budget: RateBudget = {
      async acquire(group, _deadlineMs, opts): Promise<AcquireResult> {
        calls.push(`acquire ${group} ${opts?.audience}`);
        return calls.length > 2 ? { ok: false, retryAfterMs: 4_000 } : { ok: true };
      },
      observe(group, headers, status, opts) {
        calls.push(`observe ${group} ${status} ${headers.remaining} ${opts?.audience}`);
      },
      retryHintMs: () => 1_000,
      async close() {},
    };
    const { client } = clientFor(sim.url, { budget });
    const campaignId = sim.catalog.campaigns.find((c) => c.isApiCampaign)!.id;
    const body = { campaign_id: campaignId, broadcast: true };
    expect(await failure(client.send('campaigns.trigger.send', body, { deadlineMs: soon() }))).toBeInstanceOf(
      RateLimitedError,
    );
    const audience = broadcastAudience(body)!;
    expect(calls).toEqual([
      `acquire messaging.broadcast ${audience}`,
      `observe messaging.broadcast 429 250 ${audience}`,
      `acquire messaging.broadcast ${audience}`,
    ]);
  });

  it("takes a segment export's 429 with room left for a busy segment: not retried, not a spent window", async () => {
    sim = await startSimulator({ apiKey: TEST_API_KEY });
    const calls: string[] = [];
    const budget: RateBudget = {
      async acquire(group): Promise<AcquireResult> {
        calls.push(`acquire ${group}`);
        // The third acquire (a retry after the second 429) is refused: the retry is what it shows.
        return calls.length > 4 ? { ok: false, retryAfterMs: 4_000 } : { ok: true };
      },
      observe(group, headers, status, opts) {
        calls.push(`observe ${group} ${status} ${headers.remaining} busy=${opts?.resourceBusy}`);
      },
      retryHintMs: () => 1_000,
      async close() {},
    };
    const { client } = clientFor(sim.url, { budget });
    const body = { segment_id: sim.catalog.segments[0]!.id, fields_to_export: ['email'] };
    const busy = (headers: Record<string, string>) =>
      sim!.injectFault({
        path: '/users/export/segment',
        status: 429,
        body: { message: 'Export running' },
        headers,
      });
    busy({
      'x-ratelimit-limit': '250000',
      'x-ratelimit-remaining': '249990',
      'x-ratelimit-reset': '2000000000',
    });
    const err = (await failure(
      client.send('users.export.segment', body, { deadlineMs: soon() }),
    )) as UpstreamError;
    expect([err.constructor.name, err.kind, err.status, err.brazeMessage]).toEqual([
      'UpstreamError',
      'busy',
      429,
      'Export running',
    ]);
    expect(calls).toEqual(['acquire default', 'observe default 429 249990 busy=true']);
    // Without room left (or without headers) it cannot be told from the rate limit: one.
    busy({ 'x-ratelimit-limit': '250000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2000000000' });
    expect(await failure(client.send('users.export.segment', body, { deadlineMs: soon() }))).toBeInstanceOf(
      RateLimitedError,
    );
    expect(calls.slice(2)).toEqual([
      'acquire default',
      'observe default 429 0 busy=false',
      'acquire default',
    ]);
    expect(sim.count('/users/export/segment')).toBe(2);
  });

  it('refuses to call Braze once the deadline has passed', async () => {
    sim = await startSimulator({ apiKey: TEST_API_KEY });
    const { client } = clientFor(sim.url);
    const err = (await failure(
      client.send('users.track', trackBody, { deadlineMs: Date.now() - 1 }),
    )) as UpstreamError;
    expect([err.kind, err.mayHaveBeenProcessed]).toEqual(['timeout', false]);
    expect(sim.count()).toBe(0);
  });

  it("gives up after three 429s and reports RATE_LIMITED with the time to Braze's reset", async () => {
    sim = await startSimulator({ apiKey: TEST_API_KEY });
    const resetS = Math.floor(Date.now() / 1000) + 4;
    sim.injectFault({
      path: '/users/track',
      status: 429,
      body: { message: 'Too Many Requests' },
      headers: {
        'x-ratelimit-limit': '100',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(resetS),
      },
      times: Infinity,
    });
    // A budget that always grants: the 429s come from Braze alone.
    const budget: RateBudget = {
      acquire: async () => ({ ok: true }),
      observe() {},
      retryHintMs: () => 1_000,
      async close() {},
    };
    const { client: c, lines } = clientFor(sim.url, { budget });
    const err = (await failure(c.send('users.track', trackBody, { deadlineMs: soon() }))) as RateLimitedError;
    expect(err).toBeInstanceOf(RateLimitedError);
    expect(err.retryAfterSec).toBeGreaterThanOrEqual(2);
    expect(err.retryAfterSec).toBeLessThanOrEqual(4);
    expect(err.message).toMatch(/Braze answered 429 for \/users\/track/);
    expect(sim.count('/users/track')).toBe(3);
    expect(lines.filter((l) => l.includes('retrying after the reset'))).toHaveLength(2);
  });

  it('regression: a half-open trial refused by the budget does not keep the circuit open', async () => {
    sim = await startSimulator({ apiKey: TEST_API_KEY });
    let refuse = false;
    const budget: RateBudget = {
      acquire: async () => (refuse ? { ok: false, retryAfterMs: 1_000 } : { ok: true }),
      observe() {},
      retryHintMs: () => 1_000,
      async close() {},
    };
    let nowMs = 1_800_000_000_000;
    const { log } = memoryLogger();
    client = new BrazeClient({
      restEndpoint: sim.url,
      apiKey: TEST_API_KEY,
      connectTimeoutMs: 1_000,
      headersTimeoutMs: 5_000,
      bodyTimeoutMs: 5_000,
      connections: 4,
      budget,
      log,
      now: () => nowMs,
      breakerThreshold: 1,
      breakerCooldownMs: 1_000,
    });
    const c = client;
    const far = () => nowMs + 60_000;
    sim.injectFault({ path: '/users/track', status: 503 });
    expect(
      ((await failure(c.send('users.track', trackBody, { deadlineMs: far() }))) as UpstreamError).kind,
    ).toBe('server');
    expect(c.breakerState).toBe('open');
    nowMs += 1_500; // cooldown over: half-open
    refuse = true; // the would-be trial is refused by the budget before anything is sent
    expect(await failure(c.send('users.track', trackBody, { deadlineMs: far() }))).toBeInstanceOf(
      RateLimitedError,
    );
    // …and a lane that gives up before its grant: nothing was reserved either.
    const controller = new AbortController();
    controller.abort();
    refuse = false;
    expect(
      await c.sendAtGrant('users.track', () => undefined, { deadlineMs: far(), signal: controller.signal }),
    ).toBe(undefined);
    // The next request is the trial; it succeeds and closes the circuit.
    const ok = await c.send('users.track', trackBody, { deadlineMs: far() });
    expect(ok.status).toBe(201);
    expect(c.breakerState).toBe('closed');
  });

  it("retries a refused connection only within the caller's deadline", async () => {
    sim = await startSimulator({ apiKey: TEST_API_KEY });
    const url = sim.url;
    await sim.close();
    sim = undefined;
    const { client: c, lines } = clientFor(url);
    // Backoff is 50–150 ms: a 30 ms deadline leaves no room for a second try.
    const started = Date.now();
    const err = (await failure(
      c.send('users.track', trackBody, { deadlineMs: Date.now() + 30 }),
    )) as UpstreamError;
    expect([err.kind, err.mayHaveBeenProcessed]).toEqual(['network', false]);
    expect(lines.filter((l) => l.includes('Braze unreachable; retrying'))).toHaveLength(0);
    expect(Date.now() - started).toBeLessThan(1_000);
    // With room, it tries three times in all.
    const again = (await failure(
      c.send('users.track', trackBody, { deadlineMs: Date.now() + 5_000 }),
    )) as UpstreamError;
    expect(again.kind).toBe('network');
    expect(lines.filter((l) => l.includes('Braze unreachable; retrying'))).toHaveLength(2);
  });
});
