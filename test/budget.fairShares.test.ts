import { describe, expect, it } from 'vitest';
import { useStacks } from './helpers.js';
import {
  GATEWAY_KEYS,
  expectLightServed,
  paced,
  saturate,
  unitsByCaller,
  type Outcome,
} from './fairShares.js';

/**
 * Fair shares over real HTTP (issue 16): two gateway keys share a binding /users/track budget in
 * front of the simulator. With shares on, the light caller is served within its deadline while a
 * flood 20× its rate is refused; with weights 70/30 and both saturating, Braze accepts units in
 * that split; with the budget not binding, a lone caller never waits for budget.
 */

const startStack = useStacks();

/** The light caller: 1 event every 200 ms; the flood: 20 events every 200 ms (20×), 4 s each. */
async function lightAgainstFlood(env: Record<string, string>) {
  const stack = await startStack({
    env: {
      GATEWAY_KEYS,
      // One item per request: 20 items per second in all, a fifth of what the flood alone sends.
      BATCHING: 'off',
      RATE_LIMIT_USERS_TRACK: '20/1s',
      REQUEST_DEADLINE_MS: '3000',
      LANE_MAX_ITEMS: '100',
      ...env,
    },
  });
  const [light, flood] = await Promise.all([
    paced(stack.gw.url, 'frontend', 1, 200, 4_000),
    paced(stack.gw.url, 'bulk', 20, 200, 4_000),
  ]);
  return { stack, light, flood };
}

const show = (o: Outcome) => `${o.ok} ok, ${o.rateLimited} RATE_LIMITED, ${o.other.length} other`;

describe('fair shares of a binding budget', () => {
  it('serve a light caller within its deadline while a flood 20× its rate gets RATE_LIMITED', async () => {
    const { stack, light, flood } = await lightAgainstFlood({ GATEWAY_SHARES: 'frontend:users.track=1' });
    console.log(`fair shares, light vs flood: light ${show(light)}; flood ${show(flood)}`);
    expectLightServed(
      light,
      flood,
      stack.sim.requests.filter((r) => r.status === 429),
    );
    // The budget's view: both callers, by name, with their units this window.
    const view = await stack.gw.budget.snapshot();
    const track = view.find((g) => g.group === 'users.track')!;
    expect(track.shares.map((s) => s.caller).sort()).toEqual(['bulk', 'frontend']);
    // Metrics: units per group and caller, labelled by key name only.
    const metrics = await stack.gw.metrics.registry.metrics();
    expect(metrics).toMatch(/bgw_budget_units_total\{group="users.track",caller="frontend"\} \d/);
    expect(metrics).toMatch(/bgw_budget_units_total\{group="users.track",caller="bulk"\} \d/);
    expect(metrics).not.toMatch(/bgw_(frontend|bulk)-key/);
  }, 20_000);

  it('without shares the same flood locks the light caller out (first come, first served)', async () => {
    const { light, flood } = await lightAgainstFlood({});
    console.log(`no shares, light vs flood: light ${show(light)}; flood ${show(flood)}`);
    expect(light.rateLimited).toBeGreaterThan(0);
    expect(flood.ok).toBeGreaterThan(0);
  }, 20_000);

  it('split a binding budget 70/30 between two saturating callers', async () => {
    const stack = await startStack({
      env: {
        GATEWAY_KEYS,
        GATEWAY_SHARES: 'frontend:users.track=70; bulk:users.track=30',
        RATE_LIMIT_USERS_TRACK: '10/1s',
        REQUEST_DEADLINE_MS: '3000',
      },
    });
    // Each caller keeps about 900 events waiting: more than 10 full requests (750) per window.
    const loadEndMs = Date.now() + 5_000;
    const [frontend, bulk] = await Promise.all([
      saturate(stack.gw.url, 'frontend', 12, 75, 5_000),
      saturate(stack.gw.url, 'bulk', 12, 75, 5_000),
    ]);
    const { units, windows } = unitsByCaller(stack.sim, 1_000, loadEndMs);
    const total = (units.frontend ?? 0) + (units.bulk ?? 0);
    const share = (units.frontend ?? 0) / total;
    console.log(
      `fair split 70/30: frontend ${units.frontend?.toFixed(2)} units, bulk ${units.bulk?.toFixed(2)} units over ${windows} full windows (${(share * 100).toFixed(1)} % / ${(100 - share * 100).toFixed(1)} %); items frontend ${show(frontend)}, bulk ${show(bulk)}`,
    );
    expect(frontend.other).toEqual([]);
    expect(bulk.other).toEqual([]);
    expect(windows).toBeGreaterThanOrEqual(3);
    expect(total).toBeGreaterThan(windows * 10 * 0.8);
    expect(share).toBeGreaterThanOrEqual(0.65);
    expect(share).toBeLessThanOrEqual(0.75);
    expect(stack.sim.requests.filter((r) => r.status === 429)).toEqual([]);
  }, 30_000);

  it('with the budget not binding a lone caller never waits for budget', async () => {
    const stack = await startStack({
      env: {
        GATEWAY_KEYS,
        GATEWAY_SHARES: 'frontend:users.track=70; bulk:users.track=30',
        // Far from binding, and no guard at a window's end: nothing here may make anyone wait.
        RATE_LIMIT_USERS_TRACK: '1000000/1h',
        RATE_BUDGET_GUARD_MS: '0',
      },
    });
    const out = await saturate(stack.gw.url, 'bulk', 4, 20, 1_000);
    expect(out.rateLimited).toBe(0);
    expect(out.ok).toBeGreaterThan(0);
    // No take was refused and nobody queued for budget: the fair take granted at once every time.
    expect(stack.gw.budget.stats.waited).toBe(0);
    expect(stack.gw.budget.stats.refused).toBe(0);
    const view = await stack.gw.budget.snapshot();
    const bulk = view.find((g) => g.group === 'users.track')!.shares.find((s) => s.caller === 'bulk')!;
    expect(bulk.used).toBeGreaterThan(0);
    expect(bulk.weight).toBe(30);
  }, 20_000);
});
