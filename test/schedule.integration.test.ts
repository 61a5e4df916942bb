import { describe, expect, it } from 'vitest';
import { nextSendTime } from '../src/messaging/schedule.js';
import { DEFAULT_EXAMPLES, variablesAt } from '../src/playground/examples.js';
import { hashGatewayKey } from '../src/security/keyStore.js';
import { useStacks, type Stack } from './helpers.js';

/**
 * Scheduled messages end to end (docs/braze-facts.md §3.18): GraphQL → gateway → simulator over
 * real HTTP. Each test asserts the answer and the Braze requests the simulator saw, and what the
 * simulator now holds (its schedules), so an update or a cancel is seen to reach Braze.
 */

const startStack = useStacks();

type Gql = Awaited<ReturnType<Stack['gql']>>;

const HOUR_MS = 3_600_000;
const EMAIL = { email: { app_id: 'app', subject: 'Hi', body: 'Hello', from: 'Us <us@example.com>' } };

/** Tomorrow (UTC date) at 9:00, in UTC form: with inLocalTime, 9:00 on each user's clock. */
function tomorrowAtNine(): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1, 9));
}

const daysFromNow = (days: number): string => new Date(Date.now() + days * 24 * HOUR_MS).toISOString();

const SCHEDULE_MESSAGES = `mutation ($i: ScheduleMessagesInput!) { scheduleMessages(input: $i) { scheduleId dispatchId } }`;
const SCHEDULE_CAMPAIGN = `mutation ($i: ScheduleCampaignInput!) { scheduleCampaign(input: $i) { scheduleId dispatchId } }`;
const SCHEDULE_CANVAS = `mutation ($i: ScheduleCanvasInput!) { scheduleCanvas(input: $i) { scheduleId dispatchId } }`;
const BROADCASTS = `query ($end: DateTime!) {
  scheduledBroadcasts(endTime: $end) { id name type tags nextSendTime scheduleType inLocalTime atOptimalTime }
}`;

interface Scheduled {
  scheduleId: string;
  dispatchId: string;
}

function errorOf(res: Gql): { code: unknown; message: string } {
  const e = res.body.errors?.[0];
  return { code: e?.extensions?.code, message: e?.message ?? '' };
}

async function ids(s: Stack): Promise<{ campaign: string; canvas: string; segment: string }> {
  const res = await s.gql<{
    campaigns: Array<{ id: string; isApiCampaign: boolean }>;
    canvases: Array<{ id: string }>;
    segments: Array<{ id: string }>;
  }>('{ campaigns { id isApiCampaign } canvases { id } segments { id } }');
  const d = res.body.data!;
  return {
    campaign: d.campaigns.find((c) => c.isApiCampaign)!.id,
    canvas: d.canvases[0]!.id,
    segment: d.segments[0]!.id,
  };
}

/** The Braze requests to `path` the simulator saw since the test began. */
const sent = (s: Stack, path: string) => s.sim.requests.filter((q) => q.path === path);

async function broadcastRemaining(s: Stack): Promise<number> {
  const res = await s.gql<{ rateBudget: Array<{ group: string; remaining: number }> }>(
    '{ rateBudget { group remaining } }',
  );
  return res.body.data!.rateBudget.find((g) => g.group === 'messaging.broadcast')!.remaining;
}

