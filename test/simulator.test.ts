import { describe, expect, it, vi } from 'vitest';
import { RAW_HISTORY_CAP, type ContractName, type Simulator } from '../src/simulator/index.js';
import { reply, useSimulators, type Reply } from './simulatorHarness.js';

const KEY = 'sim-test-key';
// 2026-03-01T10:00:30.500Z: mid-window, so a 60 s window ends at 10:01:00Z.
const T0 = Date.UTC(2026, 2, 1, 10, 0, 30, 500);

const h = useSimulators(KEY, T0);

async function call(
  path: string,
  body: unknown,
  opts: { key?: string | null; contentType?: string; raw?: string; method?: string; on?: Simulator } = {},
): Promise<Reply> {
  const target = opts.on ?? h.sim;
  const headers: Record<string, string> = { 'Content-Type': opts.contentType ?? 'application/json' };
  if (opts.key !== null) headers.Authorization = `Bearer ${opts.key ?? KEY}`;
  const res = await fetch(`${target.url}${path}`, {
    method: opts.method ?? 'POST',
    headers,
    body: opts.raw ?? JSON.stringify(body),
  });
  return reply(res);
}

const TIME = '2026-03-01T09:00:00Z';
const event = (externalId: string, name: string, time = TIME): Record<string, unknown> => ({
  external_id: externalId,
  name,
  time,
});
const purchase = (externalId: string, productId: string, price: number, quantity?: number) => ({
  external_id: externalId,
  product_id: productId,
  currency: 'EUR',
  price,
  time: TIME,
  ...(quantity === undefined ? {} : { quantity }),
});
const attrs = (externalId: string, fields: Record<string, unknown> = {}) => ({
  external_id: externalId,
  ...fields,
});
const many = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));

async function exportUsers(body: Record<string, unknown>, on?: Simulator): Promise<Reply> {
  return call('/users/export/ids', body, on === undefined ? {} : { on });
}

describe('shared behaviour of Braze routes', () => {
  it('answers 401 without or with another key, never echoes it and does not count it', async () => {
    const missing = await call('/users/track', { events: [event('u', 'e')] }, { key: null });
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ message: 'Invalid API key' });
    expect(missing.headers.get('x-ratelimit-limit')).toBe('');
    expect(missing.headers.get('x-ratelimit-remaining')).toBe('');
    expect(missing.headers.get('x-ratelimit-reset')).toBe('');

    const res = await fetch(`${h.sim.url}/users/track`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer wrong-secret-123' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('wrong-secret-123');
    // The key without the Bearer prefix is refused too (docs/braze-facts.md §1.2).
    const noBearer = await fetch(`${h.sim.url}/users/track`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: KEY },
      body: '{}',
    });
    expect(noBearer.status).toBe(401);

    expect(h.sim.count('/users/track', 401)).toBe(3);
    expect(h.sim.requests.map((r) => r.status)).toEqual([401, 401, 401]);
    expect(h.sim.windowStats('users.track').maxInAnyWindow).toBe(0);
    expect(h.sim.store.size).toBe(0);
  });

  it('answers 415 to a POST that is not application/json, and still counts it', async () => {
    const r = await call('/users/track', { events: [event('u', 'e')] }, { contentType: 'text/plain' });
    expect(r.status).toBe(415);
    expect(r.body).toEqual({ message: 'Unsupported Media Type' });
    expect(r.headers.get('x-ratelimit-remaining')).toBe('49999');
    expect(h.sim.windowStats('users.track').maxInAnyWindow).toBe(1);
    // A charset parameter is fine.
    const ok = await call(
      '/users/track',
      { events: [event('u', 'e')] },
      { contentType: 'application/json; charset=utf-8' },
    );
    expect(ok.status).toBe(201);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const r = await call('/users/track', undefined, { raw: '{"events": [' });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ message: 'Error while parsing request body. Please check your syntax.' });
    expect(h.sim.requests[0]).toMatchObject({
      method: 'POST',
      path: '/users/track',
      status: 400,
      group: 'users.track',
    });
  });

  it('answers 404 to an unknown path and 413 to a body over 4 MB', async () => {
    const r = await call('/users/nope', {});
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ message: 'Not Found' });
    const big = JSON.stringify({ attributes: [{ external_id: 'u', blob: 'x'.repeat(4 * 1024 * 1024) }] });
    const tooLarge = await call('/users/track', undefined, { raw: big });
    expect(tooLarge.status).toBe(413);
    expect(h.sim.store.size).toBe(0);
  });

  it('adds the configured latency before answering', async () => {
    h.sim.setLatency(60);
    const started = performance.now();
    const r = await call('/users/track', { events: [event('u', 'e')] });
    expect(r.status).toBe(201);
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
  });
});

