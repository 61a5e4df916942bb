import { describe, expect, it } from 'vitest';
import type { Simulator } from '../src/simulator/index.js';
import { reply, useSimulators, type Reply } from './simulatorHarness.js';

/**
 * The simulator's memory is bounded (issue 16): a long-running `npm start` with no Braze key keeps
 * at most SIMULATOR_MAX_USERS users and SIMULATOR_MAX_HISTORY_PER_USER of each history per user,
 * dropping the oldest first. Checked over real HTTP, through Braze's own routes.
 */
const KEY = 'sim-bounded-key';
const T0 = Date.UTC(2026, 2, 1, 10, 0, 30, 500);
const TIME = '2026-03-01T09:00:00Z';

const h = useSimulators(KEY, T0);

async function call(sim: Simulator, path: string, body?: unknown, method = 'POST'): Promise<Reply> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return reply(res);
}

async function exported(sim: Simulator, ids: string[]): Promise<Array<Record<string, unknown>>> {
  const r = await call(sim, '/users/export/ids', { external_ids: ids });
  expect(r.status).toBe(201);
  return r.body.users as Array<Record<string, unknown>>;
}

describe('the simulator keeps bounded memory', () => {
  it('forgets the users created longest ago beyond maxUsers, with their ids', async () => {
    const sim = await h.start({ storeLimits: { maxUsers: 50 } });
    for (let batch = 0; batch < 4; batch++) {
      const attributes = Array.from({ length: 30 }, (_, i) => ({
        external_id: `u${batch * 30 + i}`,
        first_name: 'Ana',
      }));
      expect((await call(sim, '/users/track', { attributes })).status).toBe(201);
    }
    const stats = (await call(sim, '/_simulator/stats', undefined, 'GET')).body;
    expect(stats.users).toBe(50);
    expect(stats.evictedUsers).toBe(70);
    // The 50 newest (u70…u119) are there; u0…u69 are gone, and their ids are free again.
    const users = await exported(sim, ['u0', 'u69', 'u70', 'u119']);
    expect(users.map((u) => u.external_id).sort()).toEqual(['u119', 'u70']);
    expect(
      (await call(sim, '/users/track', { attributes: [{ external_id: 'u0', first_name: 'Bo' }] })).status,
    ).toBe(201);
    expect((await exported(sim, ['u0']))[0]).toMatchObject({ external_id: 'u0', first_name: 'Bo' });
  });

  it('keeps the most recent maxHistoryPerUser event names, raw events and purchases of a user', async () => {
    const sim = await h.start({ storeLimits: { maxHistoryPerUser: 5 } });
    const events = Array.from({ length: 12 }, (_, i) => ({ external_id: 'ev', name: `e${i}`, time: TIME }));
    const purchases = Array.from({ length: 8 }, (_, i) => ({
      external_id: 'ev',
      product_id: `p${i}`,
      currency: 'EUR',
      price: 1,
      time: TIME,
    }));
    expect((await call(sim, '/users/track', { events, purchases })).status).toBe(201);
    const [user] = await exported(sim, ['ev']);
    const names = (user!.custom_events as Array<{ name: string; count: number }>).map((e) => e.name);
    expect(names.sort()).toEqual(['e10', 'e11', 'e7', 'e8', 'e9']);
    const products = (user!.purchases as Array<{ name: string }>).map((p) => p.name);
    expect(products.sort()).toEqual(['p3', 'p4', 'p5', 'p6', 'p7']);
    // An event seen again counts on: its summary is exact while it is kept.
    expect(
      (await call(sim, '/users/track', { events: [{ external_id: 'ev', name: 'e11', time: TIME }] })).status,
    ).toBe(201);
    const [again] = await exported(sim, ['ev']);
    expect(
      (again!.custom_events as Array<{ name: string; count: number }>).find((e) => e.name === 'e11')?.count,
    ).toBe(2);
    // /events/list remembers at most 10 × maxHistoryPerUser tracked names across users, the
    // newest (besides the catalog's seeded names, which it always lists).
    const more = Array.from({ length: 60 }, (_, i) => ({ external_id: `n${i}`, name: `x${i}`, time: TIME }));
    expect((await call(sim, '/users/track', { events: more })).status).toBe(201);
    const listed = (await call(sim, '/events/list', undefined, 'GET')).body.events as string[];
    const tracked = listed.filter((n) => /^[ex]\d+$/.test(n));
    expect(tracked).toHaveLength(50);
    expect(tracked).toContain('x59');
    expect(tracked).not.toContain('e0');
    expect(tracked).not.toContain('x9');
    expect(tracked).toContain('x10');
  });

  it('defaults to 100,000 users and 1,000 of each history per user', async () => {
    expect(h.sim.store.limits).toEqual({ maxUsers: 100_000, maxHistoryPerUser: 1_000 });
  });
});