describe('scheduleMessages, updateScheduledMessages, cancelScheduledMessages', () => {
  it("schedules a message for tomorrow at 9:00 in users' local time, changes it, then cancels it", async () => {
    const s = await startStack();
    const nine = tomorrowAtNine();
    const res = await s.gql<{ scheduleMessages: Scheduled }>(SCHEDULE_MESSAGES, {
      i: {
        externalUserIds: ['u-1', 'u-2'],
        userAliases: [{ name: 'dev-42', label: 'device_id' }],
        messages: EMAIL,
        overrideMessagingLimits: true,
        schedule: { time: nine.toISOString(), inLocalTime: true },
      },
    });
    expect(res.body.errors).toBeUndefined();
    const { scheduleId, dispatchId } = res.body.data!.scheduleMessages;
    expect(scheduleId).not.toBe('');
    expect(dispatchId).toMatch(/^[0-9a-f]{32}$/);

    const [create] = sent(s, '/messages/schedule/create');
    expect(create).toMatchObject({ status: 201, group: 'default' });
    // Braze takes a local time without a zone (docs/braze-facts.md §3.18).
    expect(create!.body).toEqual({
      messages: EMAIL,
      external_user_ids: ['u-1', 'u-2'],
      user_aliases: [{ alias_name: 'dev-42', alias_label: 'device_id' }],
      override_messaging_limits: true,
      schedule: { time: nine.toISOString().slice(0, 19), in_local_time: true },
    });
    expect(s.sim.store.schedules.get(scheduleId)).toMatchObject({
      dispatchId,
      broadcast: false,
      recipients: ['u-1', 'u-2', { alias_name: 'dev-42', alias_label: 'device_id' }],
      schedule: { inLocalTime: true, atOptimalTime: false },
    });

    const later = new Date(nine.getTime() + 2 * HOUR_MS).toISOString();
    const update = await s.gql<{ updateScheduledMessages: { scheduleId: string } }>(
      `mutation ($i: UpdateScheduledMessagesInput!) { updateScheduledMessages(input: $i) { scheduleId } }`,
      { i: { scheduleId, schedule: { time: later }, messages: { sms: { body: 'Changed' } } } },
    );
    expect(update.body.errors).toBeUndefined();
    expect(update.body.data!.updateScheduledMessages).toEqual({ scheduleId });
    expect(sent(s, '/messages/schedule/update').map((q) => q.body)).toEqual([
      { schedule_id: scheduleId, schedule: { time: later }, messages: { sms: { body: 'Changed' } } },
    ]);
    // The new schedule replaced the old one whole: no longer in local time.
    expect(s.sim.store.schedules.get(scheduleId)).toMatchObject({
      messages: { sms: { body: 'Changed' } },
      schedule: { time: later, inLocalTime: false },
    });

    const cancel = `mutation ($id: ID!) { cancelScheduledMessages(scheduleId: $id) { scheduleId } }`;
    const cancelled = await s.gql<{ cancelScheduledMessages: { scheduleId: string } }>(cancel, {
      id: scheduleId,
    });
    expect(cancelled.body.data!.cancelScheduledMessages).toEqual({ scheduleId });
    expect(s.sim.store.schedules.get(scheduleId)).toBeUndefined();

    // Cancelling it again: Braze's 400 for a schedule it does not hold, as a clear input error.
    const again = await s.gql(cancel, { id: scheduleId });
    expect(errorOf(again)).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'Braze rejected /messages/schedule/delete: Invalid Schedule ID.',
    });
    expect(sent(s, '/messages/schedule/delete').map((q) => [q.body, q.status])).toEqual([
      [{ schedule_id: scheduleId }, 201],
      [{ schedule_id: scheduleId }, 400],
    ]);
  });

  it('schedules a broadcast to a segment, counted in the default group (C-16)', async () => {
    const s = await startStack();
    const { segment, campaign } = await ids(s);
    const before = await broadcastRemaining(s);
    const time = daysFromNow(2);
    const res = await s.gql<{ scheduleMessages: Scheduled }>(SCHEDULE_MESSAGES, {
      i: { broadcast: true, segmentId: segment, campaignId: campaign, messages: EMAIL, schedule: { time } },
    });
    expect(res.body.errors).toBeUndefined();
    const [create] = sent(s, '/messages/schedule/create');
    expect(create).toMatchObject({
      status: 201,
      group: 'default',
      body: { broadcast: true, segment_id: segment, campaign_id: campaign, schedule: { time } },
    });
    expect(await broadcastRemaining(s)).toBe(before);
  });

  it('refuses, before calling Braze, a past time, both delivery options, over 90 days, over 50 users, an empty update', async () => {
    const s = await startStack();
    const base = { externalUserIds: ['u-1'], messages: EMAIL };
    const refused = async (schedule: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      errorOf(await s.gql(SCHEDULE_MESSAGES, { i: { ...base, ...extra, schedule } }));

    expect(await refused({ time: new Date(Date.now() - 60_000).toISOString() })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/^input\.schedule\.time: .* is in the past/),
    });
    // A local time is past only once the last time zone (UTC−12) is past it.
    expect(
      await refused({ time: new Date(Date.now() - 13 * HOUR_MS).toISOString(), inLocalTime: true }),
    ).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/^input\.schedule\.time: .* has already passed in every time zone/),
    });
    expect(
      await refused({ time: tomorrowAtNine().toISOString(), inLocalTime: true, atOptimalTime: true }),
    ).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/^input\.schedule: choose inLocalTime .* or atOptimalTime/),
    });
    expect(await refused({ time: daysFromNow(91) })).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'input.schedule.time: Braze schedules at most 90 days ahead.',
    });
    const many = Array.from({ length: 51 }, (_, i) => `u-${i}`);
    expect(await refused({ time: daysFromNow(1) }, { externalUserIds: many })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('at most 50'),
    });
    expect(await refused({ time: daysFromNow(1) }, { externalUserIds: [], segmentId: 'seg' })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('broadcast: true'),
    });
    const empty = await s.gql(
      `mutation { updateScheduledMessages(input: { scheduleId: "s-1" }) { scheduleId } }`,
    );
    expect(errorOf(empty)).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'input: give a new schedule, new messages, or both.',
    });
    expect(s.sim.count()).toBe(0);
  });

  it('sends a local time that has passed in UTC but not in every time zone, and Braze takes it', async () => {
    const s = await startStack();
    const time = new Date(Date.now() - HOUR_MS).toISOString();
    const res = await s.gql<{ scheduleMessages: Scheduled }>(SCHEDULE_MESSAGES, {
      i: { externalUserIds: ['u-1'], messages: EMAIL, schedule: { time, inLocalTime: true } },
    });
    expect(res.body.errors).toBeUndefined();
    expect(sent(s, '/messages/schedule/create').map((q) => q.status)).toEqual([201]);
  });

  it('surfaces a Braze 5xx as UPSTREAM_ERROR and leaves nothing scheduled', async () => {
    const s = await startStack();
    s.sim.injectFault({ path: '/messages/schedule/create', status: 500, times: 1 });
    const res = await s.gql(SCHEDULE_MESSAGES, {
      i: { externalUserIds: ['u-1'], messages: EMAIL, schedule: { time: daysFromNow(1) } },
    });
    expect(errorOf(res)).toMatchObject({ code: 'UPSTREAM_ERROR' });
    expect(s.sim.store.schedules.size).toBe(0);
  });
});

