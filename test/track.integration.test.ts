import { describe, expect, it } from 'vitest';
import { TRACK_EVENTS, TEST_API_KEY, event, exported, useStacks, type ItemResult } from './helpers.js';

/**
 * The /users/track path end to end: GraphQL over HTTP → gateway → simulator over HTTP. Each test
 * asserts the upstream requests the simulator saw.
 */

const startStack = useStacks();

const TRACK = '/users/track';

describe('trackEvents', () => {
  it('sends 1,000 events of one request as exactly ceil(1000/75) = 14 Braze requests', async () => {
    const stack = await startStack();
    const events = Array.from({ length: 1000 }, (_, i) =>
      event(`u-${i % 100}`, 'page_view', { properties: { i } }),
    );
    const res = await stack.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, { events });
    expect(res.status).toBe(200);
    const results = res.body.data!.trackEvents;
    expect(results).toHaveLength(1000);
    expect(results.every((r) => r.ok && r.error === null)).toBe(true);
    const upstream = stack.sim.requests.filter((r) => r.path === TRACK);
    console.log(`1,000 events in one operation → ${upstream.length} /users/track requests (lower bound 14)`);
    expect(upstream).toHaveLength(14);
    for (const r of upstream) {
      expect(r.status).toBe(201);
      expect(((r.body as { events: unknown[] }).events ?? []).length).toBeLessThanOrEqual(75);
    }
    // Every event landed at Braze, on the right user.
    const total = [...Array(100).keys()].reduce(
      (n, i) => n + (exported(stack!.sim, `u-${i}`)?.custom_events?.[0]?.count ?? 0),
      0,
    );
    expect(total).toBe(1000);
  });

  it('shares Braze requests between 600 concurrent single-event operations', async () => {
    const stack = await startStack();
    const s = stack;
    // Warm up first, as a long-running client would be: 600 keep-alive connections open and
    // the JIT warm. Otherwise the figure mostly measures TCP handshakes in this one process.
    await Promise.all(Array.from({ length: 600 }, () => s.gql('{ __typename }')));
    const started = Date.now();
    const responses = await Promise.all(
      Array.from({ length: 600 }, (_, i) =>
        s.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, { events: [event(`c-${i}`)] }),
      ),
    );
    const elapsedMs = Date.now() - started;
    expect(responses.every((r) => r.body.data?.trackEvents[0]?.ok === true)).toBe(true);
    const upstream = s.sim.count(TRACK);
    const lowerBound = Math.ceil(600 / 75);
    console.log(
      `600 concurrent single-event operations → ${upstream} /users/track requests (lower bound ${lowerBound}), ${elapsedMs} ms, ${(upstream / lowerBound).toFixed(2)}× the bound`,
    );
    // Default flush policy: full requests leave at once, a part-full one only while no other
    // request of the lane is out, so at most one request in the burst is not full.
    expect(upstream).toBeGreaterThanOrEqual(lowerBound);
    expect(upstream).toBeLessThanOrEqual(lowerBound + 1);
  });

  it('fails only the invalid item among 75, whether the gateway or Braze spots it', async () => {
    const stack = await startStack();
    const events = Array.from({ length: 75 }, (_, i) => event(`v-${i}`));
    events[10] = event('v-10', 'bad', { properties: { $reserved: 1 } }); // caught by the gateway
    events[40] = { ...event('v-40'), user: { externalId: 'v-40', brazeId: 'b-40' } }; // two identifiers
    const res = await stack.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, { events });
    const results = res.body.data!.trackEvents;
    expect(results.filter((r) => !r.ok).map((r, i) => [i, r.error?.code])).toHaveLength(2);
    expect(results[10]).toEqual({
      ok: false,
      error: {
        code: 'BAD_USER_INPUT',
        message: 'events[10] (externalId v-10).properties: property name "$reserved" must not start with $.',
        retryAfter: null,
      },
    });
    expect(results[40]!.error!.message).toBe(
      'events[40].user: set exactly one of externalId, brazeId, alias, email or phone (got externalId and brazeId).',
    );
    // The 73 valid events went out in one request.
    expect(stack.sim.count(TRACK)).toBe(1);
    expect((stack.sim.requests[0]!.body as { events: unknown[] }).events).toHaveLength(73);
  });

  it("maps Braze's non-fatal errors[] back to the right item", async () => {
    const stack = await startStack();
    const updates = Array.from({ length: 20 }, (_, i) => ({
      user: { externalId: `a-${i}` },
      attributes: { email: `a${i}@example.com` },
    }));
    updates[7] = { user: { externalId: 'a-7' }, attributes: { email: 'not-an-email' } };
    updates[13] = { user: { externalId: 'a-13' }, attributes: { email: 'also bad' } };
    const res = await stack.gql<{ setUserAttributes: ItemResult[] }>(
      `mutation ($u: [UserAttributesInput!]!) { setUserAttributes(updates: $u) { ok error { code message } } }`,
      { u: updates },
    );
    const results = res.body.data!.setUserAttributes;
    const failed = results.flatMap((r, i) => (r.ok ? [] : [i]));
    expect(failed).toEqual([7, 13]);
    expect(results[7]!.error!.code).toBe('BAD_USER_INPUT');
    expect(results[7]!.error!.message).toContain('not a valid email');
    expect(stack.sim.count(TRACK)).toBe(1);
    expect(exported(stack.sim, 'a-8')?.email).toBe('a8@example.com');
  });

  it('splits a request Braze rejects whole, until the culprit stands alone; every valid item is delivered', async () => {
    const stack = await startStack();
    // Braze refuses the whole request whenever it contains this event (no errors[] to say which).
    stack.sim.injectFault({
      path: TRACK,
      status: 400,
      body: { message: 'Bad Request' },
      times: 1_000,
      when: (body) => JSON.stringify(body).includes('"poison"'),
    });
    const events = Array.from({ length: 75 }, (_, i) => event(`p-${i}`, i === 33 ? 'poison' : 'ok_event'));
    const res = await stack.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, { events });
    const results = res.body.data!.trackEvents;
    expect(results.flatMap((r, i) => (r.ok ? [] : [i]))).toEqual([33]);
    expect(results[33]!.error).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'events[33] (externalId p-33): Braze rejected this object: Bad Request',
      retryAfter: null,
    });
    const accepted = stack.sim.requests.filter((r) => r.path === TRACK && r.status === 201);
    const delivered = accepted.reduce(
      (n, r) => n + ((r.body as { events: unknown[] }).events?.length ?? 0),
      0,
    );
    expect(delivered).toBe(74);
    const total = stack.sim.count(TRACK);
    console.log(
      `one poison event among 75 → ${total} /users/track requests (${accepted.length} accepted) to deliver the other 74`,
    );
    // Binary splitting: at most 2 requests per level of a tree of depth ceil(log2 75) = 7.
    expect(total).toBeLessThanOrEqual(1 + 2 * 7);
  });

  it('splits when Braze says Max Input Length Exceeded (contract smaller than configured)', async () => {
    // The gateway believes in the legacy 75 + 75 + 75; this workspace allows 75 objects in total.
    // 50 events and 50 purchases from two concurrent operations share one 100-object batch.
    const stack = await startStack({
      env: { BRAZE_CONTRACT: 'legacy', BATCH_WINDOW_MS: '200', BATCH_IDLE_MS: '200' },
      sim: { contract: 'current' },
    });
    const s = stack;
    const events = Array.from({ length: 50 }, (_, i) => event(`m-${i}`));
    const purchases = Array.from({ length: 50 }, (_, i) => ({
      user: { externalId: `m-${i}` },
      productId: 'plan',
      currency: 'eur',
      price: 9.99,
      time: '2026-03-01T10:15:00Z',
    }));
    const [e, p] = await Promise.all([
      s.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, { events }),
      s.gql<{ trackPurchases: ItemResult[] }>(
        `mutation ($p: [TrackPurchaseInput!]!) { trackPurchases(purchases: $p) { ok error { code message } } }`,
        { p: purchases },
      ),
    ]);
    expect(e.body.data!.trackEvents.every((r) => r.ok)).toBe(true);
    expect(p.body.data!.trackPurchases.every((r) => r.ok)).toBe(true);
    const statuses = s.sim.requests.filter((r) => r.path === TRACK).map((r) => r.status);
    expect(statuses).toEqual([400, 201, 201]);
    expect(s.logs.join('')).toContain('check BRAZE_CONTRACT');
    expect(exported(s.sim, 'm-5')?.purchases?.[0]).toMatchObject({ name: 'plan', count: 1 });
    expect(exported(s.sim, 'm-49')?.custom_events?.[0]).toMatchObject({ name: 'app_opened', count: 1 });
    // The workspace's real maximum is kept for the rest of the process: no second 400, and it shows.
    const more = await s.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, {
      events: Array.from({ length: 80 }, (_, i) => event(`n-${i}`)),
    });
    expect(more.body.data!.trackEvents.every((r) => r.ok)).toBe(true);
    const after = s.sim.requests.filter((r) => r.path === TRACK).slice(3);
    expect(after.map((r) => [r.status, (r.body as { events: unknown[] }).events.length])).toEqual([
      [201, 75],
      [201, 5],
    ]);
    const ready = (await (await fetch(s.gw.url.replace('/graphql', '/readyz'))).json()) as {
      lanes: Array<{ endpoint: string; maxItemsPerRequest: number; learned: boolean }>;
    };
    expect(ready.lanes.find((l) => l.endpoint === 'users.track')).toMatchObject({
      maxItemsPerRequest: 75,
      learned: true,
    });
  });

  it('fails every item of a request with UPSTREAM_ERROR on a Braze 5xx, without splitting', async () => {
    const stack = await startStack();
    stack.sim.injectFault({ path: TRACK, status: 503, times: 1 });
    const res = await stack.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, {
      events: [event('x-1'), event('x-2')],
    });
    expect(res.body.data!.trackEvents.map((r) => r.error?.code)).toEqual([
      'UPSTREAM_ERROR',
      'UPSTREAM_ERROR',
    ]);
    expect(stack.sim.count(TRACK)).toBe(1);
  });

  it('reports a Braze 429 as RATE_LIMITED with retryAfter', async () => {
    const stack = await startStack({ env: { RATE_LIMIT_USERS_TRACK: '1/1h' } });
    const first = await stack.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, { events: [event('r-1')] });
    expect(first.body.data!.trackEvents[0]!.ok).toBe(true);
    const second = await stack.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, { events: [event('r-2')] });
    const error = second.body.data!.trackEvents[0]!.error!;
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfter).toBeGreaterThan(0);
    expect(error.retryAfter).toBeLessThanOrEqual(3600);
  });

  it('never shows the Braze API key, even when Braze rejects it', async () => {
    const stack = await startStack({ gatewayKey: 'wrong-key-5d1e' });
    const res = await stack.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, { events: [event('k-1')] });
    const error = res.body.data!.trackEvents[0]!.error!;
    expect(error.code).toBe('UPSTREAM_ERROR');
    expect(error.message).toContain('401');
    const everything = JSON.stringify(res.body) + stack.logs.join('');
    expect(everything).not.toContain('wrong-key-5d1e');
    expect(everything).not.toContain(TEST_API_KEY);
  });

  it('rejects an over-long list as a whole with BAD_USER_INPUT', async () => {
    const stack = await startStack();
    const events = Array.from({ length: 10_001 }, (_, i) => event(`l-${i}`));
    const res = await stack.gql(TRACK_EVENTS, { events });
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toContain('the limit is 10000');
    expect(stack.sim.count(TRACK)).toBe(0);
  });
});

