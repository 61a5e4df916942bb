import { describe, expect, it } from 'vitest';
import { useStacks, type Stack } from './helpers.js';
import { startTestRedis } from './redisServer.js';

/**
 * Analytics series through real HTTP (gateway ↔ simulator): each query's Braze request (path,
 * parameters, rate group), its typed answer, bad input refused before Braze is called, Braze's
 * refusals, and the shared cache in front of it all (one Braze request for concurrent identical
 * queries, shared by replicas through Redis).
 */

const startStack = useStacks();

const DAY = 86_400_000;
// A fixed end for the series, in the simulator's past, so points do not move with the clock.
const END = '2026-11-20T12:00:00.000Z';
const day = (iso: string) => `${iso}T00:00:00.000Z`;

interface Point {
  time: string;
  value: number;
}

type Errors = Array<{ message: string; extensions?: Record<string, unknown> }> | undefined;

/** Events for users at fixed times (the simulator keeps their times; they are past). */
async function track(s: Stack, events: Array<[user: string, name: string, time: string, appId?: string]>) {
  const res = await s.gql<{ trackEvents: Array<{ ok: boolean }> }>(
    'mutation ($e: [TrackEventInput!]!) { trackEvents(events: $e) { ok } }',
    {
      e: events.map(([user, name, time, appId]) => ({
        user: { externalId: user },
        name,
        time,
        ...(appId === undefined ? {} : { appId }),
      })),
    },
  );
  expect(res.body.data!.trackEvents.every((r) => r.ok)).toBe(true);
}

/** The requests the simulator saw on `path`. */
const seen = (s: Stack, path: string) => s.sim.requests.filter((r) => r.path === path);

function codeOf(errors: Errors): unknown {
  return errors?.[0]?.extensions?.code;
}

