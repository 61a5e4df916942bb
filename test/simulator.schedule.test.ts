import { describe, expect, it } from 'vitest';
import { reply, useSimulators, type Reply } from './simulatorHarness.js';

/**
 * The simulator's scheduled-message endpoints (docs/braze-facts.md §3.18) over real HTTP, on a
 * fake clock: the schedule object's rules, the documented shapes, what the store keeps, and
 * what an unknown or foreign schedule id gets.
 */

const KEY = 'sim-schedule-key';
const T0 = Date.UTC(2026, 2, 1, 10, 0, 0);
const HOUR_MS = 3_600_000;
const EMAIL = { email: { app_id: 'app', subject: 'Hi', body: 'Hello', from: 'Us <us@example.com>' } };
const NAMED = { external_user_ids: ['u-1'], messages: EMAIL };

const h = useSimulators(KEY, T0);

async function call(path: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${h.sim.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return reply(res);
}

const apiCampaign = () => h.sim.catalog.campaigns.find((c) => c.isApiCampaign)!;

describe('the schedule object', () => {
  const create = (schedule: unknown) => call('/messages/schedule/create', { ...NAMED, schedule });

  it('answers 201 with a dispatch id and a schedule id, and keeps the schedule', async () => {
    const r = await create({ time: '2026-03-02T09:00:00Z' });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      dispatch_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      schedule_id: expect.any(String),
      message: 'success',
    });
    expect(h.sim.store.schedules.get(r.body.schedule_id as string)).toMatchObject({
      endpoint: 'messages.schedule.create',
      recipients: ['u-1'],
      schedule: { firstSendMs: Date.UTC(2026, 2, 2, 9), lastSendMs: Date.UTC(2026, 2, 2, 9) },
    });
  });

  it('refuses what Braze refuses: no schedule, an unparsable or impossible time, a past one, over 90 days', async () => {
    const bad = async (schedule: unknown) => (await create(schedule)).body.message;
    expect(await bad(undefined)).toBe("'schedule' is required");
    expect(await bad({ time: 'tomorrow' })).toBe("'schedule.time' must be an ISO 8601 date and time");
    expect(await bad({ time: '2026-02-30T09:00:00Z' })).toBe(
      "'schedule.time' must be an ISO 8601 date and time",
    );
    expect(await bad({ time: '2026-03-01T09:59:59Z' })).toBe("'schedule.time' has already passed");
    expect(await bad({ time: '2026-05-31T10:00:00Z' })).toBe("'schedule.time' must be at most 90 days ahead");
    expect(await bad({ time: '2026-03-02T09:00:00Z', in_local_time: 'yes' })).toBe(
      "'schedule.in_local_time' must be a boolean",
    );
    expect(h.sim.store.schedules.size).toBe(0);
  });

  it('takes a local time as a clock time with no zone, until the last time zone is past it', async () => {
    expect((await create({ time: '2026-03-02T09:00:00+01:00', in_local_time: true })).body.message).toBe(
      "'schedule.time' must not carry a time zone with 'in_local_time' or 'at_optimal_time'",
    );
    // 9:00 today is past in UTC (10:00) but still ahead in UTC−1 … UTC−12.
    const r = await create({ time: '2026-03-01T09:00:00', in_local_time: true });
    expect(r.status).toBe(201);
    expect(h.sim.store.schedules.get(r.body.schedule_id as string)!.schedule).toMatchObject({
      firstSendMs: Date.UTC(2026, 2, 1, 9) - 14 * HOUR_MS,
      lastSendMs: Date.UTC(2026, 2, 1, 9) + 12 * HOUR_MS,
    });
    // 21:59 yesterday has passed even in UTC−12.
    expect((await create({ time: '2026-02-28T21:59:00', in_local_time: true })).status).toBe(400);
  });

  it("takes both options, as Braze's own example does: the optimal time on that date wins", async () => {
    const r = await create({ time: '2026-03-02T09:00:00', in_local_time: true, at_optimal_time: true });
    expect(r.status).toBe(201);
    expect(h.sim.store.schedules.get(r.body.schedule_id as string)!.schedule).toMatchObject({
      atOptimalTime: true,
      firstSendMs: Date.UTC(2026, 2, 2) - 14 * HOUR_MS,
      lastSendMs: Date.UTC(2026, 2, 3) + 12 * HOUR_MS,
    });
  });
});

describe('/messages/schedule/*', () => {
  it('checks the body as /messages/send does, with override_messaging_limits', async () => {
    const schedule = { time: '2026-03-02T09:00:00Z' };
    expect((await call('/messages/schedule/create', { messages: EMAIL, schedule })).body.message).toBe(
      'No Recipients',
    );
    expect(
      (await call('/messages/schedule/create', { ...NAMED, override_messaging_limits: 'no', schedule })).body
        .message,
    ).toBe("'override_messaging_limits' must be a boolean");
    const ids = Array.from({ length: 51 }, (_, i) => `u-${i}`);
    expect(
      (await call('/messages/schedule/create', { ...NAMED, external_user_ids: ids, schedule })).body,
    ).toEqual({ message: 'The max number of external_ids and aliases per request was exceeded' });
  });

  it('updates the schedule or the messages, and deletes; an unknown id gets a 400', async () => {
    const { schedule_id: id } = (
      await call('/messages/schedule/create', {
        ...NAMED,
        schedule: { time: '2026-03-02T09:00:00Z' },
      })
    ).body as { schedule_id: string };
    expect((await call('/messages/schedule/update', { schedule_id: id })).body.message).toBe(
      "The request must contain 'schedule' or 'messages'",
    );
    expect((await call('/messages/schedule/update', { schedule_id: id, messages: {} })).body.message).toBe(
      'No message to send',
    );
    const updated = await call('/messages/schedule/update', {
      schedule_id: id,
      messages: { sms: { body: 'x' } },
    });
    expect(updated).toMatchObject({ status: 201, body: { message: 'success' } });
    expect(h.sim.store.schedules.get(id)).toMatchObject({
      messages: { sms: { body: 'x' } },
      schedule: { time: '2026-03-02T09:00:00Z' },
    });
    expect((await call('/messages/schedule/delete', { schedule_id: id })).status).toBe(201);
    for (const path of ['/messages/schedule/update', '/messages/schedule/delete']) {
      const r = await call(path, { schedule_id: id, messages: EMAIL });
      expect({ path, status: r.status, body: r.body }).toEqual({
        path,
        status: 400,
        body: { message: 'Invalid Schedule ID' },
      });
    }
    expect((await call('/messages/schedule/delete', {})).body.message).toBe("'schedule_id' is required");
  });
});