describe('scheduleCampaign, updateScheduledCampaign, cancelScheduledCampaign', () => {
  it('schedules named recipients in one request (default group), changes the schedule, cancels it', async () => {
    const s = await startStack();
    const { campaign } = await ids(s);
    const time = daysFromNow(3);
    const res = await s.gql<{ scheduleCampaign: Scheduled }>(SCHEDULE_CAMPAIGN, {
      i: {
        campaignId: campaign,
        sendId: 'spring',
        triggerProperties: { promo: 'spring' },
        recipients: [
          { user: { externalId: 'u-1' }, properties: { first_name: 'Ana' } },
          { email: 'b@example.com' },
        ],
        schedule: { time, atOptimalTime: true },
      },
    });
    expect(res.body.errors).toBeUndefined();
    const { scheduleId } = res.body.data!.scheduleCampaign;
    const [create] = sent(s, '/campaigns/trigger/schedule/create');
    expect(create).toMatchObject({ status: 201, group: 'default' });
    expect(create!.body).toEqual({
      campaign_id: campaign,
      send_id: 'spring',
      trigger_properties: { promo: 'spring' },
      recipients: [
        { external_user_id: 'u-1', trigger_properties: { first_name: 'Ana' } },
        { email: 'b@example.com', prioritization: ['identified', 'most_recently_updated'] },
      ],
      schedule: { time: time.slice(0, 19), at_optimal_time: true },
    });
    expect(s.sim.store.schedules.get(scheduleId)).toMatchObject({
      campaignId: campaign,
      sendId: 'spring',
      triggerProperties: { promo: 'spring' },
      schedule: { atOptimalTime: true },
    });

    const later = daysFromNow(4);
    const update = await s.gql(
      `mutation ($i: UpdateScheduledCampaignInput!) { updateScheduledCampaign(input: $i) { scheduleId } }`,
      { i: { campaignId: campaign, scheduleId, schedule: { time: later } } },
    );
    expect(update.body.errors).toBeUndefined();
    expect(sent(s, '/campaigns/trigger/schedule/update').map((q) => q.body)).toEqual([
      { campaign_id: campaign, schedule_id: scheduleId, schedule: { time: later } },
    ]);
    expect(s.sim.store.schedules.get(scheduleId)!.schedule).toMatchObject({
      time: later,
      atOptimalTime: false,
    });

    const cancel = `mutation ($c: ID!, $s: ID!) { cancelScheduledCampaign(campaignId: $c, scheduleId: $s) { scheduleId } }`;
    // Another campaign's schedule id is not this campaign's to cancel.
    const other = await s.gql(cancel, { c: campaign, s: 'no-such-schedule' });
    expect(errorOf(other)).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'Braze rejected /campaigns/trigger/schedule/delete: Invalid Schedule ID.',
    });
    const done = await s.gql<{ cancelScheduledCampaign: { scheduleId: string } }>(cancel, {
      c: campaign,
      s: scheduleId,
    });
    expect(done.body.data!.cancelScheduledCampaign).toEqual({ scheduleId });
    expect(s.sim.store.schedules.size).toBe(0);
    expect(sent(s, '/campaigns/trigger/schedule/delete').map((q) => [q.body, q.status])).toEqual([
      [{ campaign_id: campaign, schedule_id: 'no-such-schedule' }, 400],
      [{ campaign_id: campaign, schedule_id: scheduleId }, 201],
    ]);
  });

  it("counts a scheduled broadcast in messaging.broadcast and its audience's window, as the live trigger", async () => {
    const s = await startStack();
    const { campaign } = await ids(s);
    const before = await broadcastRemaining(s);
    const audience = {
      AND: [{ custom_attribute: { custom_attribute_name: 'tier', comparison: 'equals', value: 'gold' } }],
    };
    const res = await s.gql<{ scheduleCampaign: Scheduled }>(SCHEDULE_CAMPAIGN, {
      i: { campaignId: campaign, audience, schedule: { time: daysFromNow(1) } },
    });
    expect(res.body.errors).toBeUndefined();
    expect(sent(s, '/campaigns/trigger/schedule/create')).toMatchObject([
      {
        status: 201,
        group: 'messaging.broadcast',
        body: { campaign_id: campaign, broadcast: true, audience },
      },
    ]);
    expect(await broadcastRemaining(s)).toBe(before - 1);
    expect(s.sim.broadcastAudienceStats().audiencesInWindow).toBe(1);
  });

  it('checks recipients as the live trigger does, and reports Braze refusing the campaign', async () => {
    const s = await startStack();
    const time = daysFromNow(1);
    const bad = await s.gql(SCHEDULE_CAMPAIGN, {
      i: {
        campaignId: 'c-1',
        recipients: [
          { user: { externalId: 'u-1' } },
          { user: { externalId: 'u-2' }, email: 'x@example.com' },
        ],
        schedule: { time },
      },
    });
    expect(errorOf(bad)).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'input.recipients[1]: set exactly one of user or email.',
    });
    const both = await s.gql(SCHEDULE_CAMPAIGN, {
      i: {
        campaignId: 'c-1',
        broadcast: true,
        recipients: [{ user: { externalId: 'u-1' } }],
        schedule: { time },
      },
    });
    expect(errorOf(both).message).toBe('input: broadcast cannot be true with recipients.');
    expect(s.sim.count()).toBe(0);

    const unknown = await s.gql(SCHEDULE_CAMPAIGN, {
      i: {
        campaignId: 'no-such-campaign',
        recipients: [{ user: { externalId: 'u-1' } }],
        schedule: { time },
      },
    });
    expect(errorOf(unknown)).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'Braze rejected /campaigns/trigger/schedule/create: Invalid Campaign ID.',
    });
    expect(sent(s, '/campaigns/trigger/schedule/create').map((q) => q.status)).toEqual([400]);
  });
});