describe('POST /users/track then /users/export/ids', () => {
  it('applies attributes, increments, array edits, events and purchases, and exports them', async () => {
    const first = await call('/users/track', {
      attributes: [
        attrs('u-1', {
          first_name: 'Ana',
          email: 'ana@example.com',
          plan: 'pro',
          loyalty_points: { inc: 5 },
          tags: ['trial', 'beta', 'beta'],
          gone: 'soon',
        }),
      ],
      events: [event('u-1', 'checkout', '2026-03-01T08:00:00Z'), event('u-1', 'login')],
      purchases: [purchase('u-1', 'plan_pro', 9.99, 2)],
    });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({
      attributes_processed: 1,
      events_processed: 2,
      purchases_processed: 1,
      message: 'success',
    });

    const second = await call('/users/track', {
      attributes: [
        attrs('u-1', { loyalty_points: { inc: 3 }, tags: { add: ['vip'], remove: ['trial'] }, gone: null }),
      ],
      // Braze's own timestamp form with a colon before the milliseconds.
      events: [event('u-1', 'checkout', '2026-03-01T09:30:00:000Z')],
      purchases: [purchase('u-1', 'addon', 1.01)],
    });
    expect(second.status).toBe(201);

    const r = await exportUsers({ external_ids: ['u-1', 'ghost'] });
    expect(r.status).toBe(201);
    expect(r.body.message).toBe('success');
    expect(r.body.invalid_user_ids).toEqual(['ghost']);
    const users = r.body.users as Array<Record<string, unknown>>;
    expect(users).toHaveLength(1);
    const u = users[0]!;
    expect(u).toMatchObject({
      external_id: 'u-1',
      first_name: 'Ana',
      email: 'ana@example.com',
      created_at: new Date(T0).toISOString(),
      custom_attributes: { plan: 'pro', loyalty_points: 8, tags: ['beta', 'vip'] },
      total_revenue: 20.99,
    });
    expect(u.braze_id).toMatch(/^[0-9a-f]{24}$/);
    expect(u.custom_attributes).not.toHaveProperty('gone');
    expect(u.custom_events).toEqual([
      { name: 'checkout', first: '2026-03-01T08:00:00.000Z', last: '2026-03-01T09:30:00.000Z', count: 2 },
      { name: 'login', first: '2026-03-01T09:00:00.000Z', last: '2026-03-01T09:00:00.000Z', count: 1 },
    ]);
    expect(u.purchases).toEqual([
      { name: 'plan_pro', first: '2026-03-01T09:00:00.000Z', last: '2026-03-01T09:00:00.000Z', count: 2 },
      { name: 'addon', first: '2026-03-01T09:00:00.000Z', last: '2026-03-01T09:00:00.000Z', count: 1 },
    ]);
    expect(u).not.toHaveProperty('last_name');

    // fields_to_export restricts the answer; lookups by braze_id and email find the same user.
    const brazeId = u.braze_id as string;
    const slim = await exportUsers({
      braze_id: brazeId,
      fields_to_export: ['external_id', 'custom_attributes'],
    });
    expect(slim.body.users).toEqual([
      { external_id: 'u-1', custom_attributes: { plan: 'pro', loyalty_points: 8, tags: ['beta', 'vip'] } },
    ]);
    expect(slim.body).not.toHaveProperty('invalid_user_ids');
    const byEmail = await exportUsers({ email_address: 'ana@example.com', fields_to_export: ['braze_id'] });
    expect(byEmail.body.users).toEqual([{ braze_id: brazeId }]);
    const inStore = h.sim.store.byExternalId('u-1');
    expect(inStore?.recentEvents).toHaveLength(3);
  });

  it('keeps Braze processing order: attributes, then events, then purchases', async () => {
    // The event is listed first in the body but the attributes object creates the user first,
    // so the update-only event finds it.
    const r = await call('/users/track', {
      events: [{ ...event('order', 'e'), _update_existing_only: true }],
      attributes: [attrs('order', { first_name: 'Bo' })],
    });
    expect(r.status).toBe(201);
    expect(h.sim.store.byExternalId('order')?.events.get('e')?.count).toBe(1);
  });

  it('treats user_alias objects as update-only unless _update_existing_only is false', async () => {
    const alias = { alias_name: 'dev-42', alias_label: 'device_id' };
    const skipped = await call('/users/track', { attributes: [{ user_alias: alias, first_name: 'X' }] });
    expect(skipped.status).toBe(201);
    expect(h.sim.store.size).toBe(0);

    await call('/users/track', {
      attributes: [{ user_alias: alias, _update_existing_only: false, first_name: 'Y' }],
    });
    await call('/users/track', { events: [{ user_alias: alias, name: 'opened', time: TIME }] });
    const r = await exportUsers({ user_aliases: [alias, { alias_name: 'x', alias_label: 'y' }] });
    expect(r.body.users).toEqual([expect.objectContaining({ first_name: 'Y', user_aliases: [alias] })]);
    expect((r.body.users as Array<Record<string, unknown>>)[0]?.custom_events).toEqual([
      expect.objectContaining({ name: 'opened', count: 1 }),
    ]);
    expect(r.body.invalid_user_ids).toEqual(['x']);
  });

  it('reports invalid objects as non-fatal errors with their input_array and index', async () => {
    const r = await call('/users/track', {
      events: [
        event('u-1', 'ok'),
        { name: 'orphan', time: TIME },
        { ...event('u-1', 'bad'), properties: { $x: 1 } },
      ],
      purchases: [purchase('u-1', 'p', 1, 101), purchase('u-1', 'p', 1, 100)],
      attributes: [attrs('u-1', { email: 'not-an-email' })],
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      attributes_processed: 0,
      events_processed: 1,
      purchases_processed: 1,
      message: 'success',
      errors: [
        {
          type: "The value provided for the 'email' field is not a valid email.",
          input_array: 'attributes',
          index: 0,
        },
        {
          type: "'external_id', 'braze_id', 'user_alias', 'email' or 'phone' is required",
          input_array: 'events',
          index: 1,
        },
        { type: expect.any(String), input_array: 'events', index: 2 },
        { type: "'quantity' is not valid", input_array: 'purchases', index: 0 },
      ],
    });
    const user = h.sim.store.byExternalId('u-1');
    expect([...(user?.events.keys() ?? [])]).toEqual(['ok']);
    expect(user?.profile.email).toBeUndefined();
  });

  it.each([
    ['a reserved property name', { ...event('u', 'e'), properties: { time: 1 } }],
    ['an unparseable time', event('u', 'e', 'yesterday-ish')],
    ['an empty name', event('u', '')],
    ['two identifiers', { ...event('u', 'e'), braze_id: 'abc' }],
  ])('rejects an event with %s', async (_label, bad) => {
    const r = await call('/users/track', { events: [bad] });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual([{ type: expect.any(String), input_array: 'events', index: 0 }]);
  });

  it('answers 400 with the errors when no object is valid, and without errors for an empty body', async () => {
    const r = await call('/users/track', { purchases: [{ ...purchase('u', 'p', 1), currency: 'EURO' }] });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      message: "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.",
      errors: [{ type: expect.any(String), input_array: 'purchases', index: 0 }],
    });
    const empty = await call('/users/track', undefined, { raw: '' });
    expect(empty.status).toBe(400);
    expect(empty.body).toEqual({
      message: "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.",
    });
    const noArrays = await call('/users/track', {});
    expect(noArrays.body).toEqual(empty.body);
    expect(h.sim.store.size).toBe(0);
  });

  describe('Max Input Length Exceeded per contract', () => {
    const MAX = { message: 'Max Input Length Exceeded' };
    const body = (a: number, e: number, p: number) => ({
      ...(a > 0 ? { attributes: many(a, (i) => attrs(`a${i}`)) } : {}),
      ...(e > 0 ? { events: many(e, (i) => event(`e${i}`, 'x')) } : {}),
      ...(p > 0 ? { purchases: many(p, (i) => purchase(`p${i}`, 'x', 1)) } : {}),
    });
    async function trackOn(contract: ContractName, a: number, e: number, p: number): Promise<Reply> {
      const s = await h.start({ contract });
      return call('/users/track', body(a, e, p), { on: s });
    }

    it('legacy accepts 75 + 75 + 75 and rejects 76 events', async () => {
      const ok = await trackOn('legacy', 75, 75, 75);
      expect(ok.status).toBe(201);
      expect(ok.body).toMatchObject({
        attributes_processed: 75,
        events_processed: 75,
        purchases_processed: 75,
      });
      const over = await trackOn('legacy', 0, 76, 0);
      expect(over.status).toBe(400);
      expect(over.body).toEqual(MAX);
    });

    it('current accepts 75 in total and rejects 76 in total', async () => {
      expect((await trackOn('current', 25, 25, 25)).status).toBe(201);
      const over = await trackOn('current', 40, 36, 0);
      expect(over.status).toBe(400);
      expect(over.body).toEqual(MAX);
    });

    it('mau accepts 50 and rejects 51', async () => {
      expect((await trackOn('mau', 0, 50, 0)).status).toBe(201);
      const s = await h.start({ contract: 'mau' });
      const over = await call('/users/track', body(20, 20, 11), { on: s });
      expect(over.status).toBe(400);
      expect(over.body).toEqual(MAX);
      expect(s.store.size).toBe(0);
    });
  });
});

