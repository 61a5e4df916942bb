import { describe, expect, it } from 'vitest';
import { reply, useSimulators, type Reply } from './simulatorHarness.js';

/**
 * The simulator's messaging endpoints (docs/braze-facts.md §3.11–§3.16) over real HTTP: validation, caps,
 * response shapes, recorded dispatches and subscription states, and the per-audience broadcast
 * limit (docs/braze-facts.md §2 row 6).
 */

const KEY = 'sim-messaging-key';
// 10:00:30.5Z: mid-window, so a 60 s window ends at 10:01:00Z whatever the test does meanwhile.
const T0 = Date.UTC(2026, 2, 1, 10, 0, 30, 500);
const NEXT_MINUTE = Date.UTC(2026, 2, 1, 10, 1, 0);
const MAX_EXT = { message: 'The max number of external_ids and aliases per request was exceeded' };
const MAX_IDS = { message: 'The max number of ids per request was exceeded' };
const EMAIL = { email: { app_id: 'app', subject: 'Hi', body: 'Hello', from: 'Us <us@example.com>' } };

const h = useSimulators(KEY, T0);

async function post(path: string, body: unknown, on = h.sim): Promise<Reply> {
  const res = await fetch(`${on.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });
  return reply(res);
}

async function get(pathAndQuery: string): Promise<Reply> {
  const res = await fetch(`${h.sim.url}${pathAndQuery}`, { headers: { Authorization: `Bearer ${KEY}` } });
  return reply(res);
}

async function seed(...ids: string[]): Promise<void> {
  const r = await post('/users/track', {
    attributes: ids.map((id) => ({ external_id: id, first_name: id })),
  });
  expect(r.status).toBe(201);
}

const many = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
const apiCampaign = (): string => h.sim.catalog.campaigns.find((c) => c.isApiCampaign)!.id;
const group = (channel: 'email' | 'sms'): string =>
  h.sim.catalog.subscriptionGroups.find((g) => g.channel === channel)!.id;
const DISPATCH_ID = /^[0-9a-f]{32}$/;

describe('POST /messages/send', () => {
  it('sends to existing named users, skips unknown ones, and records the dispatch', async () => {
    await seed('u-1', 'u-2');
    const campaignId = apiCampaign();
    const r = await post('/messages/send', {
      external_user_ids: ['u-1', 'u-2', 'ghost', 'u-1'],
      campaign_id: campaignId,
      send_id: 'spring',
      messages: EMAIL,
    });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body).sort()).toEqual(['dispatch_id', 'message']);
    expect(r.body.message).toBe('success');
    expect(r.body.dispatch_id).toMatch(DISPATCH_ID);
    expect(h.sim.store.dispatches).toEqual([
      {
        endpoint: 'messages.send',
        dispatchId: r.body.dispatch_id,
        at: T0,
        campaignId,
        sendId: 'spring',
        broadcast: false,
        recipients: [
          { brazeId: h.sim.store.byExternalId('u-1')!.brazeId, externalId: 'u-1' },
          { brazeId: h.sim.store.byExternalId('u-2')!.brazeId, externalId: 'u-2' },
        ],
        skipped: ['ghost'],
        messages: EMAIL,
      },
    ]);
    expect(h.sim.requests[1]?.group).toBe('default');
  });

  it('broadcasts to a segment in the broadcast group', async () => {
    const segmentId = h.sim.catalog.segments[0]!.id;
    const r = await post('/messages/send', { broadcast: true, segment_id: segmentId, messages: EMAIL });
    expect(r.status).toBe(201);
    expect(h.sim.store.dispatches[0]).toMatchObject({
      broadcast: true,
      segmentId,
      recipients: [],
      skipped: [],
    });
    expect(h.sim.requests[0]?.group).toBe('messaging.broadcast');
    expect(r.headers.get('x-ratelimit-limit')).toBe('250');
  });

  it('accepts 50 named users and refuses 51', async () => {
    const ok = await post('/messages/send', { external_user_ids: many(50, (i) => `n${i}`), messages: EMAIL });
    expect(ok.status).toBe(201);
    expect(h.sim.store.dispatches[0]?.skipped).toHaveLength(50);
    const over = await post('/messages/send', {
      external_user_ids: many(49, (i) => `n${i}`),
      user_aliases: [
        { alias_name: 'a', alias_label: 'l' },
        { alias_name: 'b', alias_label: 'l' },
      ],
      messages: EMAIL,
    });
    expect(over).toMatchObject({ status: 400, body: MAX_EXT });
  });

  it.each([
    [
      'broadcast with named users',
      { broadcast: true, external_user_ids: ['u'], messages: EMAIL },
      "Recipients cannot be given when 'broadcast' is true",
    ],
    ['no recipients', { messages: EMAIL }, 'No Recipients'],
    ['a segment without broadcast', { segment_id: 's', messages: EMAIL }, 'No Recipients'],
    ['no messages', { external_user_ids: ['u'] }, 'No message to send'],
    ['empty messages', { external_user_ids: ['u'], messages: {} }, 'No message to send'],
    [
      'an unknown campaign',
      { external_user_ids: ['u'], campaign_id: 'nope', messages: EMAIL },
      'Invalid Campaign ID',
    ],
    ['an unknown segment', { broadcast: true, segment_id: 'nope', messages: EMAIL }, 'Invalid Segment ID'],
    [
      'ids that are not strings',
      { external_user_ids: [1], messages: EMAIL },
      "'external_user_ids' must be an array of non-empty strings",
    ],
    ['a non-boolean broadcast', { broadcast: 'yes', messages: EMAIL }, "'broadcast' must be a boolean"],
    [
      'an unknown message type',
      { external_user_ids: ['u'], messages: { pigeon: {} } },
      "Invalid message type 'pigeon'",
    ],
    [
      'an Apple push over 1,912 bytes',
      { external_user_ids: ['u'], messages: { apple_push: { alert: 'x'.repeat(2000) } } },
      'Apple Push Length Exceeded',
    ],
    [
      'an Android push over 4,000 bytes',
      { external_user_ids: ['u'], messages: { android_push: { alert: 'x'.repeat(4000) } } },
      'Android Push Length Exceeded',
    ],
  ])('answers 400 to %s and records nothing', async (_label, body, message) => {
    const r = await post('/messages/send', body);
    expect(r).toMatchObject({ status: 400, body: { message } });
    expect(h.sim.store.dispatches).toEqual([]);
  });

  it('answers 400 to a body that is JSON but not an object', async () => {
    const r = await post('/messages/send', [1, 2]);
    expect(r).toMatchObject({ status: 400, body: { message: 'The request body must be a JSON object' } });
  });
});

describe('POST /campaigns/trigger/send', () => {
  it('resolves each recipient kind, merges trigger properties, and skips unknown users', async () => {
    await seed('u-1', 'u-2');
    await post('/users/alias/new', { user_aliases: [{ alias_name: 'dev-1', alias_label: 'device' }] });
    await post('/users/track', { attributes: [{ external_id: 'u-3', email: 'c@example.com' }] });
    const u2 = h.sim.store.byExternalId('u-2')!;
    const campaignId = apiCampaign();
    const r = await post('/campaigns/trigger/send', {
      campaign_id: campaignId,
      trigger_properties: { promo: 'spring', tier: 'basic' },
      recipients: [
        { external_user_id: 'u-1', trigger_properties: { tier: 'gold' } },
        { user_alias: { alias_name: 'dev-1', alias_label: 'device' } },
        { braze_id: u2.brazeId },
        { email: 'c@example.com', prioritization: ['identified', 'most_recently_updated'] },
        { external_user_id: 'ghost' },
      ],
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ dispatch_id: expect.stringMatching(DISPATCH_ID), message: 'success' });
    const d = h.sim.store.dispatches[0]!;
    expect(d).toMatchObject({
      endpoint: 'campaigns.trigger.send',
      dispatchId: r.body.dispatch_id,
      campaignId,
      broadcast: false,
      triggerProperties: { promo: 'spring', tier: 'basic' },
      skipped: [{ external_user_id: 'ghost' }],
    });
    expect(d.recipients).toEqual([
      {
        brazeId: h.sim.store.byExternalId('u-1')!.brazeId,
        externalId: 'u-1',
        triggerProperties: { promo: 'spring', tier: 'gold' },
      },
      {
        brazeId: h.sim.store.byAlias({ alias_name: 'dev-1', alias_label: 'device' })!.brazeId,
        triggerProperties: { promo: 'spring', tier: 'basic' },
      },
      { brazeId: u2.brazeId, externalId: 'u-2', triggerProperties: { promo: 'spring', tier: 'basic' } },
      {
        brazeId: h.sim.store.byExternalId('u-3')!.brazeId,
        externalId: 'u-3',
        triggerProperties: { promo: 'spring', tier: 'basic' },
      },
    ]);
    expect(h.sim.store.byExternalId('ghost')).toBeUndefined();
  });

  it('creates or updates the profile with send_to_existing_only: false and attributes', async () => {
    await seed('u-1');
    const r = await post('/campaigns/trigger/send', {
      campaign_id: apiCampaign(),
      recipients: [
        {
          external_user_id: 'new-1',
          send_to_existing_only: false,
          attributes: { first_name: 'Nia', plan: 'trial' },
        },
        { external_user_id: 'u-1', attributes: { plan: 'pro' } },
        { external_user_id: 'new-2', attributes: { plan: 'x' } },
      ],
    });
    expect(r.status).toBe(201);
    expect(h.sim.store.byExternalId('new-1')).toMatchObject({
      profile: { first_name: 'Nia' },
      customAttributes: { plan: 'trial' },
    });
    expect(h.sim.store.byExternalId('u-1')?.customAttributes).toEqual({ plan: 'pro' });
    // send_to_existing_only defaults to true: an unknown user is skipped, not created.
    expect(h.sim.store.byExternalId('new-2')).toBeUndefined();
    expect(h.sim.store.dispatches[0]?.recipients.map((x) => x.externalId)).toEqual(['new-1', 'u-1']);
  });

  it('de-duplicates recipients; the last occurrence wins', async () => {
    await seed('u-1');
    await post('/campaigns/trigger/send', {
      campaign_id: apiCampaign(),
      recipients: [
        { external_user_id: 'u-1', trigger_properties: { n: 1 } },
        { external_user_id: 'u-1', trigger_properties: { n: 2 } },
      ],
    });
    expect(h.sim.store.dispatches[0]?.recipients).toEqual([
      expect.objectContaining({ externalId: 'u-1', triggerProperties: { n: 2 } }),
    ]);
  });

  it('broadcasts without recipients in the broadcast group', async () => {
    const r = await post('/campaigns/trigger/send', { campaign_id: apiCampaign(), broadcast: true });
    expect(r.status).toBe(201);
    expect(h.sim.store.dispatches[0]).toMatchObject({ broadcast: true, recipients: [] });
    expect(h.sim.requests[0]?.group).toBe('messaging.broadcast');
  });

  it('accepts 50 recipients and refuses 51', async () => {
    const rcpt = (i: number) => ({ external_user_id: `r${i}` });
    expect(
      (await post('/campaigns/trigger/send', { campaign_id: apiCampaign(), recipients: many(50, rcpt) }))
        .status,
    ).toBe(201);
    const over = await post('/campaigns/trigger/send', {
      campaign_id: apiCampaign(),
      recipients: many(51, rcpt),
    });
    expect(over).toMatchObject({ status: 400, body: MAX_EXT });
  });

  it.each([
    [
      'a missing campaign_id',
      { campaign_id: undefined, recipients: [{ external_user_id: 'u' }] },
      "'campaign_id' is required",
    ],
    [
      'an unknown campaign',
      { campaign_id: 'nope', recipients: [{ external_user_id: 'u' }] },
      'Invalid Campaign ID',
    ],
    [
      'broadcast with recipients',
      { broadcast: true, recipients: [{ external_user_id: 'u' }] },
      "Recipients cannot be given when 'broadcast' is true",
    ],
    ['no recipients', {}, 'No Recipients'],
    [
      'a recipient with two identifiers',
      { recipients: [{ external_user_id: 'u', braze_id: 'b' }] },
      "recipients[0] must have exactly one of 'external_user_id', 'user_alias', 'braze_id' or 'email'",
    ],
    [
      'an email without prioritization',
      { recipients: [{ email: 'a@b.co' }] },
      "recipients[0]: 'prioritization' is required with 'email'",
    ],
    [
      'send_to_existing_only false with an alias',
      {
        recipients: [
          { user_alias: { alias_name: 'a', alias_label: 'l' }, send_to_existing_only: false, attributes: {} },
        ],
      },
      "recipients[0]: 'send_to_existing_only' cannot be false for a 'user_alias' recipient",
    ],
    [
      'send_to_existing_only false without attributes',
      { recipients: [{ external_user_id: 'u' }, { external_user_id: 'v', send_to_existing_only: false }] },
      "recipients[1]: 'attributes' is required when 'send_to_existing_only' is false",
    ],
    [
      'trigger_properties that are not an object',
      { trigger_properties: [1], recipients: [{ external_user_id: 'u' }] },
      "'trigger_properties' must be an object",
    ],
    [
      'attachments on a broadcast',
      { broadcast: true, attachments: [{ file_name: 'f', url: 'https://x/f.pdf' }] },
      "'attachments' cannot be used when 'broadcast' is true",
    ],
  ])('answers 400 to %s and changes nothing', async (_label, body, message) => {
    const r = await post('/campaigns/trigger/send', { campaign_id: apiCampaign(), ...body });
    expect(r).toMatchObject({ status: 400, body: { message } });
    expect(h.sim.store.dispatches).toEqual([]);
    expect(h.sim.store.size).toBe(0);
  });
});

describe('POST /canvas/trigger/send', () => {
  it('records per-recipient context over the shared one', async () => {
    await seed('u-1');
    const active = h.sim.catalog.canvases.find((c) => c.enabled)!;
    const r = await post('/canvas/trigger/send', {
      canvas_id: active.id,
      context: { a: 1, b: 1 },
      recipients: [{ external_user_id: 'u-1', context: { b: 2 } }],
    });
    expect(r.body).toEqual({ dispatch_id: expect.stringMatching(DISPATCH_ID), message: 'success' });
    expect(h.sim.store.dispatches[0]).toMatchObject({
      endpoint: 'canvas.trigger.send',
      canvasId: active.id,
      context: { a: 1, b: 1 },
      recipients: [{ externalId: 'u-1', context: { a: 1, b: 2 } }],
    });
  });

  it('answers 201 with a notice for a paused Canvas', async () => {
    const paused = h.sim.catalog.canvases.find((c) => !c.enabled)!;
    const r = await post('/canvas/trigger/send', { canvas_id: paused.id, broadcast: true });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      notice: 'The Canvas is paused. Resume the Canvas to ensure trigger requests will take effect.',
      dispatch_id: expect.stringMatching(DISPATCH_ID),
      message: 'success',
    });
  });

  it('reads the legacy canvas_entry_properties, refuses context over 50 KB and unknown canvases', async () => {
    await seed('u-1');
    const id = h.sim.catalog.canvases[0]!.id;
    await post('/canvas/trigger/send', {
      canvas_id: id,
      canvas_entry_properties: { legacy: true },
      recipients: [{ external_user_id: 'u-1' }],
    });
    expect(h.sim.store.dispatches[0]?.recipients[0]?.context).toEqual({ legacy: true });
    const big = await post('/canvas/trigger/send', {
      canvas_id: id,
      context: { blob: 'x'.repeat(51 * 1024) },
      recipients: [{ external_user_id: 'u-1' }],
    });
    expect(big).toMatchObject({ status: 400, body: { message: "'context' must be at most 50 KB" } });
    expect(await post('/canvas/trigger/send', { canvas_id: 'nope', broadcast: true })).toMatchObject({
      status: 400,
      body: { message: 'Invalid Canvas ID' },
    });
    const over = await post('/canvas/trigger/send', {
      canvas_id: id,
      recipients: many(51, (i) => ({ external_user_id: `r${i}` })),
    });
    expect(over).toMatchObject({ status: 400, body: MAX_EXT });
  });
});

describe('POST /sends/id/create', () => {
  it('creates the given or a generated send id for a known campaign', async () => {
    const campaignId = apiCampaign();
    const r = await post('/sends/id/create', { campaign_id: campaignId, send_id: 'spring-1' });
    expect(r).toMatchObject({ status: 201, body: { message: 'success', send_id: 'spring-1' } });
    expect(r.headers.get('x-ratelimit-limit')).toBe('100');
    const generated = await post('/sends/id/create', { campaign_id: campaignId });
    expect(generated.body.send_id).toMatch(/^[0-9a-f]{32}$/);
    expect(h.sim.store.sendIds).toEqual([
      { campaignId, sendId: 'spring-1', at: T0 },
      { campaignId, sendId: generated.body.send_id, at: T0 },
    ]);
    expect(h.sim.requests.map((q) => q.group)).toEqual(['sends.id.create', 'sends.id.create']);
  });

  it('refuses a missing or unknown campaign and a bad send_id', async () => {
    expect((await post('/sends/id/create', {})).body).toEqual({ message: "'campaign_id' is required" });
    expect((await post('/sends/id/create', { campaign_id: 'nope' })).body).toEqual({
      message: 'Invalid Campaign ID',
    });
    expect((await post('/sends/id/create', { campaign_id: apiCampaign(), send_id: 7 })).status).toBe(400);
    expect(h.sim.store.sendIds).toEqual([]);
  });
});

describe('subscription status', () => {
  it('sets states by external id (array or string) and reads them back with the documented shape', async () => {
    await seed('u-1', 'u-2');
    const emailGroup = h.sim.catalog.subscriptionGroups.find((g) => g.channel === 'email')!;
    const r = await post('/subscription/status/set', {
      subscription_group_id: emailGroup.id,
      subscription_state: 'subscribed',
      external_id: ['u-1', 'u-2', 'ghost'],
    });
    expect(r).toMatchObject({ status: 201, body: { message: 'success' } });
    await post('/subscription/status/set', {
      subscription_group_id: emailGroup.id,
      subscription_state: 'unsubscribed',
      external_id: 'u-2',
    });
    expect(h.sim.store.byExternalId('u-1')?.subscriptions.get(emailGroup.id)).toBe('subscribed');

    const status = await get(
      '/subscription/user/status?external_id[]=u-1&external_id[]=u-2&external_id[]=ghost',
    );
    expect(status.status).toBe(200);
    const entry = (status_: string) => [
      { id: emailGroup.id, name: emailGroup.name, channel: 'email', status: status_ },
    ];
    expect(status.body).toEqual({
      users: [
        { email: null, phone: null, external_id: 'u-1', subscription_groups: entry('Subscribed') },
        { email: null, phone: null, external_id: 'u-2', subscription_groups: entry('Unsubscribed') },
      ],
      total_count: 2,
      message: 'success',
    });
    const second = await get('/subscription/user/status?external_id=u-1&external_id=u-2&limit=1&offset=1');
    expect(second.body).toMatchObject({ users: [{ external_id: 'u-2' }], total_count: 2 });
  });

  it('sets states by email and phone, and a later profile inherits a state set before it existed', async () => {
    await post('/users/track', {
      attributes: [{ external_id: 'e-1', email: 'e1@example.com', phone: '+33600000001' }],
    });
    await post('/subscription/status/set', {
      subscription_group_id: group('email'),
      subscription_state: 'subscribed',
      email: ['e1@example.com', 'later@example.com'],
    });
    await post('/subscription/status/set', {
      subscription_group_id: group('sms'),
      subscription_state: 'unsubscribed',
      phone: '+33600000001',
    });
    const e1 = h.sim.store.byExternalId('e-1')!;
    expect(Object.fromEntries(e1.subscriptions)).toEqual({
      [group('email')]: 'subscribed',
      [group('sms')]: 'unsubscribed',
    });
    await post('/users/track', { attributes: [{ external_id: 'late', email: 'later@example.com' }] });
    expect(h.sim.store.byExternalId('late')?.subscriptions.get(group('email'))).toBe('subscribed');
    const byEmail = await get('/subscription/user/status?email=later@example.com');
    expect(byEmail.body.users).toEqual([
      expect.objectContaining({ external_id: 'late', email: 'later@example.com', phone: null }),
    ]);
  });

  it.each([
    [
      'an unknown group',
      { subscription_group_id: 'nope', external_id: ['u'] },
      'Invalid subscription group ID',
    ],
    [
      'both email and phone',
      { email: ['a@example.com'], phone: ['+33600000001'] },
      'Either an email address or a phone number should be provided, but not both.',
    ],
    [
      'a bad state',
      { subscription_state: 'maybe', external_id: ['u'] },
      "'subscription_state' must be 'subscribed' or 'unsubscribed'",
    ],
    ['no identifiers', {}, "One of 'external_id', 'email' or 'phone' is required"],
    ['51 external ids', { external_id: many(51, (i) => `x${i}`) }, MAX_IDS.message],
    ['51 emails', { email: many(51, (i) => `x${i}@example.com`) }, MAX_IDS.message],
    [
      'a phone for an email group',
      { phone: ['+33600000001'] },
      "'phone' can only be used with an SMS subscription group",
    ],
    [
      'a number as external id',
      { external_id: [1] },
      "'external_id' must be a string or an array of strings",
    ],
  ])('v1 answers 400 to %s', async (_label, body, message) => {
    await seed('u');
    const r = await post('/subscription/status/set', {
      subscription_group_id: group('email'),
      subscription_state: 'subscribed',
      ...body,
    });
    expect(r).toMatchObject({ status: 400, body: { message } });
    expect(h.sim.store.byExternalId('u')?.subscriptions.size).toBe(0);
  });

  it('v1 accepts 50 ids of each kind', async () => {
    const r = await post('/subscription/status/set', {
      subscription_group_id: group('email'),
      subscription_state: 'subscribed',
      external_id: many(50, (i) => `x${i}`),
      email: many(50, (i) => `x${i}@example.com`),
    });
    expect(r.status).toBe(201);
  });

  it('v2 updates several groups, mixing channels only with external_ids', async () => {
    await seed('u-1');
    const r = await post('/v2/subscription/status/set', {
      subscription_groups: [
        { subscription_group_id: group('email'), subscription_state: 'subscribed', external_ids: ['u-1'] },
        { subscription_group_id: group('sms'), subscription_state: 'unsubscribed', external_ids: ['u-1'] },
      ],
    });
    expect(r).toMatchObject({ status: 201, body: { message: 'success' } });
    expect(Object.fromEntries(h.sim.store.byExternalId('u-1')!.subscriptions)).toEqual({
      [group('email')]: 'subscribed',
      [group('sms')]: 'unsubscribed',
    });
    expect(h.sim.requests.map((q) => q.group)).toEqual(['users.track', 'subscription.status.set']);

    const mixed = await post('/v2/subscription/status/set', {
      subscription_groups: [
        {
          subscription_group_id: group('email'),
          subscription_state: 'unsubscribed',
          emails: ['a@example.com'],
        },
        { subscription_group_id: group('sms'), subscription_state: 'subscribed', external_ids: ['u-1'] },
      ],
    });
    expect(mixed).toMatchObject({
      status: 400,
      body: {
        message: "Email and SMS subscription groups can be updated in one request only with 'external_ids'",
      },
    });
    // Nothing from the refused request was applied.
    expect(h.sim.store.byExternalId('u-1')?.subscriptions.get(group('sms'))).toBe('unsubscribed');
    expect(
      (
        await post('/v2/subscription/status/set', {
          subscription_groups: [
            { subscription_group_id: 'nope', subscription_state: 'subscribed', external_ids: ['u-1'] },
          ],
        })
      ).body,
    ).toEqual({ message: 'Invalid subscription group ID' });
    expect((await post('/v2/subscription/status/set', { subscription_groups: [] })).status).toBe(400);
    const over = await post('/v2/subscription/status/set', {
      subscription_groups: [
        {
          subscription_group_id: group('email'),
          subscription_state: 'subscribed',
          external_ids: many(51, (i) => `x${i}`),
        },
      ],
    });
    expect(over).toMatchObject({ status: 400, body: MAX_IDS });
  });

  it('GET /subscription/user/status takes 1 to 50 ids and a limit of at most 100', async () => {
    const ids50 = many(50, (i) => `external_id[]=x${i}`).join('&');
    expect((await get(`/subscription/user/status?${ids50}`)).body).toEqual({
      users: [],
      total_count: 0,
      message: 'success',
    });
    expect(await get(`/subscription/user/status?${ids50}&external_id[]=x50`)).toMatchObject({
      status: 400,
      body: MAX_IDS,
    });
    expect((await get('/subscription/user/status')).body).toEqual({
      message: "One of 'external_id', 'email' or 'phone' is required",
    });
    expect((await get('/subscription/user/status?external_id=a&limit=101')).status).toBe(400);
    expect((await get('/subscription/user/status?external_id=a&offset=-1')).status).toBe(400);
    expect((await get('/subscription/user/status?external_id=a')).headers.get('x-ratelimit-limit')).toBe(
      '250000',
    );
  });
});

describe('broadcast limit per unique audience (docs/braze-facts.md §2 row 6)', () => {
  const broadcast = (segment: string, extra: Record<string, unknown> = {}) => ({
    broadcast: true,
    campaign_id: apiCampaign(),
    segment_id: segment,
    messages: EMAIL,
    ...extra,
  });

  it('admits 10 requests per audience per window, then 429, while another audience still passes', async () => {
    const [s1, s2] = h.sim.catalog.segments.map((s) => s.id) as [string, string];
    for (let i = 0; i < 10; i++) expect((await post('/messages/send', broadcast(s1))).status).toBe(201);
    h.clock = NEXT_MINUTE - 1; // still the same window
    const limited = await post('/messages/send', broadcast(s1));
    expect(limited).toMatchObject({ status: 429, body: { message: 'Rate limit exceeded' } });
    // The group's headers: 10 of 250 used, the request refused for its audience did not count.
    expect(limited.headers.get('x-ratelimit-limit')).toBe('250');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('240');
    expect(limited.headers.get('x-ratelimit-reset')).toBe(String(NEXT_MINUTE / 1000));
    expect((await post('/messages/send', broadcast(s2))).status).toBe(201);
    // Named-user sends are not broadcasts and have no per-audience limit.
    expect(
      (
        await post('/messages/send', {
          external_user_ids: ['u'],
          campaign_id: apiCampaign(),
          messages: EMAIL,
        })
      ).status,
    ).toBe(201);

    expect(h.sim.broadcastAudienceStats()).toEqual({
      limit: 10,
      windowSec: 60,
      maxInAnyWindow: 10,
      rejected429: 1,
      audiencesInWindow: 2,
    });
    expect(h.sim.windowStats('messaging.broadcast')).toMatchObject({ maxInAnyWindow: 11, rejected429: 0 });
    expect(h.sim.store.dispatches).toHaveLength(12);

    h.clock = NEXT_MINUTE; // a new window
    expect((await post('/messages/send', broadcast(s1))).status).toBe(201);
  });

  it('treats the same audience written with other key orders as one, across endpoints', async () => {
    const s = await h.start({ broadcastPerAudienceLimit: { limit: 2, windowSec: 60 } });
    const canvasId = s.catalog.canvases[0]!.id;
    const audience = {
      AND: [{ custom_attribute: { custom_attribute_name: 'tier', comparison: 'equals', value: 'gold' } }],
    };
    const reordered = {
      AND: [{ custom_attribute: { value: 'gold', comparison: 'equals', custom_attribute_name: 'tier' } }],
    };
    expect(
      (await post('/canvas/trigger/send', { canvas_id: canvasId, broadcast: true, audience }, s)).status,
    ).toBe(201);
    expect(
      (await post('/canvas/trigger/send', { audience: reordered, broadcast: true, canvas_id: canvasId }, s))
        .status,
    ).toBe(201);
    expect(
      (await post('/canvas/trigger/send', { canvas_id: canvasId, broadcast: true, audience }, s)).status,
    ).toBe(429);
    // Another Canvas with the same filters is another audience.
    const other = s.catalog.canvases[1]!.id;
    expect(
      (await post('/canvas/trigger/send', { canvas_id: other, broadcast: true, audience }, s)).status,
    ).toBe(201);
  });

  it('is configurable at run time and visible in /_simulator/stats', async () => {
    h.sim.setBroadcastPerAudienceLimit({ limit: 1, windowSec: 60 });
    const segment = h.sim.catalog.segments[0]!.id;
    expect((await post('/messages/send', broadcast(segment))).status).toBe(201);
    expect((await post('/messages/send', broadcast(segment))).status).toBe(429);
    const res = await fetch(`${h.sim.url}/_simulator/broadcast_audience_limit`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ limit: 5, windowSec: 60 }),
    });
    expect(res.status).toBe(200);
    expect((await post('/messages/send', broadcast(segment))).status).toBe(201);
    const stats = (await (await fetch(`${h.sim.url}/_simulator/stats`)).json()) as Record<string, unknown>;
    expect(stats.broadcastPerAudience).toEqual({
      limit: 5,
      windowSec: 60,
      maxInAnyWindow: 2,
      rejected429: 1,
      audiencesInWindow: 1,
    });
    expect(stats.dispatches).toBe(2);
    expect(() => h.sim.setBroadcastPerAudienceLimit({ limit: -1, windowSec: 60 })).toThrow(RangeError);
  });

  it('reset() forgets dispatches, per-audience usage and catalog additions', async () => {
    h.sim.setBroadcastPerAudienceLimit({ limit: 1, windowSec: 60 });
    const segment = h.sim.catalog.segments[0]!.id;
    await post('/messages/send', broadcast(segment));
    h.sim.catalog.addCampaign({ id: 'temp', name: 'Temp' });
    h.sim.reset();
    expect(h.sim.store.dispatches).toEqual([]);
    expect(h.sim.catalog.campaign('temp')).toBeUndefined();
    expect(h.sim.broadcastAudienceStats()).toMatchObject({ limit: 1, maxInAnyWindow: 0, rejected429: 0 });
    expect((await post('/messages/send', broadcast(segment))).status).toBe(201);
  });
});