describe('scheduleCanvas, updateScheduledCanvas, cancelScheduledCanvas, scheduledBroadcasts', () => {
  it('schedules a Canvas with its entry properties, lists it with the campaign, and forgets it once cancelled', async () => {
    const s = await startStack();
    const { campaign, canvas } = await ids(s);
    const nine = tomorrowAtNine();
    const canvasRes = await s.gql<{ scheduleCanvas: Scheduled }>(SCHEDULE_CANVAS, {
      i: {
        canvasId: canvas,
        context: { source: 'test' },
        recipients: [{ user: { externalId: 'u-1' }, properties: { n: 1 } }],
        schedule: { time: nine.toISOString(), inLocalTime: true },
      },
    });
    expect(canvasRes.body.errors).toBeUndefined();
    const canvasSchedule = canvasRes.body.data!.scheduleCanvas.scheduleId;
    // The scheduled Canvas endpoint documents canvas_entry_properties (docs/braze-facts.md §3.18).
    expect(sent(s, '/canvas/trigger/schedule/create')[0]!.body).toEqual({
      canvas_id: canvas,
      canvas_entry_properties: { source: 'test' },
      recipients: [{ external_user_id: 'u-1', canvas_entry_properties: { n: 1 } }],
      schedule: { time: nine.toISOString().slice(0, 19), in_local_time: true },
    });
    const campaignTime = new Date(nine.getTime() + 24 * HOUR_MS).toISOString();
    await s.gql(SCHEDULE_CAMPAIGN, {
      i: { campaignId: campaign, broadcast: true, schedule: { time: campaignTime } },
    });
    // A message with no campaign is no campaign or Canvas: Braze does not list it.
    await s.gql(SCHEDULE_MESSAGES, {
      i: { externalUserIds: ['u-1'], messages: EMAIL, schedule: { time: campaignTime } },
    });

    type Listed = Array<{
      id: string;
      type: string;
      nextSendTime: string;
      inLocalTime: boolean;
      scheduleType: string;
    }>;
    const list = async (end: string) => {
      const res = await s.gql<{ scheduledBroadcasts: Listed }>(BROADCASTS, { end });
      expect(res.body.errors).toBeUndefined();
      return res.body.data!.scheduledBroadcasts;
    };
    // Braze reads endTime as midnight UTC of its date: three days ahead covers both.
    const all = await list(daysFromNow(3));
    expect(all.map((b) => [b.type, b.id])).toEqual([
      ['CANVAS', canvas],
      ['CAMPAIGN', campaign],
    ]);
    expect(all[0]).toMatchObject({
      nextSendTime: nine.toISOString(),
      inLocalTime: true,
      scheduleType: 'local_time_zones',
    });
    expect(all[1]).toMatchObject({ nextSendTime: campaignTime, inLocalTime: false, scheduleType: 'UTC' });
    // endTime is passed to Braze: today's midnight excludes both.
    expect(await list(new Date().toISOString())).toEqual([]);

    const update = await s.gql(
      `mutation ($i: UpdateScheduledCanvasInput!) { updateScheduledCanvas(input: $i) { scheduleId } }`,
      { i: { canvasId: canvas, scheduleId: canvasSchedule, schedule: { time: daysFromNow(10) } } },
    );
    expect(update.body.errors).toBeUndefined();
    expect(sent(s, '/canvas/trigger/schedule/update')[0]!.body).toMatchObject({
      canvas_id: canvas,
      schedule_id: canvasSchedule,
    });
    expect((await list(daysFromNow(3))).map((b) => b.type)).toEqual(['CAMPAIGN']);

    const cancel = await s.gql(
      `mutation ($c: ID!, $s: ID!) { cancelScheduledCanvas(canvasId: $c, scheduleId: $s) { scheduleId } }`,
      { c: canvas, s: canvasSchedule },
    );
    expect(cancel.body.errors).toBeUndefined();
    expect(sent(s, '/canvas/trigger/schedule/delete')).toMatchObject([{ status: 201 }]);
    expect((await list(daysFromNow(30))).map((b) => b.type)).toEqual(['CAMPAIGN']);
    expect(sent(s, '/messages/scheduled_broadcasts').every((q) => q.group === 'default')).toBe(true);
  });
});