describe('rate limits', () => {
  const windowEndSec = Date.UTC(2026, 2, 1, 10, 1, 0) / 1000;

  it('admits the limit per clock-aligned window, then answers 429 until the window ends', async () => {
    h.sim.setRateLimit('users.track', { limit: 3, windowSec: 60 });
    const remaining: Array<string | null> = [];
    for (let i = 0; i < 3; i++) {
      const r = await call('/users/track', { events: [event('u', 'e')] });
      expect(r.status).toBe(201);
      expect(r.headers.get('x-ratelimit-limit')).toBe('3');
      expect(r.headers.get('x-ratelimit-reset')).toBe(String(windowEndSec));
      remaining.push(r.headers.get('x-ratelimit-remaining'));
    }
    expect(remaining).toEqual(['2', '1', '0']);

    h.clock = T0 + 29_000; // 10:00:59.5, still the same window
    const limited = await call('/users/track', { events: [event('u', 'e')] });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ message: 'Rate limit exceeded' });
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe(String(windowEndSec));
    expect(limited.headers.get('retry-after')).toBeNull();
    expect(h.sim.store.byExternalId('u')?.events.get('e')?.count).toBe(3);

    // Other groups have their own bucket.
    const exp = await exportUsers({ external_ids: ['u'] });
    expect(exp.status).toBe(201);
    expect(exp.headers.get('x-ratelimit-limit')).toBe('2500');

    h.clock = Date.UTC(2026, 2, 1, 10, 1, 0); // the next window
    const next = await call('/users/track', { events: [event('u', 'e')] });
    expect(next.status).toBe(201);
    expect(next.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(next.headers.get('x-ratelimit-reset')).toBe(String(windowEndSec + 60));

    expect(h.sim.windowStats('users.track')).toMatchObject({ maxInAnyWindow: 3, limit: 3, rejected429: 1 });
    expect(h.sim.count('/users/track', 429)).toBe(1);
  });

  it('counts requests that fail validation', async () => {
    h.sim.setRateLimit('users.track', { limit: 2, windowSec: 60 });
    expect((await call('/users/track', undefined, { raw: 'nope' })).status).toBe(400);
    expect((await call('/users/track', {})).status).toBe(400);
    expect((await call('/users/track', { events: [event('u', 'e')] })).status).toBe(429);
  });

  it('applies the contract rate limit, with windows aligned to the h.clock', async () => {
    h.clock = Date.UTC(2026, 2, 1, 10, 0, 4, 200); // window 10:00:03–10:00:06
    const s = await h.start({ contract: 'current' });
    const r = await call('/users/track', { events: [event('u', 'e')] }, { on: s });
    expect(r.headers.get('x-ratelimit-limit')).toBe('3000');
    expect(r.headers.get('x-ratelimit-reset')).toBe(String(Date.UTC(2026, 2, 1, 10, 0, 6) / 1000));
  });

  it('takes usage by another system into account (consume)', async () => {
    h.sim.setRateLimit('users.export.ids', { limit: 5, windowSec: 60 });
    h.sim.consume('users.export.ids', 4);
    const last = await exportUsers({ external_ids: ['x'] });
    expect(last.status).toBe(201);
    expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
    expect((await exportUsers({ external_ids: ['x'] })).status).toBe(429);
    expect(h.sim.windowStats('users.export.ids')).toMatchObject({
      maxInAnyWindow: 1,
      rejected429: 1,
      limit: 5,
    });
  });
});