describe('/campaigns/trigger/schedule/*, /canvas/trigger/schedule/*', () => {
  it('keeps a scheduled trigger and its properties, and refuses it to another campaign or endpoint', async () => {
    const campaign = apiCampaign().id;
    const created = await call('/campaigns/trigger/schedule/create', {
      campaign_id: campaign,
      trigger_properties: { promo: 'x' },
      recipients: [{ external_user_id: 'u-1', trigger_properties: { n: 1 } }],
      schedule: { time: '2026-03-02T09:00:00Z' },
    });
    expect(created.status).toBe(201);
    const id = created.body.schedule_id as string;
    expect(h.sim.store.schedules.get(id)).toMatchObject({
      campaignId: campaign,
      broadcast: false,
      triggerProperties: { promo: 'x' },
      recipients: [{ external_user_id: 'u-1', trigger_properties: { n: 1 } }],
    });
    const other = h.sim.catalog.campaigns.find((c) => c.id !== campaign)!.id;
    expect(
      (await call('/campaigns/trigger/schedule/delete', { campaign_id: other, schedule_id: id })).body,
    ).toEqual({
      message: 'Invalid Schedule ID',
    });
    expect((await call('/messages/schedule/delete', { schedule_id: id })).status).toBe(400);
    expect(
      (await call('/campaigns/trigger/schedule/delete', { campaign_id: 'nope', schedule_id: id })).body,
    ).toEqual({ message: 'Invalid Campaign ID' });
    expect(
      (await call('/campaigns/trigger/schedule/update', { campaign_id: campaign, schedule_id: id })).body,
    ).toEqual({ message: "'schedule' is required" });
    expect(h.sim.store.schedules.get(id)).toBeDefined();
  });

  it('refuses a broadcast with recipients, as the live trigger does', async () => {
    const canvas = h.sim.catalog.canvases[0]!.id;
    const r = await call('/canvas/trigger/schedule/create', {
      canvas_id: canvas,
      broadcast: true,
      recipients: [{ external_user_id: 'u-1' }],
      schedule: { time: '2026-03-02T09:00:00Z' },
    });
    expect(r.body).toEqual({ message: "Recipients cannot be given when 'broadcast' is true" });
  });
});

describe('/messages/scheduled_broadcasts', () => {
  it('lists campaigns and Canvases due before midnight UTC of end_time, earliest first, in Braze’s shape', async () => {
    const campaign = apiCampaign();
    const canvas = h.sim.catalog.canvases[0]!;
    await call('/canvas/trigger/schedule/create', {
      canvas_id: canvas.id,
      broadcast: true,
      schedule: { time: '2026-03-03T09:00:00', in_local_time: true },
    });
    await call('/campaigns/trigger/schedule/create', {
      campaign_id: campaign.id,
      broadcast: true,
      schedule: { time: '2026-03-02T12:00:00Z' },
    });
    await call('/messages/schedule/create', { ...NAMED, schedule: { time: '2026-03-02T09:00:00Z' } });
    const all = await call('/messages/scheduled_broadcasts?end_time=2026-03-04T08:00:00Z');
    expect(all.status).toBe(200);
    expect(all.body).toEqual({
      message: 'success',
      scheduled_broadcasts: [
        {
          name: campaign.name,
          id: campaign.id,
          type: 'Campaign',
          tags: campaign.tags,
          next_send_time: '2026-03-02T12:00:00.000Z',
          schedule_type: 'UTC',
        },
        {
          name: canvas.name,
          id: canvas.id,
          type: 'Canvas',
          tags: canvas.tags,
          next_send_time: '2026-03-03T09:00:00',
          schedule_type: 'local_time_zones',
        },
      ],
    });
    // 23:00 at UTC−5 is 04:00Z on 2026-03-03: the range ends at 2026-03-03T00:00Z, after the
    // Canvas's first time zone (UTC+14) reaches 9:00 on 2026-03-03 (19:00Z the day before).
    const day = await call('/messages/scheduled_broadcasts?end_time=2026-03-02T23:00:00-05:00');
    expect((day.body.scheduled_broadcasts as Array<{ type: string }>).map((b) => b.type)).toEqual([
      'Campaign',
      'Canvas',
    ]);
    const none = await call('/messages/scheduled_broadcasts?end_time=2026-03-02T18:00:00Z');
    expect(none.body.scheduled_broadcasts).toEqual([]);
    expect((await call('/messages/scheduled_broadcasts')).body).toEqual({
      message: "'end_time' must be an ISO 8601 date and time",
    });
  });
});
