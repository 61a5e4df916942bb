import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useReplicaFleet } from './fixtures/replicaProcess.js';
import {
  GATEWAY_KEYS,
  expectLightServed,
  paced,
  saturate,
  unitsByCaller,
  type Outcome,
} from './fairShares.js';

/**
 * Fair shares fleet-wide: two gateway processes share one Redis budget, and each caller speaks
 * to its own replica, so no lane (nor process) ever holds both callers' items. The split still
 * follows the weights: the callers' charges and waiting marks live in Redis, read and written by
 * the same one Lua script per take.
 */

const LIMIT = 10;
const WINDOW_MS = 1_000;

const fleet = useReplicaFleet({
  rateLimits: { 'users.track': { limit: LIMIT, windowSec: WINDOW_MS / 1000 } },
  env: {
    GATEWAY_KEYS,
    RATE_LIMIT_USERS_TRACK: `${LIMIT}/${WINDOW_MS / 1000}s`,
    REQUEST_DEADLINE_MS: '3000',
  },
});

const show = (o: Outcome) => `${o.ok} ok, ${o.rateLimited} RATE_LIMITED, ${o.other.length} other`;

describe('fair shares across replicas (one Redis)', () => {
  it('split a binding budget 70/30 between callers on different replicas', async () => {
    const ws = randomUUID();
    const env = {
      REDIS_URL: fleet.redis.url,
      BRAZE_WORKSPACE: ws,
      GATEWAY_SHARES: 'frontend:users.track=70; bulk:users.track=30',
    };
    const [a, b] = await Promise.all([fleet.start(env), fleet.start(env)]);
    const loadEndMs = Date.now() + 5_000;
    const [frontend, bulk] = await Promise.all([
      saturate(a.url, 'frontend', 12, 75, 5_000),
      saturate(b.url, 'bulk', 12, 75, 5_000),
    ]);
    const { units, windows } = unitsByCaller(fleet.sim, WINDOW_MS, loadEndMs);
    const total = (units.frontend ?? 0) + (units.bulk ?? 0);
    const share = (units.frontend ?? 0) / total;
    console.log(
      `fair split 70/30 across 2 replicas: frontend ${units.frontend?.toFixed(2)} units, bulk ${units.bulk?.toFixed(2)} units over ${windows} full windows (${(share * 100).toFixed(1)} % / ${(100 - share * 100).toFixed(1)} %); items frontend ${show(frontend)}, bulk ${show(bulk)}`,
    );
    expect(frontend.other).toEqual([]);
    expect(bulk.other).toEqual([]);
    expect(windows).toBeGreaterThanOrEqual(3);
    expect(total).toBeGreaterThan(windows * LIMIT * 0.8);
    expect(share).toBeGreaterThanOrEqual(0.65);
    expect(share).toBeLessThanOrEqual(0.75);
    // The fleet stayed within the one budget.
    expect(fleet.sim.requests.filter((r) => r.status === 429)).toEqual([]);
  }, 40_000);

  it('serve a light caller on one replica while a flood 20× its rate on the other is refused', async () => {
    const ws = randomUUID();
    const env = {
      REDIS_URL: fleet.redis.url,
      BRAZE_WORKSPACE: ws,
      GATEWAY_SHARES: 'frontend:users.track=1',
      BATCHING: 'off',
      LANE_MAX_ITEMS: '100',
    };
    const [a, b] = await Promise.all([fleet.start(env), fleet.start(env)]);
    // LIMIT units a second, one item each: the flood alone sends 10 times that.
    const [light, flood] = await Promise.all([
      paced(a.url, 'frontend', 1, 200, 4_000),
      paced(b.url, 'bulk', 20, 200, 4_000),
    ]);
    console.log(`fair shares across 2 replicas, light vs flood: light ${show(light)}; flood ${show(flood)}`);
    expectLightServed(
      light,
      flood,
      fleet.sim.requests.filter((r) => r.status === 429),
    );
    // rateBudget, asked of the flood's replica, shows both callers' fleet-wide use by name.
    const res = await fetch(b.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer bgw_bulk-key-for-fair-share-tests-0000002',
      },
      body: JSON.stringify({
        query: '{ rateBudget { group shares { caller weight used entitlement active waiting } } }',
      }),
    });
    const body = (await res.json()) as {
      data: { rateBudget: Array<{ group: string; shares: Array<{ caller: string; weight: number }> }> };
    };
    const shares = body.data.rateBudget.find((g) => g.group === 'users.track')!.shares;
    expect(shares.map((s) => s.caller).sort()).toEqual(['bulk', 'frontend']);
    expect(JSON.stringify(body)).not.toMatch(/bgw_|[0-9a-f]{64}/);
  }, 40_000);
});