describe('trackPurchases and setUserAttributes', () => {
  it('validates purchases before batching and delivers the rest', async () => {
    const stack = await startStack();
    const base = { productId: 'plan_pro', currency: 'EUR', price: 9.99, time: '2026-03-01T10:16:00Z' };
    const purchases = [
      { ...base, user: { externalId: 'b-1' }, quantity: 2 },
      { ...base, user: { externalId: 'b-2' }, currency: 'EURO' },
      { ...base, user: { externalId: 'b-3' }, quantity: 101 },
      { ...base, user: { alias: { name: 'dev-1', label: 'device' } }, updateExistingOnly: false },
      { ...base, user: { externalId: 'b-5' }, currency: 'usd' },
    ];
    const res = await stack.gql<{ trackPurchases: ItemResult[] }>(
      `mutation ($p: [TrackPurchaseInput!]!) { trackPurchases(purchases: $p) { ok error { code message } } }`,
      { p: purchases },
    );
    const r = res.body.data!.trackPurchases;
    expect(r.map((x) => x.ok)).toEqual([true, false, false, false, true]);
    expect(r[1]!.error!.message).toContain('three-letter ISO-4217');
    expect(r[2]!.error!.message).toBe(
      'purchases[2] (externalId b-3).quantity: quantity must be from 1 to 100 (got 101).',
    );
    expect(r[3]!.error!.message).toContain('updateExistingOnly cannot be false');
    const body = stack.sim.requests[0]!.body as { purchases: Array<{ currency: string }> };
    expect(body.purchases.map((p) => p.currency)).toEqual(['EUR', 'USD']);
    expect(exported(stack.sim, 'b-1')?.total_revenue).toBeCloseTo(19.98);
  });

  it('refuses identifier keys inside attributes', async () => {
    const stack = await startStack();
    const res = await stack.gql<{ setUserAttributes: ItemResult[] }>(
      `mutation { setUserAttributes(updates: [{ user: { externalId: "z" }, attributes: { external_id: "y" } }, { user: { externalId: "z" }, attributes: {} }]) { ok error { code message } } }`,
    );
    const r = res.body.data!.setUserAttributes;
    expect(r[0]!.error!.message).toContain('external_id cannot be set as an attribute');
    expect(r[1]!.error!.message).toContain('at least one attribute');
    expect(stack.sim.count(TRACK)).toBe(0);
  });
});

