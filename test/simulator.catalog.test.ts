import { describe, expect, it } from 'vitest';
import { DEFAULT_CATALOG } from '../src/simulator/index.js';
import { reply, useSimulators, type Reply } from './simulatorHarness.js';

/** The simulator's catalog GETs (docs/braze-facts.md §3.17) over real HTTP: seed data, paging, details, errors. */

const KEY = 'sim-catalog-key';
const T0 = Date.UTC(2026, 2, 1, 10, 0, 30, 500);
const TIME = '2026-03-01T09:00:00Z';

const h = useSimulators(KEY, T0);

async function get(path: string, query: Record<string, string | number> = {}, on = h.sim): Promise<Reply> {
  const qs = new URLSearchParams(
    Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
  ).toString();
  const res = await fetch(`${on.url}${path}${qs === '' ? '' : `?${qs}`}`, {
    headers: { Authorization: `Bearer ${KEY}` },
  });
  return reply(res);
}

async function track(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${h.sim.url}/users/track`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(201);
}

const ids = (list: unknown): string[] => (list as Array<{ id: string }>).map((x) => x.id);
const minute = (i: number): string => new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString();

describe('built-in catalog', () => {
  it('lists 3 campaigns (1 API), 2 canvases (1 paused), 2 segments and 2 subscription groups', async () => {
    const campaigns = (await get('/campaigns/list')).body.campaigns as Array<Record<string, unknown>>;
    expect(campaigns).toHaveLength(3);
    expect(campaigns.filter((c) => c.is_api_campaign === true)).toHaveLength(1);
    const canvases = (await get('/canvas/list')).body.canvases as Array<{ id: string }>;
    expect(canvases).toHaveLength(2);
    const paused = await Promise.all(canvases.map((c) => get('/canvas/details', { canvas_id: c.id })));
    expect(paused.map((p) => p.body.enabled).sort()).toEqual([false, true]);
    expect((await get('/segments/list')).body.segments).toHaveLength(2);
    expect(h.sim.catalog.subscriptionGroups.map((g) => g.channel).sort()).toEqual(['email', 'sms']);
  });

  it('replaces only the lists given in options, and reset() brings the seed back', async () => {
    const s = await h.start({ catalog: { campaigns: [{ id: 'only', name: 'Only one' }], eventNames: [] } });
    expect(ids((await get('/campaigns/list', {}, s)).body.campaigns)).toEqual(['only']);
    expect((await get('/events/list', {}, s)).body.events).toEqual([]);
    expect((await get('/segments/list', {}, s)).body.segments).toHaveLength(DEFAULT_CATALOG.segments.length);
    s.catalog.addCampaign({ id: 'added', name: 'Added' });
    expect(ids((await get('/campaigns/list', {}, s)).body.campaigns)).toEqual(['only', 'added']);
    s.reset();
    expect(ids((await get('/campaigns/list', {}, s)).body.campaigns)).toEqual(['only']);
  });

  it('refuses a duplicate id and a subscription group of an unknown channel', () => {
    const id = h.sim.catalog.campaigns[0]!.id;
    expect(() => h.sim.catalog.addCampaign({ id, name: 'dup' })).toThrow(/already exists/);
    expect(() => h.sim.catalog.addSubscriptionGroup({ name: 'x', channel: 'push' as 'sms' })).toThrow(
      /channel/,
    );
    expect(() => h.sim.catalog.addCanvas({ name: 'x', createdAt: 'not a date' })).toThrow(/ISO-8601/);
  });
});

describe('GET /events/list and /purchases/product_list', () => {
  it('lists tracked and seeded names, sorted, and keeps names of deleted users', async () => {
    await track({
      events: [
        { external_id: 'u-1', name: 'zeta', time: TIME },
        { external_id: 'u-1', name: 'alpha', time: TIME },
      ],
      purchases: [{ external_id: 'u-1', product_id: 'sku-9', currency: 'EUR', price: 1, time: TIME }],
    });
    const events = await get('/events/list');
    expect(events.status).toBe(200);
    expect(events.body).toEqual({
      message: 'success',
      events: ['alpha', ...DEFAULT_CATALOG.eventNames, 'zeta'].sort(),
    });
    const products = await get('/purchases/product_list');
    expect(products.body).toEqual({
      products: [...DEFAULT_CATALOG.productIds, 'sku-9'].sort(),
      message: 'success',
    });

    h.sim.store.deleteUser(h.sim.store.byExternalId('u-1')!);
    expect((await get('/events/list')).body.events).toContain('zeta');
  });

  it('pages 250 names at a time, 0-based, and ends with an empty page', async () => {
    const s = await h.start({ catalog: { eventNames: [] } });
    const names = Array.from({ length: 300 }, (_, i) => `event_${String(i).padStart(3, '0')}`);
    s.catalog.addEventNames(...names);
    const page0 = (await get('/events/list', {}, s)).body.events as string[];
    const page1 = (await get('/events/list', { page: 1 }, s)).body.events as string[];
    expect(page0).toEqual(names.slice(0, 250));
    expect(page1).toEqual(names.slice(250));
    expect((await get('/events/list', { page: 2 }, s)).body.events).toEqual([]);
    s.catalog.addProductIds(...names);
    expect((await get('/purchases/product_list', { page: 1 }, s)).body.products).toHaveLength(
      300 + DEFAULT_CATALOG.productIds.length - 250,
    );
  });

  it('answers 400 to a bad page and counts both paths in catalog.lists', async () => {
    expect(await get('/events/list', { page: -1 })).toMatchObject({
      status: 400,
      body: { message: "'page' must be a non-negative integer" },
    });
    expect((await get('/purchases/product_list', { page: 'x' })).status).toBe(400);
    h.sim.setRateLimit('catalog.lists', { limit: 3, windowSec: 3600 });
    expect((await get('/events/list')).headers.get('x-ratelimit-remaining')).toBe('0');
    expect((await get('/purchases/product_list')).status).toBe(429);
    expect(h.sim.requests.map((r) => r.group)).toEqual(Array(4).fill('catalog.lists'));
  });
});

describe('GET /campaigns/list and /campaigns/details', () => {
  it('pages 100 campaigns by creation time, oldest first or newest first', async () => {
    const s = await h.start({ catalog: { campaigns: [] } });
    // Added newest first, so the answer's order comes from createdAt, not insertion.
    for (let i = 249; i >= 0; i--)
      s.catalog.addCampaign({ id: `c-${i}`, name: `Campaign ${i}`, createdAt: minute(i) });
    const pages = await Promise.all([0, 1, 2, 3].map((page) => get('/campaigns/list', { page }, s)));
    expect(pages.map((p) => (p.body.campaigns as unknown[]).length)).toEqual([100, 100, 50, 0]);
    expect(pages.flatMap((p) => ids(p.body.campaigns))).toEqual(
      Array.from({ length: 250 }, (_, i) => `c-${i}`),
    );
    const desc = await get('/campaigns/list', { sort_direction: 'desc' }, s);
    expect(ids(desc.body.campaigns).slice(0, 2)).toEqual(['c-249', 'c-248']);
    expect(pages[0]!.headers.get('x-ratelimit-limit')).toBe('250000');
  });

  it('answers the documented item shape and hides archived campaigns unless asked', async () => {
    const s = await h.start({
      catalog: {
        campaigns: [
          {
            id: 'live',
            name: 'Live',
            isApiCampaign: true,
            tags: ['t'],
            lastEdited: '2026-02-01T00:00:00.000Z',
          },
          { id: 'old', name: 'Old', archived: true, createdAt: '2026-01-06T00:00:00.000Z' },
        ],
      },
    });
    const r = await get('/campaigns/list', {}, s);
    expect(r.body).toEqual({
      message: 'success',
      campaigns: [
        {
          id: 'live',
          last_edited: '2026-02-01T00:00:00.000Z',
          name: 'Live',
          is_api_campaign: true,
          tags: ['t'],
        },
      ],
    });
    expect(ids((await get('/campaigns/list', { include_archived: 'true' }, s)).body.campaigns)).toEqual([
      'live',
      'old',
    ]);
    const edited = await get('/campaigns/list', { 'last_edit.time[gt]': '2026-01-31T00:00:00Z' }, s);
    expect(ids(edited.body.campaigns)).toEqual(['live']);
    expect((await get('/campaigns/list', { sort_direction: 'up' }, s)).status).toBe(400);
    expect((await get('/campaigns/list', { include_archived: 'yes' }, s)).status).toBe(400);
  });

  it('answers details with every documented field, and 400 Invalid Campaign ID for an unknown id', async () => {
    const c = h.sim.catalog.addCampaign({
      name: 'Details',
      description: 'd',
      channels: ['email'],
      tags: ['x'],
      createdAt: '2026-02-01T00:00:00.000Z',
      lastEdited: '2026-02-02T00:00:00.000Z',
      messages: { 'var-1': { channel: 'email', name: 'Variant 1' } },
    });
    expect(c.id).toMatch(/^[0-9a-f-]{36}$/);
    const r = await get('/campaigns/details', { campaign_id: c.id });
    expect(r).toMatchObject({ status: 200 });
    expect(r.body).toEqual({
      message: 'success',
      created_at: '2026-02-01T00:00:00.000Z',
      updated_at: '2026-02-02T00:00:00.000Z',
      archived: false,
      draft: false,
      name: 'Details',
      description: 'd',
      schedule_type: 'time_based',
      channels: ['email'],
      first_sent: null,
      last_sent: null,
      tags: ['x'],
      teams: [],
      messages: { 'var-1': { channel: 'email', name: 'Variant 1' } },
      conversion_behaviors: [{ type: 'Opens App', window: 259200 }],
    });
    expect(await get('/campaigns/details', { campaign_id: 'nope' })).toMatchObject({
      status: 400,
      body: { message: 'Invalid Campaign ID' },
    });
    expect((await get('/campaigns/details')).status).toBe(400);
  });
});

describe('GET /canvas/list, /canvas/details, /segments/list, /segments/details', () => {
  it('lists canvases with the documented shape and pages of 100', async () => {
    const s = await h.start({ catalog: { canvases: [] } });
    for (let i = 0; i < 101; i++)
      s.catalog.addCanvas({ id: `v-${i}`, name: `Canvas ${i}`, createdAt: minute(i) });
    const first = await get('/canvas/list', {}, s);
    expect((first.body.canvases as unknown[]).length).toBe(100);
    expect((first.body.canvases as unknown[])[0]).toEqual({
      id: 'v-0',
      last_edited: new Date(T0).toISOString(),
      name: 'Canvas 0',
      tags: [],
    });
    expect(ids((await get('/canvas/list', { page: 1 }, s)).body.canvases)).toEqual(['v-100']);
  });

  it('answers canvas details, and the recorded 400 for an unknown canvas', async () => {
    const paused = h.sim.catalog.canvases.find((c) => !c.enabled)!;
    const r = await get('/canvas/details', { canvas_id: paused.id });
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(
      [
        'message',
        'created_at',
        'updated_at',
        'name',
        'description',
        'archived',
        'draft',
        'enabled',
        'schedule_type',
        'first_entry',
        'last_entry',
        'channels',
        'variants',
        'tags',
        'teams',
        'steps',
      ].sort(),
    );
    expect(r.body).toMatchObject({ name: paused.name, enabled: false, archived: false });
    expect(await get('/canvas/details', { canvas_id: 'nope' })).toMatchObject({
      status: 400,
      body: { message: 'canvas_id must be a string of the Canvas api identifier' },
    });
  });

  it('lists segments and answers their details; an unknown segment is a 400', async () => {
    const seg = h.sim.catalog.addSegment({
      id: 'seg-new',
      name: 'New segment',
      analyticsTrackingEnabled: true,
      tags: ['n'],
      textDescription: 'Filters',
      createdAt: '2027-01-01T00:00:00.000Z',
    });
    const list = await get('/segments/list', { sort_direction: 'desc' });
    expect((list.body.segments as unknown[])[0]).toEqual({
      id: 'seg-new',
      name: 'New segment',
      analytics_tracking_enabled: true,
      tags: ['n'],
    });
    expect(list.body.message).toBe('success');
    const details = await get('/segments/details', { segment_id: seg.id });
    expect(details.body).toEqual({
      message: 'success',
      created_at: '2027-01-01T00:00:00.000Z',
      updated_at: new Date(T0).toISOString(),
      name: 'New segment',
      description: '',
      text_description: 'Filters',
      tags: ['n'],
      teams: [],
    });
    expect(await get('/segments/details', { segment_id: 'nope' })).toMatchObject({
      status: 400,
      body: { message: 'Invalid Segment ID' },
    });
  });

  it('answers 405 to a POST on a GET endpoint', async () => {
    const res = await fetch(`${h.sim.url}/campaigns/list`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}` },
      body: '{}',
    });
    expect(res.status).toBe(405);
  });
});