describe('gateway keys', () => {
  it("needs each endpoint's Braze permission: a key that may schedule may not cancel or list", async () => {
    const key = 'bgw_scheduler-key-for-tests-0001';
    const s = await startStack({
      env: { GATEWAY_KEYS: `scheduler:${hashGatewayKey(key)}:messages.schedule.create` },
    });
    const post = async (query: string, variables: Record<string, unknown>) => {
      const res = await fetch(s.gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: (await res.json()) as Gql['body'] };
    };
    const created = await post(SCHEDULE_MESSAGES, {
      i: { externalUserIds: ['u-1'], messages: EMAIL, schedule: { time: daysFromNow(1) } },
    });
    expect(created.status).toBe(200);
    const { scheduleId } = (created.body.data as { scheduleMessages: Scheduled }).scheduleMessages;
    const cancel = await post(
      `mutation ($id: ID!) { cancelScheduledMessages(scheduleId: $id) { scheduleId } }`,
      {
        id: scheduleId,
      },
    );
    expect(cancel.status).toBe(403);
    expect(cancel.body.errors![0]).toMatchObject({
      message: 'This gateway key lacks the permission messages.schedule.delete.',
      extensions: { code: 'FORBIDDEN' },
    });
    const list = await post(BROADCASTS, { end: daysFromNow(2) });
    expect(list.body.errors![0]!.message).toBe(
      'This gateway key lacks the permission messages.schedule_broadcasts.',
    );
    expect(s.sim.count('/messages/schedule/delete') + s.sim.count('/messages/scheduled_broadcasts')).toBe(0);
    expect(s.sim.store.schedules.get(scheduleId)).toBeDefined();
  });
});

