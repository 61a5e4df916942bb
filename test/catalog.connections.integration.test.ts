import { describe, expect, it } from 'vitest';
import { DEFAULT_EXAMPLES } from '../src/playground/examples.js';
import { hashGatewayKey } from '../src/security/keyStore.js';
import type { CampaignSeed } from '../src/simulator/index.js';
import { useStacks, type Stack } from './helpers.js';
import { startTestRedis } from './redisServer.js';

/**
 * Catalog connections over real HTTP (gateway ↔ simulator): a slice reads only the Braze pages
 * its entries sit on, filters reach Braze as its query parameters, cursors are checked, totalCount
 * is given only when the end was read, and pages and details come from the shared cache.
 */

const startStack = useStacks();

const minute = (i: number): string => new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString();
const campaignId = (i: number): string => `c-${String(i).padStart(3, '0')}`;

/** `n` campaigns created a minute apart, c-000 first. */
function campaigns(n: number, extra: (i: number) => Partial<CampaignSeed> = () => ({})): CampaignSeed[] {
  return Array.from({ length: n }, (_, i) => ({
    id: campaignId(i),
    name: `Campaign ${i}`,
    createdAt: minute(i),
    ...extra(i),
  }));
}

interface Slice<T = { id: string }> {
  edges: Array<{ cursor: string; node: T }>;
  nodes: T[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
  totalCount: number | null;
}

const CAMPAIGNS = /* GraphQL */ `
  query ($first: Int, $after: String, $archived: Boolean, $dir: SortDirection, $since: DateTime) {
    campaignsConnection(
      first: $first
      after: $after
      includeArchived: $archived
      sortDirection: $dir
      lastEditedAfter: $since
    ) {
      edges {
        cursor
        node {
          id
        }
      }
      nodes {
        id
        name
        isApiCampaign
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      totalCount
    }
  }
`;

async function campaignSlice(s: Stack, vars: Record<string, unknown>): Promise<Slice> {
  const res = await s.gql<{ campaignsConnection: Slice }>(CAMPAIGNS, vars);
  expect(res.body.errors).toBeUndefined();
  return res.body.data!.campaignsConnection;
}

/** The query of every request the simulator saw on `path`, in order. */
const queries = (s: Stack, path: string) => s.sim.requests.filter((r) => r.path === path).map((r) => r.query);
const pagesRead = (s: Stack, path: string) => queries(s, path).map((q) => Number(q?.page));

describe('campaignsConnection', () => {
  it('walks 260 campaigns with first/after, reading each Braze page of 100 once', async () => {
    const s = await startStack({ sim: { catalog: { campaigns: campaigns(260) } } });

    // first: 20 needs page 0 only.
    const twenty = await campaignSlice(s, { first: 20 });
    expect(twenty.nodes.map((n) => n.id)).toEqual(Array.from({ length: 20 }, (_, i) => campaignId(i)));
    expect(twenty.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(twenty.pageInfo.startCursor).toBe(twenty.edges[0]!.cursor);
    expect(twenty.pageInfo.endCursor).toBe(twenty.edges[19]!.cursor);
    expect(twenty.totalCount).toBeNull();
    expect(queries(s, '/campaigns/list')).toEqual([
      { include_archived: 'false', sort_direction: 'asc', page: '0' },
    ]);

    // A walk of 100 at a time: the first slice ends on page 0's last entry, so it reads one
    // entry of page 1 to know more follow; the next slice starts on that (cached) page.
    const seen: string[] = [];
    const slices: Slice[] = [];
    let after: string | null = null;
    do {
      const slice = await campaignSlice(s, { first: 100, after });
      slices.push(slice);
      seen.push(...slice.nodes.map((n) => n.id));
      after = slice.pageInfo.endCursor;
      if (!slice.pageInfo.hasNextPage) break;
    } while (slices.length < 10);
    expect(seen).toEqual(Array.from({ length: 260 }, (_, i) => campaignId(i)));
    expect(slices.map((x) => x.pageInfo.hasNextPage)).toEqual([true, true, false]);
    expect(slices.map((x) => x.pageInfo.hasPreviousPage)).toEqual([false, true, true]);
    // The second slice read page 2 (60 entries, short): from then on the total is known.
    expect(slices.map((x) => x.totalCount)).toEqual([null, 260, 260]);
    expect(pagesRead(s, '/campaigns/list')).toEqual([0, 1, 2]);
    console.log(
      `260 campaigns, 20 then 3 × 100 → ${s.sim.count('/campaigns/list')} /campaigns/list requests`,
    );

    // Walking again within the TTL asks Braze nothing.
    const again = await campaignSlice(s, { first: 100, after: slices[0]!.pageInfo.endCursor });
    expect(again.nodes[0]!.id).toBe(campaignId(100));
    expect(s.sim.count('/campaigns/list')).toBe(3);
  });

  it("passes Braze's filters through and reads each filter set's pages apart", async () => {
    const s = await startStack({
      sim: {
        catalog: {
          campaigns: campaigns(6, (i) => ({
            archived: i === 0,
            lastEdited: i < 3 ? '2026-02-01T00:00:00.000Z' : '2026-03-10T00:00:00.000Z',
            isApiCampaign: i === 5,
          })),
        },
      },
    });
    const since = '2026-03-01T12:34:56.789Z';
    const newest = await campaignSlice(s, { first: 2, archived: true, dir: 'DESC', since });
    expect(newest.nodes).toEqual([
      { id: 'c-005', name: 'Campaign 5', isApiCampaign: true },
      { id: 'c-004', name: 'Campaign 4', isApiCampaign: false },
    ]);
    expect(newest.totalCount).toBe(3);
    const archived = await campaignSlice(s, { first: 10, archived: true });
    expect(archived.nodes.map((n) => n.id)).toEqual(['c-000', 'c-001', 'c-002', 'c-003', 'c-004', 'c-005']);
    const live = await campaignSlice(s, { first: 10 });
    expect(live.nodes.map((n) => n.id)).toEqual(['c-001', 'c-002', 'c-003', 'c-004', 'c-005']);
    expect(queries(s, '/campaigns/list')).toEqual([
      // Braze's format, to the second, with the offset its example shows.
      {
        include_archived: 'true',
        sort_direction: 'desc',
        'last_edit.time[gt]': '2026-03-01T12:34:56+00:00',
        page: '0',
      },
      { include_archived: 'true', sort_direction: 'asc', page: '0' },
      { include_archived: 'false', sort_direction: 'asc', page: '0' },
    ]);
  });

  it('refuses a bad cursor or first with BAD_USER_INPUT before asking Braze', async () => {
    const s = await startStack({ sim: { catalog: { campaigns: campaigns(5) } } });
    const first = await campaignSlice(s, { first: 2 });
    const canvases = await s.gql<{ canvasesConnection: Slice }>(
      '{ canvasesConnection(first: 1) { pageInfo { endCursor } } }',
    );
    const canvasCursor = canvases.body.data!.canvasesConnection.pageInfo.endCursor!;
    const before = s.sim.requests.length;

    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ after: 'not-a-cursor' }, /^after: not a cursor this gateway gave out/],
      [{ after: '!!!' }, /^after: not a cursor/],
      [
        { after: Buffer.from('{"l":"campaigns","f":"x","p":-1,"i":0}').toString('base64url') },
        /^after: not a cursor/,
      ],
      [{ after: canvasCursor }, /^after: this cursor belongs to another list/],
      // A cursor made under other filters points nowhere in this order.
      [
        { after: first.pageInfo.endCursor, dir: 'DESC' },
        /^after: this cursor belongs to campaigns read with other filters/,
      ],
      [{ first: 101 }, /^first: must be between 0 and 100, got 101/],
      [{ first: -1 }, /^first: must be between 0 and 100, got -1/],
    ];
    for (const [vars, message] of cases) {
      const res = await s.gql(CAMPAIGNS, vars);
      expect(res.body.errors?.[0], JSON.stringify(vars)).toMatchObject({
        message: expect.stringMatching(message),
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    expect(s.sim.requests.length).toBe(before);

    // The same cursor with the same filters goes on where it stopped.
    const next = await campaignSlice(s, { first: 2, after: first.pageInfo.endCursor });
    expect(next.nodes.map((n) => n.id)).toEqual(['c-002', 'c-003']);
  });

  it('gives totalCount only when the pages read reach the end of the list', async () => {
    const small = await startStack({ sim: { catalog: { campaigns: campaigns(3) } } });
    // The one page read is short: it is the last, so the count is known even mid-list.
    const two = await campaignSlice(small, { first: 2 });
    expect(two.pageInfo.hasNextPage).toBe(true);
    expect(two.totalCount).toBe(3);
    const none = await campaignSlice(small, { first: 0 });
    expect(none).toMatchObject({ edges: [], totalCount: 3 });
    expect(none.pageInfo).toMatchObject({ hasNextPage: true, startCursor: null, endCursor: null });
    const tail = await campaignSlice(small, { first: 5, after: two.pageInfo.endCursor });
    expect(tail.nodes.map((n) => n.id)).toEqual(['c-002']);
    expect(tail.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    // Past the end: no edges, and the cursor stays where it was.
    const past = await campaignSlice(small, { first: 5, after: tail.pageInfo.endCursor });
    expect(past).toMatchObject({ edges: [], totalCount: 3 });
    expect(past.pageInfo).toMatchObject({ hasNextPage: false, endCursor: tail.pageInfo.endCursor });

    const empty = await startStack({ sim: { catalog: { campaigns: [] } } });
    expect(await campaignSlice(empty, { first: 5 })).toMatchObject({
      edges: [],
      totalCount: 0,
      pageInfo: { hasNextPage: false, endCursor: null },
    });

    // A full first page says nothing of what follows: null, and no page read just to count.
    const big = await startStack({ sim: { catalog: { campaigns: campaigns(150) } } });
    expect((await campaignSlice(big, { first: 10 })).totalCount).toBeNull();
    expect(pagesRead(big, '/campaigns/list')).toEqual([0]);
  });

  it("reports Braze's failure as UPSTREAM_ERROR and keeps no failed page", async () => {
    const s = await startStack({ sim: { catalog: { campaigns: campaigns(3) } } });
    s.sim.injectFault({ path: '/campaigns/list', status: 500 });
    const failed = await s.gql(CAMPAIGNS, { first: 2 });
    expect(failed.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_ERROR');
    expect(failed.body.errors?.[0]?.message).not.toContain('Simulated failure');
    expect((await campaignSlice(s, { first: 2 })).nodes).toHaveLength(2);
    expect(s.sim.count('/campaigns/list')).toBe(2);
  });
});

describe('canvasesConnection and segmentsConnection', () => {
  it('pass their own filters: Canvases like campaigns, segments only the order', async () => {
    const s = await startStack({
      sim: {
        catalog: {
          canvases: [
            { id: 'v-1', name: 'One', createdAt: minute(1), lastEdited: '2026-02-01T00:00:00Z' },
            { id: 'v-2', name: 'Two', createdAt: minute(2), lastEdited: '2026-03-02T00:00:00Z' },
            { id: 'v-3', name: 'Old', createdAt: minute(3), archived: true },
          ],
          segments: [
            { id: 's-1', name: 'One', createdAt: minute(1) },
            { id: 's-2', name: 'Two', createdAt: minute(2) },
            { id: 's-3', name: 'Gone', createdAt: minute(3), archived: true },
          ],
        },
      },
    });
    const res = await s.gql<{ canvasesConnection: Slice; segmentsConnection: Slice }>(`{
      canvasesConnection(first: 5, lastEditedAfter: "2026-03-01T00:00:00Z") { nodes { id } totalCount }
      segmentsConnection(first: 1, sortDirection: DESC) { nodes { id } totalCount pageInfo { hasNextPage } }
    }`);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.canvasesConnection).toEqual({ nodes: [{ id: 'v-2' }], totalCount: 1 });
    // Braze never lists archived segments.
    expect(res.body.data!.segmentsConnection).toEqual({
      nodes: [{ id: 's-2' }],
      totalCount: 2,
      pageInfo: { hasNextPage: true },
    });
    expect(queries(s, '/canvas/list')).toEqual([
      {
        include_archived: 'false',
        sort_direction: 'asc',
        'last_edit.time[gt]': '2026-03-01T00:00:00+00:00',
        page: '0',
      },
    ]);
    expect(queries(s, '/segments/list')).toEqual([{ sort_direction: 'desc', page: '0' }]);
  });
});

describe('details under list entries', () => {
  it('reads each id once per operation, caches it, and does not cache an unknown id', async () => {
    const s = await startStack({ sim: { catalog: { campaigns: campaigns(3) } } });
    const q = `{
      campaignsConnection(first: 3) { nodes { id details { name channels } } }
      again: campaign(id: "c-001") { name }
      nope: campaign(id: "no-such") { name }
    }`;
    const res = await s.gql<{
      campaignsConnection: { nodes: Array<{ id: string; details: { name: string } | null }> };
      again: { name: string };
      nope: null;
    }>(q);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.campaignsConnection.nodes.map((n) => n.details?.name)).toEqual([
      'Campaign 0',
      'Campaign 1',
      'Campaign 2',
    ]);
    expect(res.body.data!.again).toEqual({ name: 'Campaign 1' });
    expect(res.body.data!.nope).toBeNull();
    const detailIds = () =>
      queries(s, '/campaigns/details')
        .map((x) => x?.campaign_id)
        .sort();
    expect(detailIds()).toEqual(['c-000', 'c-001', 'c-002', 'no-such']);

    // The next operation finds the known ids in the cache; the unknown one is asked again.
    await s.gql(q);
    expect(detailIds()).toEqual(['c-000', 'c-001', 'c-002', 'no-such', 'no-such']);
    expect(s.sim.count('/campaigns/list')).toBe(1);
  });

  it('needs the details permission besides the list permission', async () => {
    const LISTER = 'bgw_catalog-lister-key-0001';
    const s = await startStack({
      env: { GATEWAY_KEYS: `lister:${hashGatewayKey(LISTER)}:campaigns.list,canvas.list,segments.list` },
    });
    const post = async (query: string) => {
      const res = await fetch(s.gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${LISTER}` },
        body: JSON.stringify({ query }),
      });
      return {
        status: res.status,
        body: (await res.json()) as { data?: unknown; errors?: Array<{ message: string }> },
      };
    };
    const listed = await post('{ campaignsConnection(first: 1) { nodes { id } } }');
    expect(listed.status).toBe(200);
    expect(listed.body.errors).toBeUndefined();
    const refused = await post(`
      query { ...F segmentsConnection { nodes { details { name } } } }
      fragment F on Query { campaignsConnection { nodes { id details { name } } } }
    `);
    expect(refused.status).toBe(403);
    expect(refused.body.errors?.[0]?.message).toBe(
      'This gateway key lacks the permissions campaigns.details, segments.details.',
    );
    expect(s.sim.count('/campaigns/details')).toBe(0);
  });
});

describe('customEventsConnection and purchaseProductIdsConnection', () => {
  it('pages event names 250 at a time and product ids by the length of page 0', async () => {
    const names = Array.from({ length: 300 }, (_, i) => `event_${String(i).padStart(3, '0')}`);
    const ids = Array.from({ length: 300 }, (_, i) => `sku_${String(i).padStart(3, '0')}`);
    const s = await startStack({ sim: { catalog: { eventNames: names, productIds: ids } } });
    const Q = `query ($after: String, $pafter: String) {
      customEventsConnection(first: 250, after: $after) { nodes pageInfo { hasNextPage endCursor } totalCount }
      purchaseProductIdsConnection(first: 100, after: $pafter) { nodes pageInfo { hasNextPage endCursor } totalCount }
    }`;
    type R = {
      customEventsConnection: Slice<string> & { nodes: string[] };
      purchaseProductIdsConnection: Slice<string> & { nodes: string[] };
    };
    const walk: R[] = [];
    let vars: Record<string, unknown> = {};
    for (let i = 0; i < 3; i++) {
      const res = await s.gql<R>(Q, vars);
      expect(res.body.errors).toBeUndefined();
      walk.push(res.body.data!);
      vars = {
        after: res.body.data!.customEventsConnection.pageInfo.endCursor,
        pafter: res.body.data!.purchaseProductIdsConnection.pageInfo.endCursor,
      };
    }
    const events = walk.map((w) => w.customEventsConnection);
    expect(events.map((e) => e.nodes.length)).toEqual([250, 50, 0]);
    expect(events.flatMap((e) => e.nodes)).toEqual(names);
    expect(events.map((e) => e.totalCount)).toEqual([300, 300, 300]);
    // Both pages on the first query (250 + one to look ahead), never again.
    expect(pagesRead(s, '/events/list')).toEqual([0, 1]);

    const products = walk.map((w) => w.purchaseProductIdsConnection);
    expect(products.flatMap((p) => p.nodes)).toEqual(ids);
    expect(products.map((p) => p.pageInfo.hasNextPage)).toEqual([true, true, false]);
    // Page 0's 250 ids say nothing of the end; page 1's 50 are fewer, so it is the last.
    expect(products.map((p) => p.totalCount)).toEqual([null, null, 300]);
    expect(pagesRead(s, '/purchases/product_list')).toEqual([0, 1]);
    expect(s.sim.requests.every((r) => r.group === 'catalog.lists')).toBe(true);
  });

  it('ends a product list that fits one page at the next, empty page', async () => {
    const s = await startStack({ sim: { catalog: { productIds: ['a', 'b', 'c'] } } });
    const res = await s.gql<{ purchaseProductIdsConnection: Slice<string> & { nodes: string[] } }>(
      '{ purchaseProductIdsConnection(first: 5) { nodes pageInfo { hasNextPage } totalCount } }',
    );
    expect(res.body.data!.purchaseProductIdsConnection).toEqual({
      nodes: ['a', 'b', 'c'],
      pageInfo: { hasNextPage: false },
      totalCount: 3,
    });
    expect(pagesRead(s, '/purchases/product_list')).toEqual([0, 1]);
  });

  it('shares pages between replicas through Redis', async () => {
    const redis = await startTestRedis();
    try {
      const env = { REDIS_URL: redis.url, BRAZE_WORKSPACE: `ws-pages-${Date.now()}` };
      const catalog = { campaigns: campaigns(120), eventNames: ['a', 'b'] };
      const one = await startStack({ env, sim: { catalog } });
      const two = await startStack({ env, sim: { catalog } });
      const Q =
        '{ campaignsConnection(first: 100) { totalCount nodes { id } } customEventsConnection { nodes } }';
      const first = await one.gql<{ campaignsConnection: Slice }>(Q);
      expect(first.body.errors).toBeUndefined();
      const second = await two.gql<{
        campaignsConnection: Slice;
        customEventsConnection: { nodes: string[] };
      }>(Q);
      expect(second.body.data!.campaignsConnection.totalCount).toBe(120);
      expect(second.body.data!.customEventsConnection.nodes).toEqual(['a', 'b']);
      // The second replica (with its own simulator) was never asked: every page came from Redis.
      expect(two.sim.requests).toEqual([]);
      expect(pagesRead(one, '/campaigns/list')).toEqual([0, 1]);
    } finally {
      await redis.stop();
    }
  });
});

describe('the RecentCampaigns playground tab', () => {
  it('runs against the embedded simulator as written, and lists its samples from an earlier date', async () => {
    const s = await startStack();
    const tab = DEFAULT_EXAMPLES.find((e) => e.query.includes('query RecentCampaigns'))!;
    type R = { campaignsConnection: Slice<{ id: string; details: { channels: string[] } }> };
    const asWritten = await s.gql<R>(tab.query, { ...tab.variables });
    expect(asWritten.body.errors).toBeUndefined();
    expect(asWritten.body.data!.campaignsConnection).toMatchObject({ nodes: [], totalCount: 0 });
    const earlier = await s.gql<R>(tab.query, { ...tab.variables, since: '2026-02-01T00:00:00Z' });
    expect(earlier.body.errors).toBeUndefined();
    const listed = earlier.body.data!.campaignsConnection;
    expect(listed.nodes.map((n) => n.id)).toHaveLength(3);
    expect(listed.nodes.every((n) => n.details.channels.length > 0)).toBe(true);
    expect(listed.pageInfo.hasNextPage).toBe(false);
  });
});
