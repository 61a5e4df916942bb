import { describe, expect, it } from 'vitest';
import { useStacks, type Stack } from './helpers.js';
import { startTestRedis } from './redisServer.js';

/** Catalog reads: every page, the shared cache in front of the scarce catalog.lists pool. */

const startStack = useStacks();

async function trackEventNames(s: Stack, names: string[]): Promise<void> {
  const events = names.map((name, i) => ({
    user: { externalId: `u-${i % 10}` },
    name,
    time: '2026-03-01T10:15:00Z',
  }));
  await s.gql('mutation ($e: [TrackEventInput!]!) { trackEvents(events: $e) { ok } }', { e: events });
}

describe('customEvents', () => {
  it('answers 50 concurrent queries with one upstream call, and every page of the list', async () => {
    const stack = await startStack();
    const s = stack;
    const names = Array.from({ length: 300 }, (_, i) => `event_${String(i).padStart(3, '0')}`);
    await trackEventNames(s, names);
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => s.gql<{ customEvents: string[] }>('{ customEvents }')),
    );
    const lists = answers.map((a) => a.body.data!.customEvents);
    expect(new Set(lists.map((l) => l.length))).toEqual(new Set([lists[0]!.length]));
    expect(lists[0]).toEqual(expect.arrayContaining(names));
    // 300+ names at 250 a page: two pages, fetched once for all 50 queries.
    const calls = s.sim.count('/events/list');
    console.log(`50 concurrent customEvents queries → ${calls} /events/list requests (2 pages, once)`);
    expect(calls).toBe(2);
    // Later queries are served from the cache.
    await s.gql('{ customEvents }');
    expect(s.sim.count('/events/list')).toBe(2);
  });

  it('shares the cache between replicas through Redis', async () => {
    const redis = await startTestRedis();
    try {
      const env = { REDIS_URL: redis.url, BRAZE_WORKSPACE: `ws-${Date.now()}` };
      const stack = await startStack({ env });
      const other = await startStack({ env });
      try {
        await trackEventNames(stack, ['a', 'b']);
        const first = await stack.gql<{ purchaseProductIds: string[] }>(
          '{ purchaseProductIds customEvents }',
        );
        expect(first.body.errors).toBeUndefined();
        const second = await other.gql<{ customEvents: string[] }>('{ customEvents }');
        expect(second.body.data!.customEvents).toEqual(expect.arrayContaining(['a', 'b']));
        // The second replica (another simulator, even) was never asked: the answer came from Redis.
        expect(other.sim.count('/events/list')).toBe(0);
      } finally {
        await other.close();
      }
    } finally {
      await redis.stop();
    }
  });
});

describe('campaigns, canvases, segments', () => {
  it('lists every page and reads details, null for an unknown id', async () => {
    const stack = await startStack();
    const res = await stack.gql<{
      campaigns: Array<{ id: string; name: string }>;
      canvases: Array<{ id: string }>;
      segments: Array<{ id: string }>;
    }>('{ campaigns { id name isApiCampaign tags } canvases { id name } segments { id name } }');
    expect(res.body.errors).toBeUndefined();
    const { campaigns, canvases, segments } = res.body.data!;
    expect(campaigns.length).toBeGreaterThan(0);
    expect(canvases.length).toBeGreaterThan(0);
    expect(segments.length).toBeGreaterThan(0);
    const details = await stack.gql<{
      campaign: { id: string; name: string } | null;
      nope: null;
      canvas: { id: string } | null;
    }>(
      `query ($c: ID!, $v: ID!) { campaign(id: $c) { id name channels } nope: campaign(id: "no-such") { id } canvas(id: $v) { id name } }`,
      { c: campaigns[0]!.id, v: canvases[0]!.id },
    );
    expect(details.body.errors).toBeUndefined();
    expect(details.body.data!.campaign).toMatchObject({ id: campaigns[0]!.id, name: campaigns[0]!.name });
    expect(details.body.data!.nope).toBeNull();
    expect(details.body.data!.canvas).toMatchObject({ id: canvases[0]!.id });
  });
});
