import { describe, expect, it } from 'vitest';
import { TRACK_EVENTS, event, useStacks, type ItemResult, type Stack } from './helpers.js';

/**
 * The delivery engine end to end, over real HTTP: deadlines of several callers mixed in one lane
 * while the budget binds, and a slow Braze that also answers 429.
 */

const startStack = useStacks();

const TRACK = '/users/track';

/** One trackEvents operation with its own `x-request-deadline-ms`. */
async function track(s: Stack, name: string, deadlineMs?: number): Promise<ItemResult> {
  const res = await fetch(s.gw.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(deadlineMs === undefined ? {} : { 'x-request-deadline-ms': String(deadlineMs) }),
    },
    body: JSON.stringify({ query: TRACK_EVENTS, variables: { events: [event(`dl-${name}`, name)] } }),
  });
  const body = (await res.json()) as { data: { trackEvents: ItemResult[] } };
  return body.data.trackEvents[0]!;
}

/** Event names in the 2xx /users/track requests, in order. */
function deliveredNames(s: Stack): string[][] {
  return s.sim.requests
    .filter((r) => r.path === TRACK && r.status === 201)
    .map((r) => ((r.body as { events?: Array<{ name: string }> }).events ?? []).map((e) => e.name));
}

/** Sleep until `offsetMs` after the next boundary of a `windowMs` clock-aligned window. */
async function alignTo(windowMs: number, offsetMs: number): Promise<void> {
  const now = Date.now();
  await new Promise((r) => setTimeout(r, windowMs - (now % windowMs) + offsetMs));
}

describe('deadlines in one lane', () => {
  it('refuses the short deadline alone (RATE_LIMITED, never sent) and sends its lane-mates together at the next window', async () => {
    // One request per 2 s window, on both sides; no guard, so the window's timing is exact.
    const stack = await startStack({ env: { RATE_LIMIT_USERS_TRACK: '1/2s', RATE_BUDGET_GUARD_MS: '0' } });
    const s = stack;
    await alignTo(2_000, 50);
    expect((await track(s, 'first')).ok).toBe(true); // takes this window's unit
    const started = Date.now();
    const [short, a, b] = await Promise.all([track(s, 'short', 100), track(s, 'long-a'), track(s, 'long-b')]);
    console.log(
      `mixed deadlines: short ${JSON.stringify(short)} ; long ok ${a.ok}, ${b.ok} after ${Date.now() - started} ms ; upstream ${JSON.stringify(deliveredNames(s))}`,
    );
    expect(short.ok).toBe(false);
    expect(short.error!.code).toBe('RATE_LIMITED');
    expect(short.error!.retryAfter).toBeGreaterThanOrEqual(1);
    expect(short.error!.retryAfter).toBeLessThanOrEqual(2);
    expect([a.ok, b.ok]).toEqual([true, true]);
    // Never sent, and its lane-mates were neither cut short nor split: one request at the next window.
    expect(deliveredNames(s)).toEqual([['first'], ['long-a', 'long-b']]);
    expect(s.sim.count(TRACK)).toBe(2);
  });

  it('floors a tiny x-request-deadline-ms at 100 ms instead of failing at once', async () => {
    const stack = await startStack();
    const r = await track(stack, 'tiny', 1);
    expect(r).toEqual({ ok: true, error: null });
    expect(deliveredNames(stack)).toEqual([['tiny']]);
  });
});

describe('a slow Braze that also answers 429', () => {
  it('puts the 429ed items back in line, sends each exactly once after the reset, and answers everyone ok', async () => {
    const stack = await startStack({ sim: { latencyMs: 150 } });
    const s = stack;
    const resetS = Math.ceil(Date.now() / 1000) + 1;
    s.sim.injectFault({
      path: TRACK,
      status: 429,
      body: { message: 'Too Many Requests' },
      headers: {
        'x-ratelimit-limit': '50000',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(resetS),
      },
    });
    const names = Array.from({ length: 30 }, (_, i) => `slow-${i}`);
    const started = Date.now();
    const results = await Promise.all(names.map((n) => track(s, n)));
    const tookMs = Date.now() - started;
    const statuses = s.sim.requests.filter((r) => r.path === TRACK).map((r) => r.status);
    console.log(
      `slow Braze + one 429: ${statuses.length} requests (${statuses.join(',')}), all answered in ${tookMs} ms`,
    );
    expect(results.every((r) => r.ok && r.error === null)).toBe(true);
    expect(statuses.filter((st) => st === 429)).toHaveLength(1);
    // Every event reached Braze exactly once in an accepted request.
    const delivered = deliveredNames(s).flat().sort();
    expect(delivered).toEqual([...names].sort());
    // The resend waited for Braze's reset.
    const retried = s.sim.requests.filter((r) => r.path === TRACK && r.status === 201)[0]!;
    expect(retried.at).toBeGreaterThanOrEqual(resetS * 1000 - 1_000);
  });
});
