import { describe, expect, it } from 'vitest';
import {
  TEST_API_KEY,
  TRACK_EVENTS,
  event,
  exported,
  useStacks,
  type ItemResult,
  type Stack,
} from './helpers.js';

/**
 * Fault injection: Braze failing in every way the gateway can see. For each storm: no crash,
 * every item answered, no item acknowledged ok that Braze did not accept, nothing sent twice.
 */

const startStack = useStacks();

const tally = { faults: 0, items: 0, lost: 0 };

async function send(s: Stack, prefix: string, n: number): Promise<ItemResult[]> {
  const events = Array.from({ length: n }, (_, i) => event(`${prefix}-${i}`, 'fault_test'));
  const res = await s.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, { events });
  const results = res.body.data!.trackEvents;
  expect(results).toHaveLength(n);
  tally.items += n;
  // Lost = acknowledged ok but not at Braze, or delivered more than once.
  results.forEach((r, i) => {
    const count = exported(s.sim, `${prefix}-${i}`)?.custom_events?.[0]?.count ?? 0;
    if ((r.ok && count !== 1) || (!r.ok && count !== 0)) tally.lost += 1;
  });
  return results;
}

async function healthy(s: Stack): Promise<void> {
  const res = await fetch(s.gw.url.replace('/graphql', '/healthz'));
  expect(res.status).toBe(200);
}

describe('fault injection', () => {
  it('survives a 5xx storm: items fail with UPSTREAM_ERROR, the breaker opens, then closes after the cooldown', async () => {
    const stack = await startStack({
      env: { UPSTREAM_BREAKER_THRESHOLD: '3', UPSTREAM_BREAKER_COOLDOWN_MS: '300', BATCH_WINDOW_MS: '1' },
    });
    stack.sim.injectFault({ path: '/users/track', status: 503, times: 3 });
    tally.faults += 3;
    for (let i = 0; i < 3; i++) {
      const r = await send(stack, `storm-${i}`, 2);
      expect(r.map((x) => x.error?.code)).toEqual(['UPSTREAM_ERROR', 'UPSTREAM_ERROR']);
    }
    // Open: fails fast, Braze not called.
    const before = stack.sim.count('/users/track');
    const fast = await send(stack, 'open', 1);
    expect(fast[0]!.error!.message).toContain('failing repeatedly');
    expect(stack.sim.count('/users/track')).toBe(before);
    const readyz = (await (await fetch(stack.gw.url.replace('/graphql', '/readyz'))).json()) as {
      braze: string;
    };
    expect(readyz.braze).toBe('open');
    // After the cooldown one trial goes through, succeeds, and closes the circuit.
    await new Promise((r) => setTimeout(r, 350));
    const recovered = await send(stack, 'after', 3);
    expect(recovered.every((x) => x.ok)).toBe(true);
    await healthy(stack);
  });

  it('does not resend after a timeout or a reset (Braze may have the request), and stays up', async () => {
    const stack = await startStack({ env: { UPSTREAM_HEADERS_TIMEOUT_MS: '200', BATCH_WINDOW_MS: '1' } });
    stack.sim.injectFault({ path: '/users/track', kind: 'hang', times: 1 });
    stack.sim.injectFault({ path: '/users/track', kind: 'reset', times: 1 });
    tally.faults += 2;
    const hung = await send(stack, 'hang', 1);
    expect(hung[0]!.error).toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(hung[0]!.error!.message).toContain('in time');
    const reset = await send(stack, 'reset', 1);
    expect(reset[0]!.error!.code).toBe('UPSTREAM_ERROR');
    expect(stack.sim.count('/users/track')).toBe(2);
    expect((await send(stack, 'fine', 2)).every((x) => x.ok)).toBe(true);
    await healthy(stack);
  });

  it('retries a refused connection with backoff, then reports UPSTREAM_ERROR', async () => {
    const stack = await startStack({ env: { BATCH_WINDOW_MS: '1' } });
    await stack.sim.close();
    tally.faults += 1;
    const res = await stack.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, { events: [event('refused')] });
    tally.items += 1;
    const error = res.body.data!.trackEvents[0]!.error!;
    expect(error.code).toBe('UPSTREAM_ERROR');
    expect(error.message).toContain('Could not connect');
    expect(stack.logs.join('')).toContain('Braze unreachable; retrying');
    await healthy(stack);
  });

  it('rides out a 429 storm: each 429 waits for the next window, and the items arrive once', async () => {
    const stack = await startStack({ env: { RATE_LIMIT_USERS_TRACK: '1000/1s', BATCH_WINDOW_MS: '1' } });
    stack.sim.injectFault({
      path: '/users/track',
      status: 429,
      body: { message: 'Rate limit exceeded' },
      times: 2,
    });
    tally.faults += 2;
    const r = await send(stack, 'storm429', 5);
    expect(r.every((x) => x.ok)).toBe(true);
    expect(stack.sim.requests.filter((x) => x.path === '/users/track').map((x) => x.status)).toEqual([
      429, 429, 201,
    ]);
    await healthy(stack);
  });

  it('exposes Prometheus metrics without the API key', async () => {
    const stack = await startStack({ env: { BATCH_WINDOW_MS: '1' } });
    await send(stack, 'metrics', 3);
    const text = await (await fetch(stack.gw.url.replace('/graphql', '/metrics'))).text();
    expect(text).toMatch(/bgw_upstream_requests_total\{endpoint="\/users\/track",status="201"\} 1/);
    expect(text).toMatch(/bgw_batch_items_per_request_sum\{batcher="users.track"\} 3/);
    expect(text).toContain('bgw_budget_remaining{group="users.track"}');
    expect(text).toContain('bgw_graphql_requests_total{operation="trackEvents",outcome="ok"} 1');
    expect(text).not.toContain(TEST_API_KEY);
  });

  it('reports the tally', () => {
    console.log(
      `fault injection: ${tally.faults} faults survived, ${tally.items} items answered, ${tally.lost} lost`,
    );
    expect(tally.lost).toBe(0);
    expect(tally.faults).toBeGreaterThanOrEqual(8);
  });
});