describe('reading users back', () => {
  it('shows what a mutation wrote, through /users/export/ids', async () => {
    const stack = await startStack();
    await stack.gql(
      `mutation {
        setUserAttributes(updates: [{ user: { externalId: "ana" }, attributes: { first_name: "Ana", plan: "pro", visits: { inc: 2 } } }]) { ok }
      }`,
    );
    await stack.gql(TRACK_EVENTS, {
      events: [event('ana', 'checkout_started'), event('ana', 'checkout_started')],
    });
    const res = await stack.gql<{
      user: Record<string, unknown>;
      users: Array<Record<string, unknown> | null>;
    }>(
      `query {
        user(ref: { externalId: "ana" }) { externalId brazeId firstName customAttributes customEvents { name count } }
        users(externalIds: ["ana", "nobody"]) { externalId }
      }`,
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.user).toMatchObject({
      externalId: 'ana',
      firstName: 'Ana',
      customAttributes: { plan: 'pro', visits: 2 },
      customEvents: [{ name: 'checkout_started', count: 2 }],
    });
    expect(res.body.data!.user.brazeId).toMatch(/^[0-9a-f]{24}$/);
    expect(res.body.data!.users).toEqual([{ externalId: 'ana' }, null]);
    // user + users in one operation: one export request for both ids.
    expect(stack.sim.count('/users/export/ids')).toBe(1);
  });
});