describe('KPI series', () => {
  it('answers dailyActiveUsers with one point a day, oldest first, from one GET with the arguments Braze takes', async () => {
    const s = await startStack();
    await track(s, [
      ['u-1', 'app_opened', '2026-11-18T09:00:00Z', 'ios'],
      ['u-2', 'app_opened', '2026-11-18T10:00:00Z', 'android'],
      ['u-1', 'app_opened', '2026-11-20T08:00:00Z', 'ios'],
      ['u-1', 'checkout', '2026-11-20T09:00:00Z', 'ios'],
    ]);
    const res = await s.gql<{ dailyActiveUsers: Point[] }>(
      'query ($end: DateTime) { dailyActiveUsers(length: 3, endingAt: $end) { time value } }',
      { end: END },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.dailyActiveUsers).toEqual([
      { time: day('2026-11-18'), value: 2 },
      { time: day('2026-11-19'), value: 0 },
      { time: day('2026-11-20'), value: 1 },
    ]);
    expect(seen(s, '/kpi/dau/data_series')).toEqual([
      expect.objectContaining({
        method: 'GET',
        status: 200,
        group: 'default',
        query: { length: '3', ending_at: END },
      }),
    ]);

    // One app: app_id is sent, and only that app's activity counts.
    const ios = await s.gql<{ dailyActiveUsers: Point[] }>(
      'query ($end: DateTime) { dailyActiveUsers(length: 3, endingAt: $end, appId: "android") { value } }',
      { end: END },
    );
    expect(ios.body.data!.dailyActiveUsers.map((p) => p.value)).toEqual([1, 0, 0]);
    expect(seen(s, '/kpi/dau/data_series').at(-1)!.query).toEqual({
      length: '3',
      ending_at: END,
      app_id: 'android',
    });
  });

  it('answers monthlyActiveUsers, newUsers and uninstalls from their own endpoints', async () => {
    const s = await startStack();
    await track(s, [
      ['m-1', 'app_opened', '2026-11-01T09:00:00Z'],
      ['m-2', 'app_opened', '2026-11-19T09:00:00Z'],
    ]);
    const now = new Date().toISOString();
    const res = await s.gql<{ monthlyActiveUsers: Point[]; newUsers: Point[]; uninstalls: Point[] }>(
      `query ($end: DateTime, $now: DateTime) {
        monthlyActiveUsers(length: 2, endingAt: $end) { time value }
        newUsers(length: 2, endingAt: $now) { time value }
        uninstalls(length: 2, endingAt: $end) { time value }
      }`,
      { end: END, now },
    );
    expect(res.body.errors).toBeUndefined();
    const d = res.body.data!;
    // 30 days up to 2026-11-19 and 2026-11-20 both hold m-1 (11-01) and m-2 (11-19).
    expect(d.monthlyActiveUsers).toEqual([
      { time: day('2026-11-19'), value: 2 },
      { time: day('2026-11-20'), value: 2 },
    ]);
    // The two profiles were created just now: today's (or, right at midnight, yesterday's) point.
    expect(d.newUsers.reduce((n, p) => n + p.value, 0)).toBe(2);
    expect(d.newUsers.at(-1)!.time).toBe(day(now.slice(0, 10)));
    expect(d.uninstalls.map((p) => p.value)).toEqual([0, 0]);
    for (const path of [
      '/kpi/mau/data_series',
      '/kpi/new_users/data_series',
      '/kpi/uninstalls/data_series',
    ]) {
      expect(seen(s, path)).toHaveLength(1);
      expect(seen(s, path)[0]!.query).toMatchObject({ length: '2' });
    }
  });

  it('refuses a length outside 1–100 and an empty appId before calling Braze', async () => {
    const s = await startStack();
    for (const length of [0, 101, -3]) {
      const res = await s.gql(`{ dailyActiveUsers(length: ${length}) { value } }`);
      expect(codeOf(res.body.errors)).toBe('BAD_USER_INPUT');
      expect(res.body.errors![0]!.message).toBe(`length: must be from 1 to 100 (days), got ${length}.`);
    }
    const empty = await s.gql('{ newUsers(length: 3, appId: " ") { value } }');
    expect(codeOf(empty.body.errors)).toBe('BAD_USER_INPUT');
    expect(empty.body.errors![0]!.message).toBe('appId: must not be empty.');
    // Missing or mistyped arguments are GraphQL's own validation errors.
    const missing = await s.gql('{ dailyActiveUsers { value } }');
    expect(codeOf(missing.body.errors)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(s.sim.count()).toBe(0);
  });
});

describe('the analytics cache', () => {
  it('answers 20 concurrent identical queries with one Braze request, then from the cache; other arguments are another key', async () => {
    const s = await startStack();
    // A slow Braze keeps the first request in flight while the others arrive.
    s.sim.setLatency(150);
    const q = 'query ($end: DateTime) { dailyActiveUsers(length: 30, endingAt: $end) { time value } }';
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => s.gql<{ dailyActiveUsers: Point[] }>(q, { end: END })),
    );
    for (const a of answers) {
      expect(a.body.errors).toBeUndefined();
      expect(a.body.data!.dailyActiveUsers).toHaveLength(30);
    }
    expect(s.sim.count('/kpi/dau/data_series')).toBe(1);
    // Later: from the cache. The same instant written in another zone is the same key.
    await s.gql(q, { end: '2026-11-20T13:00:00+01:00' });
    expect(s.sim.count('/kpi/dau/data_series')).toBe(1);
    await s.gql(q, { end: '2026-11-19T12:00:00Z' });
    await s.gql('{ monthlyActiveUsers(length: 30, endingAt: "2026-11-20T12:00:00Z") { value } }');
    expect(s.sim.count('/kpi/dau/data_series')).toBe(2);
    expect(s.sim.count('/kpi/mau/data_series')).toBe(1);
  });

  it('keeps entries for ANALYTICS_CACHE_TTL_MS only', async () => {
    const s = await startStack({ env: { ANALYTICS_CACHE_TTL_MS: '1000' } });
    const q = '{ uninstalls(length: 5, endingAt: "2026-11-20T12:00:00Z") { value } }';
    await s.gql(q);
    await s.gql(q);
    expect(s.sim.count('/kpi/uninstalls/data_series')).toBe(1);
    // Wait for the entry to expire (polling the clock, not a fixed sleep).
    const cachedAt = Date.now();
    await new Promise<void>((resolve) => {
      const tick = () => (Date.now() - cachedAt > 1_000 ? resolve() : setTimeout(tick, 20));
      tick();
    });
    await s.gql(q);
    expect(s.sim.count('/kpi/uninstalls/data_series')).toBe(2);
  });

  it('never caches a refusal: each query asks Braze again', async () => {
    const s = await startStack();
    const q = '{ campaignSeries(campaignId: "no-such-campaign", length: 7) { time } }';
    for (let i = 0; i < 2; i++) {
      const res = await s.gql(q);
      expect(res.body.errors![0]).toMatchObject({
        message: 'Braze rejected the request to /campaigns/data_series (400): Invalid Campaign ID',
        extensions: { code: 'UPSTREAM_ERROR', reason: 'rejected', upstreamStatus: 400 },
      });
    }
    expect(s.sim.count('/campaigns/data_series', 400)).toBe(2);
  });

  it('shares answers between replicas through Redis: one Braze request for both, concurrent or not', async () => {
    const redis = await startTestRedis();
    try {
      const env = { REDIS_URL: redis.url, BRAZE_WORKSPACE: `ws-analytics-${Date.now()}` };
      const a = await startStack({ env });
      const b = await startStack({ env });
      await track(a, [['r-1', 'app_opened', '2026-11-20T08:00:00Z']]);

      // One after the other: the second replica (with its own, empty simulator) reads Redis.
      const q = '{ dailyActiveUsers(length: 2, endingAt: "2026-11-20T12:00:00Z") { time value } }';
      const first = await a.gql<{ dailyActiveUsers: Point[] }>(q);
      const second = await b.gql<{ dailyActiveUsers: Point[] }>(q);
      expect(second.body.data).toEqual(first.body.data);
      expect(first.body.data!.dailyActiveUsers.at(-1)!.value).toBe(1);
      expect(a.sim.count('/kpi/dau/data_series') + b.sim.count('/kpi/dau/data_series')).toBe(1);

      // At the same time: whichever replica loses the race waits for the winner's answer.
      a.sim.setLatency(300);
      b.sim.setLatency(300);
      const q2 = '{ sessionSeries(length: 24, unit: HOUR, endingAt: "2026-11-20T23:00:00Z") { time value } }';
      const both = await Promise.all([
        a.gql<{ sessionSeries: Point[] }>(q2),
        b.gql<{ sessionSeries: Point[] }>(q2),
      ]);
      expect(both[0].body.errors).toBeUndefined();
      expect(both[1].body.data).toEqual(both[0].body.data);
      expect(a.sim.count('/sessions/data_series') + b.sim.count('/sessions/data_series')).toBe(1);
    } finally {
      await redis.stop();
    }
  });
});