describe('faults', () => {
  it('answers the injected status for the next `times` matching requests only', async () => {
    h.sim.injectFault({ path: '/users/track', status: 503, times: 2, headers: { 'x-sim': 'yes' } });
    h.sim.injectFault({ path: '/users/export/ids', status: 500, body: { message: 'boom' } });
    const a = await call('/users/track', { events: [event('u', 'e')] });
    expect(a.status).toBe(503);
    expect(a.body).toEqual({ message: 'Simulated failure' });
    expect(a.headers.get('x-sim')).toBe('yes');
    expect((await call('/users/track', { events: [event('u', 'e')] })).status).toBe(503);
    expect((await call('/users/track', { events: [event('u', 'e')] })).status).toBe(201);
    const exp = await exportUsers({ external_ids: ['u'] });
    expect(exp.status).toBe(500);
    expect(exp.body).toEqual({ message: 'boom' });
    // Faulted requests were not processed and did not use the rate budget.
    expect(h.sim.store.byExternalId('u')?.events.get('e')?.count).toBe(1);
    expect(h.sim.windowStats('users.track').maxInAnyWindow).toBe(1);
    expect(h.sim.count('/users/track', 503)).toBe(2);
  });

  it('applies a fault only to bodies matching `when`, after auth', async () => {
    const poisoned = (b: unknown) =>
      ((b as { events?: Array<{ name?: string }> }).events ?? []).some((e) => e.name === 'poison');
    h.sim.injectFault({ status: 400, body: { message: 'Bad' }, when: poisoned, times: Infinity });
    expect((await call('/users/track', { events: [event('u', 'poison')] }, { key: 'other' })).status).toBe(
      401,
    );
    expect((await call('/users/track', { events: [event('u', 'fine')] })).status).toBe(201);
    expect((await call('/users/track', { events: [event('u', 'fine'), event('u', 'poison')] })).status).toBe(
      400,
    );
    expect((await call('/users/track', { events: [event('u', 'poison')] })).status).toBe(400);
    h.sim.clearFaults();
    expect((await call('/users/track', { events: [event('u', 'poison')] })).status).toBe(201);
  });

  it('resets the connection without answering', async () => {
    h.sim.injectFault({ kind: 'reset' });
    await expect(call('/users/track', { events: [event('u', 'e')] })).rejects.toThrow();
    expect(h.sim.requests).toHaveLength(1);
    expect(h.sim.requests[0]).toMatchObject({ status: 0, path: '/users/track' });
    expect((await call('/users/track', { events: [event('u', 'e')] })).status).toBe(201);
  });

  it('hangs a request until the simulator closes', async () => {
    const s = await h.start();
    s.injectFault({ kind: 'hang' });
    let settled = false;
    const pending = call('/users/track', { events: [event('u', 'e')] }, { on: s }).finally(() => {
      settled = true;
    });
    await vi.waitFor(() => expect(s.requests).toHaveLength(1));
    expect(s.requests[0]?.status).toBe(0);
    expect(settled).toBe(false);
    await s.close();
    await expect(pending).rejects.toThrow();
  });

  it('rejects malformed faults', () => {
    expect(() => h.sim.injectFault({ status: 42 })).toThrow(/status/);
    expect(() => h.sim.injectFault({ times: 0 })).toThrow(/times/);
  });
});