describe('the playground tab', () => {
  it("schedules tomorrow's 9:00 local-time message against the simulator as served", async () => {
    const s = await startStack();
    const example = DEFAULT_EXAMPLES.find((e) => e.query.includes('mutation ScheduleMessage('))!;
    const res = await s.gql<{ scheduleMessages: Scheduled }>(example.query, variablesAt(example, new Date()));
    expect(res.body.errors).toBeUndefined();
    const { scheduleId } = res.body.data!.scheduleMessages;
    expect(s.sim.store.schedules.get(scheduleId)!.schedule).toMatchObject({
      time: tomorrowAtNine().toISOString().slice(0, 19),
      inLocalTime: true,
    });
  });
});

describe("reading Braze's next_send_time", () => {
  it('takes ISO 8601 and the older `YYYY-MM-DD HH:mm:ss`; a time without a zone is a clock time, in UTC form', () => {
    expect(nextSendTime('2026-03-02 09:00:00')?.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(nextSendTime('2026-03-02T09:00:00')?.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(nextSendTime('2026-03-02 09:00:00 +0000')?.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(nextSendTime('2026-03-02T09:00:00-04:00')?.toISOString()).toBe('2026-03-02T13:00:00.000Z');
    expect(nextSendTime('2026-03-02T09:00:00.000Z')?.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(nextSendTime('tomorrow')).toBeNull();
    expect(nextSendTime(1772442000)).toBeNull();
  });
});