describe('session, custom event and segment series', () => {
  it('asks /sessions/data_series by hour and reads its zone-less hours as UTC', async () => {
    const s = await startStack();
    await track(s, [
      ['h-1', 'app_opened', '2026-11-20T10:05:00Z'],
      ['h-2', 'app_opened', '2026-11-20T10:45:00Z'],
      ['h-1', 'app_opened', '2026-11-20T11:30:00Z'],
    ]);
    const segmentId = s.sim.catalog.segments[0]!.id;
    const res = await s.gql<{ sessionSeries: Point[] }>(
      `query ($seg: ID) { sessionSeries(length: 3, unit: HOUR, endingAt: "2026-11-20T11:59:00Z", segmentId: $seg) { time value } }`,
      { seg: segmentId },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.sessionSeries).toEqual([
      { time: '2026-11-20T09:00:00.000Z', value: 0 },
      { time: '2026-11-20T10:00:00.000Z', value: 2 },
      { time: '2026-11-20T11:00:00.000Z', value: 1 },
    ]);
    expect(seen(s, '/sessions/data_series')[0]!.query).toEqual({
      length: '3',
      unit: 'hour',
      ending_at: '2026-11-20T11:59:00.000Z',
      segment_id: segmentId,
    });
    // Braze's own answer for an unknown segment comes back as an upstream error.
    const unknown = await s.gql('{ sessionSeries(length: 3, segmentId: "nope") { value } }');
    expect(unknown.body.errors![0]!.extensions).toMatchObject({
      code: 'UPSTREAM_ERROR',
      upstreamStatus: 400,
    });
  });

  it('counts one custom event by day, and refuses an empty event name', async () => {
    const s = await startStack();
    await track(s, [
      ['e-1', 'checkout', '2026-11-19T10:00:00Z'],
      ['e-2', 'checkout', '2026-11-20T10:00:00Z'],
      ['e-2', 'checkout', '2026-11-20T11:00:00Z'],
      ['e-2', 'app_opened', '2026-11-20T11:00:00Z'],
    ]);
    const res = await s.gql<{ customEventSeries: Point[] }>(
      `{ customEventSeries(event: "checkout", length: 2, endingAt: "${END}") { time value } }`,
    );
    expect(res.body.data!.customEventSeries).toEqual([
      { time: day('2026-11-19'), value: 1 },
      { time: day('2026-11-20'), value: 2 },
    ]);
    expect(seen(s, '/events/data_series')[0]!.query).toEqual({
      event: 'checkout',
      length: '2',
      unit: 'day',
      ending_at: END,
    });
    const empty = await s.gql('{ customEventSeries(event: "", length: 2) { value } }');
    expect(empty.body.errors![0]).toMatchObject({
      message: 'event: must not be empty.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    const tooLong = await s.gql('{ customEventSeries(event: "x", length: 101, unit: HOUR) { value } }');
    expect(tooLong.body.errors![0]!.message).toBe('length: must be from 1 to 100 (hours), got 101.');
    expect(seen(s, '/events/data_series')).toHaveLength(1);
  });

  it("reads a segment's size by day", async () => {
    const s = await startStack();
    await track(s, [['z-1', 'app_opened', '2026-11-20T10:00:00Z']]);
    const segmentId = s.sim.catalog.segments[1]!.id;
    const now = new Date().toISOString();
    const res = await s.gql<{ segmentSizeSeries: Point[] }>(
      'query ($seg: ID!, $now: DateTime) { segmentSizeSeries(segmentId: $seg, length: 2, endingAt: $now) { time value } }',
      { seg: segmentId, now },
    );
    expect(res.body.data!.segmentSizeSeries.at(-1)).toEqual({ time: day(now.slice(0, 10)), value: 1 });
    expect(seen(s, '/segments/data_series')[0]!.query).toEqual({
      segment_id: segmentId,
      length: '2',
      ending_at: now,
    });
  });
});

const CAMPAIGN_SERIES = `query ($c: ID!, $now: DateTime) {
  campaignSeries(campaignId: $c, length: 2, endingAt: $now) {
    time uniqueRecipients conversions conversionsBySendTime conversions1 revenue
    messages { channel variationName variationApiId sent delivered stats }
  }
}`;

interface CampaignPoint {
  time: string;
  uniqueRecipients: number | null;
  conversions: number | null;
  conversionsBySendTime: number | null;
  conversions1: number | null;
  revenue: number | null;
  messages: Array<{
    channel: string;
    variationName: string | null;
    variationApiId: string | null;
    sent: number | null;
    delivered: number | null;
    stats: Record<string, number>;
  }>;
}

async function apiCampaign(s: Stack): Promise<string> {
  return s.sim.catalog.campaigns.find((c) => c.isApiCampaign)!.id;
}

async function trigger(s: Stack, campaignId: string, users: string[], sendId?: string): Promise<void> {
  const res = await s.gql<{ triggerCampaign: { recipients: Array<{ ok: boolean }> } }>(
    'mutation ($i: TriggerCampaignInput!) { triggerCampaign(input: $i) { recipients { ok } } }',
    {
      i: {
        campaignId,
        ...(sendId === undefined ? {} : { sendId }),
        recipients: users.map((u) => ({ user: { externalId: u } })),
      },
    },
  );
  expect(res.body.data!.triggerCampaign.recipients.every((r) => r.ok)).toBe(true);
}

async function remaining(s: Stack, group: string): Promise<number> {
  const res = await s.gql<{ rateBudget: Array<{ group: string; remaining: number }> }>(
    '{ rateBudget { group remaining } }',
  );
  return res.body.data!.rateBudget.find((g) => g.group === group)!.remaining;
}

describe('campaign and send series', () => {
  it("types a campaign's daily statistics by channel and variation, counted in the campaigns.data_series group", async () => {
    const s = await startStack();
    await track(s, [
      ['c-1', 'app_opened', '2026-11-20T10:00:00Z'],
      ['c-2', 'app_opened', '2026-11-20T10:00:00Z'],
      ['c-3', 'app_opened', '2026-11-20T10:00:00Z'],
    ]);
    const campaignId = await apiCampaign(s);
    await trigger(s, campaignId, ['c-1', 'c-2', 'c-3']);
    const before = await remaining(s, 'campaigns.data_series');
    const res = await s.gql<{ campaignSeries: CampaignPoint[] }>(CAMPAIGN_SERIES, {
      c: campaignId,
      now: new Date().toISOString(),
    });
    expect(res.body.errors).toBeUndefined();
    const points = res.body.data!.campaignSeries;
    expect(points).toHaveLength(2);
    // Sent today (or, right at midnight, yesterday): 3 recipients, 3 email sends, delivered.
    const sent = points.find((p) => p.uniqueRecipients === 3)!;
    expect(sent).toMatchObject({ conversions: 0, conversionsBySendTime: 0, conversions1: null, revenue: 0 });
    expect(sent.messages).toEqual([
      {
        channel: 'email',
        variationName: 'Variant 1',
        variationApiId: `${campaignId}-variation-1`,
        sent: 3,
        delivered: 3,
        stats: expect.objectContaining({
          sent: 3,
          delivered: 3,
          opens: 0,
          unique_clicks: 0,
          reported_spam: 0,
        }),
      },
    ]);
    const request = seen(s, '/campaigns/data_series')[0]!;
    expect(request).toMatchObject({
      group: 'campaigns.data_series',
      query: { campaign_id: campaignId, length: '2' },
    });
    // The gateway's own budget counted it in that group, not in default.
    expect(before - (await remaining(s, 'campaigns.data_series'))).toBe(1);
  });

  it("reads one send id's statistics from /sends/data_series", async () => {
    const s = await startStack();
    await track(s, [
      ['s-1', 'app_opened', '2026-11-20T10:00:00Z'],
      ['s-2', 'app_opened', '2026-11-20T10:00:00Z'],
    ]);
    const campaignId = await apiCampaign(s);
    await trigger(s, campaignId, ['s-1'], 'spring-1');
    await trigger(s, campaignId, ['s-2']);
    const res = await s.gql<{ sendSeries: CampaignPoint[] }>(
      `query ($c: ID!, $now: DateTime) {
        sendSeries(campaignId: $c, sendId: "spring-1", length: 2, endingAt: $now) { time uniqueRecipients messages { channel sent } }
      }`,
      { c: campaignId, now: new Date().toISOString() },
    );
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.sendSeries.reduce((n, p) => n + p.uniqueRecipients!, 0)).toBe(1);
    expect(seen(s, '/sends/data_series')[0]).toMatchObject({
      group: 'default',
      query: { campaign_id: campaignId, send_id: 'spring-1', length: '2' },
    });
    const blank = await s.gql(`{ sendSeries(campaignId: "${campaignId}", sendId: "", length: 2) { time } }`);
    expect(blank.body.errors![0]).toMatchObject({
      message: 'sendId: must not be empty.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});

describe('Canvas series and summary', () => {
  const SERIES = `query ($c: ID!, $start: DateTime, $end: DateTime, $len: Int, $v: Boolean, $st: Boolean) {
    canvasSeries(canvasId: $c, startingAt: $start, endingAt: $end, length: $len,
                 includeVariantBreakdown: $v, includeStepBreakdown: $st) {
      name
      points {
        time
        total { entries conversions conversionsByEntryTime revenue }
        variants { id name stats { entries } }
        steps { id name stats { entries conversions } messages { channel sent } }
      }
    }
  }`;

  it('reads daily Canvas statistics with variant and step breakdowns, and the summary', async () => {
    const s = await startStack();
    await track(s, [
      ['v-1', 'app_opened', '2026-11-20T10:00:00Z'],
      ['v-2', 'app_opened', '2026-11-20T10:00:00Z'],
    ]);
    const canvas = s.sim.catalog.canvases[0]!;
    const trig = await s.gql(
      'mutation ($i: TriggerCanvasInput!) { triggerCanvas(input: $i) { recipients { ok } } }',
      {
        i: {
          canvasId: canvas.id,
          recipients: [{ user: { externalId: 'v-1' } }, { user: { externalId: 'v-2' } }],
        },
      },
    );
    expect(trig.body.errors).toBeUndefined();
    const now = new Date();
    const start = new Date(now.getTime() - DAY).toISOString();
    const res = await s.gql<{
      canvasSeries: {
        name: string;
        points: Array<{
          time: string;
          total: { entries: number };
          variants: Array<{ id: string; name: string; stats: { entries: number } }>;
          steps: Array<{
            id: string;
            stats: { entries: number | null };
            messages: Array<{ channel: string; sent: number }>;
          }>;
        }>;
      };
    }>(SERIES, { c: canvas.id, start, end: now.toISOString(), v: true, st: true });
    expect(res.body.errors).toBeUndefined();
    const series = res.body.data!.canvasSeries;
    expect(series.name).toBe(canvas.name);
    expect(series.points).toHaveLength(2);
    const entered = series.points.find((p) => p.total.entries === 2)!;
    expect(entered.variants[0]).toEqual({
      id: `${canvas.id}-variant-1`,
      name: 'Variant 1',
      stats: { entries: 2 },
    });
    expect(entered.steps[0]).toMatchObject({
      id: `${canvas.id}-step-1`,
      stats: { entries: null },
      messages: [
        { channel: 'email', sent: 2 },
        { channel: 'sms', sent: 2 },
      ],
    });
    expect(seen(s, '/canvas/data_series')[0]!.query).toEqual({
      canvas_id: canvas.id,
      starting_at: start,
      ending_at: now.toISOString(),
      include_variant_breakdown: 'true',
      include_step_breakdown: 'true',
      include_deleted_step_data: 'false',
    });

    const summary = await s.gql<{
      canvasSummary: { name: string; total: { entries: number }; variants: unknown[] };
    }>(
      `query ($c: ID!) { canvasSummary(canvasId: $c, length: 2) { name total { entries revenue } variants { id } } }`,
      { c: canvas.id },
    );
    expect(summary.body.errors).toBeUndefined();
    expect(summary.body.data!.canvasSummary).toMatchObject({
      name: canvas.name,
      total: { entries: 2 },
      variants: [],
    });
    // No endingAt given: the gateway sends the time of the request (Braze lists it as required).
    const sent = seen(s, '/canvas/data_summary')[0]!.query!;
    expect(sent).toMatchObject({ canvas_id: canvas.id, length: '2' });
    expect(Math.abs(Date.parse(sent.ending_at as string) - Date.now())).toBeLessThan(60_000);
  });

  it('refuses a Canvas range without length or startingAt, over 14 days, or starting after its end', async () => {
    const s = await startStack();
    const id = s.sim.catalog.canvases[0]!.id;
    const cases: Array<[string, string]> = [
      [`{ canvasSeries(canvasId: "${id}") { name } }`, 'length: give length (1 to 14 days) or startingAt.'],
      [
        `{ canvasSummary(canvasId: "${id}", length: 15) { name } }`,
        'length: must be from 1 to 14 (days), got 15.',
      ],
      [
        `{ canvasSeries(canvasId: "${id}", startingAt: "2026-11-21T00:00:00Z", endingAt: "${END}") { name } }`,
        'startingAt: must not be after endingAt (default: now).',
      ],
      [`{ canvasSeries(canvasId: "", length: 3) { name } }`, 'canvasId: must not be empty.'],
    ];
    for (const [query, message] of cases) {
      const res = await s.gql(query);
      expect(res.body.errors![0]).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT' } });
    }
    expect(s.sim.count()).toBe(0);
    // An unknown Canvas: Braze's 400, as an upstream error.
    const unknown = await s.gql('{ canvasSeries(canvasId: "nope", length: 3) { name } }');
    expect(unknown.body.errors![0]).toMatchObject({
      message:
        'Braze rejected the request to /canvas/data_series (400): canvas_id must be a string of the Canvas api identifier',
      extensions: { code: 'UPSTREAM_ERROR', upstreamStatus: 400 },
    });
  });
});