describe('POST /users/export/ids limits', () => {
  it('accepts 50 external_ids and refuses 51', async () => {
    const ok = await exportUsers({ external_ids: many(50, (i) => `id${i}`) });
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ users: [], invalid_user_ids: many(50, (i) => `id${i}`), message: 'success' });
    const over = await exportUsers({ external_ids: many(51, (i) => `id${i}`) });
    expect(over.status).toBe(400);
    expect(over.body).toEqual({
      message: 'The max number of external_ids and aliases per request was exceeded',
    });
    const aliases = await exportUsers({
      user_aliases: many(51, (i) => ({ alias_name: `n${i}`, alias_label: 'l' })),
    });
    expect(aliases.status).toBe(400);
  });

  it('names unknown fields_to_export', async () => {
    const r = await exportUsers({ external_ids: ['a'], fields_to_export: ['email', 'shoe_size'] });
    expect(r.status).toBe(400);
    expect(r.body.message).toContain('shoe_size');
    expect(r.body.message).not.toContain('email');
  });
});

describe('admin routes', () => {
  async function admin(method: string, route: string, body?: unknown): Promise<Reply> {
    const res = await fetch(`${h.sim.url}/_simulator/${route}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  }

  it('reports stats and drives faults, usage, latency and reset over HTTP', async () => {
    h.sim.setRateLimit('users.track', { limit: 2, windowSec: 60 });
    await call('/users/track', { events: [event('u', 'e')] });
    await call('/users/track', { events: [event('u', 'e')] });
    await call('/users/track', { events: [event('u', 'e')] });
    await call('/users/track', {}, { key: 'nope' });

    const stats = await admin('GET', 'stats');
    expect(stats.status).toBe(200);
    expect(stats.body.requests).toBe(4);
    expect(stats.body.paths).toEqual({ '/users/track': { '201': 2, '429': 1, '401': 1 } });
    expect((stats.body.groups as Record<string, unknown>)['users.track']).toMatchObject({
      maxInAnyWindow: 2,
      limit: 2,
      rejected429: 1,
    });
    expect(stats.body.users).toBe(1);

    expect((await admin('POST', 'faults', { path: '/users/export/ids', status: 502 })).status).toBe(200);
    expect((await exportUsers({ external_ids: ['u'] })).status).toBe(502);
    expect((await admin('POST', 'faults', { status: 'x' })).status).toBe(400);

    expect((await admin('POST', 'usage', { group: 'users.export.ids', n: 2500 })).status).toBe(200);
    expect((await exportUsers({ external_ids: ['u'] })).status).toBe(429);
    expect((await admin('POST', 'usage', { group: 'nope', n: 1 })).status).toBe(400);

    expect((await admin('POST', 'latency', { ms: 0 })).status).toBe(200);
    expect((await admin('POST', 'latency', { ms: -1 })).status).toBe(400);

    // Admin routes are not recorded.
    expect(h.sim.requests).toHaveLength(6);
    expect((await admin('POST', 'reset')).status).toBe(200);
    expect(h.sim.requests).toHaveLength(0);
    expect(h.sim.count()).toBe(0);
    expect(h.sim.store.size).toBe(0);
    expect(h.sim.windowStats('users.export.ids')).toMatchObject({ maxInAnyWindow: 0, rejected429: 0 });
    expect((await exportUsers({ external_ids: ['u'] })).status).toBe(201);
    expect((await admin('GET', 'nothing-here')).status).toBe(404);
  });

  it('counts stored events per value of one property (the soak test reads it)', async () => {
    const tagged = (user: string, id: unknown) => ({ ...event(user, 'e'), properties: { soak_id: id } });
    await call('/users/track', { events: [tagged('u1', 'a'), tagged('u2', 'b'), tagged('u1', 7)] });
    await call('/users/track', { events: [tagged('u2', 'a'), event('u3', 'untagged')] });
    // A request Braze refused (here for its key) stores nothing, so it counts nothing.
    expect((await call('/users/track', { events: [tagged('u1', 'c')] }, { key: 'nope' })).status).toBe(401);

    const counted = await admin('GET', 'events?property=soak_id');
    expect(counted.status).toBe(200);
    expect(counted.body).toEqual({ counts: { a: 2, b: 1, '7': 1 }, truncated: false });
    expect((await admin('GET', 'events')).status).toBe(400);
  });

  it("says when a user's raw history is full, so counts of older events may be short", async () => {
    const batch = many(75, (i) => ({ ...event('busy', 'e'), properties: { soak_id: i } }));
    const full = Math.ceil(RAW_HISTORY_CAP / 75);
    for (let r = 0; r < full; r++) expect((await call('/users/track', { events: batch })).status).toBe(201);
    const counted = await admin('GET', 'events?property=soak_id');
    expect(counted.body.truncated).toBe(true);
  });
});
