import { describe, expect, it } from 'vitest';
import type { ListsSeed } from '../src/simulator/index.js';
import { reply, useSimulators, type Reply } from './simulatorHarness.js';

/**
 * The simulator's list hygiene routes over HTTP (docs/braze-facts.md §3.19): the documented
 * parameters, shapes and rules, state kept in the store, and the errors a gateway must be able to
 * meet even though it validates first.
 */

const KEY = 'sim-hygiene-key';
// 2026-03-10T12:00:00Z.
const T0 = Date.UTC(2026, 2, 10, 12);
const DAY = 86_400_000;

const h = useSimulators(KEY, T0);

const EMPTY: Required<ListsSeed> = { hardBounces: [], unsubscribes: [], spam: [], invalidPhones: [] };

async function seeded(lists: ListsSeed) {
  return h.start({ lists: { ...EMPTY, ...lists } });
}

async function get(base: string, path: string, query: string): Promise<Reply> {
  return reply(await fetch(`${base}${path}?${query}`, { headers: { Authorization: `Bearer ${KEY}` } }));
}

/** The addresses of an `emails` answer, in order. */
const emailsIn = (r: Reply): string[] => (r.body.emails as Array<{ email: string }>).map((e) => e.email);

async function post(base: string, path: string, body: unknown): Promise<Reply> {
  return reply(
    await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}

describe('GET /email/hard_bounces', () => {
  const bounces = [
    { email: 'a@example.com', at: '2026-03-09T08:00:00Z' },
    { email: 'b@example.com', at: '2026-03-05T08:00:00Z' },
    { email: 'c@example.com', at: '2026-03-01T00:00:00Z' },
    { email: 'd@example.com', at: '2026-02-28T23:59:59Z' },
  ];

  it('answers the range [start_date, end_date) at midnight UTC, newest first, in Braze’s shape', async () => {
    const sim = await seeded({ hardBounces: bounces });
    const r = await get(sim.url, '/email/hard_bounces', 'start_date=2026-03-01&end_date=2026-03-09');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      message: 'success',
      emails: [
        { email: 'b@example.com', hard_bounced_at: '2026-03-05T08:00:00Z' },
        { email: 'c@example.com', hard_bounced_at: '2026-03-01T00:00:00Z' },
      ],
    });
    expect(r.headers.get('x-ratelimit-limit')).toBe('250000');
    const paged = await get(
      sim.url,
      '/email/hard_bounces',
      'start_date=2026-01-01&end_date=2026-04-01&limit=2&offset=1',
    );
    expect(emailsIn(paged)).toEqual(['b@example.com', 'c@example.com']);
  });

  it('looks an email up whatever the range; limit and offset still apply, as Braze warns', async () => {
    const sim = await seeded({ hardBounces: bounces });
    const r = await get(
      sim.url,
      '/email/hard_bounces',
      'email=d@example.com&end_date=2026-01-01&start_date=2025-12-01',
    );
    expect(r.body.emails).toEqual([{ email: 'd@example.com', hard_bounced_at: '2026-02-28T23:59:59Z' }]);
    const empty = await get(
      sim.url,
      '/email/hard_bounces',
      'email=d@example.com&end_date=2026-01-01&offset=1',
    );
    expect(empty.body).toEqual({ message: 'success', emails: [] });
  });

  it('refuses what Braze documents as required or out of range', async () => {
    const sim = await seeded({ hardBounces: bounces });
    const cases: Array<[string, string]> = [
      ['start_date=2026-03-01', "'end_date' is required"],
      ['end_date=2026-03-09', "Either 'start_date' or 'email' is required"],
      ['start_date=2026-03-09&end_date=2026-03-09', "'start_date' must be earlier than 'end_date'"],
      ['start_date=2026-02-30&end_date=2026-03-09', "'start_date' must be a date in YYYY-MM-DD format"],
      ['start_date=2026-03-01&end_date=03/09/2026', "'end_date' must be a date in YYYY-MM-DD format"],
      ['start_date=2026-03-01&end_date=2026-03-09&limit=501', "'limit' must be an integer between 1 and 500"],
      ['start_date=2026-03-01&end_date=2026-03-09&limit=0', "'limit' must be an integer between 1 and 500"],
      ['start_date=2026-03-01&end_date=2026-03-09&offset=-1', "'offset' must be a non-negative integer"],
      ['email=nope&end_date=2026-03-09', "'email' must be a valid email address"],
    ];
    for (const [query, message] of cases) {
      expect({ query, ...(await get(sim.url, '/email/hard_bounces', query)) }).toMatchObject({
        query,
        status: 400,
        body: { message },
      });
    }
    const max = await get(
      sim.url,
      '/email/hard_bounces',
      'start_date=2026-01-01&end_date=2026-04-01&limit=500',
    );
    expect(max.status).toBe(200);
  });
});

describe('GET /email/unsubscribes', () => {
  it('writes times as Braze was recorded to, newest first unless sort_direction=asc', async () => {
    const sim = await seeded({
      unsubscribes: [
        { email: 'old@example.com', at: '2026-03-02T10:00:00Z' },
        { email: 'new@example.com', at: '2026-03-08T19:27:44Z' },
      ],
    });
    const desc = await get(sim.url, '/email/unsubscribes', 'start_date=2026-03-01&end_date=2026-03-10');
    expect(desc.body.emails).toEqual([
      { email: 'new@example.com', unsubscribed_at: '2026-03-08 19:27:44 +0000' },
      { email: 'old@example.com', unsubscribed_at: '2026-03-02 10:00:00 +0000' },
    ]);
    const asc = await get(
      sim.url,
      '/email/unsubscribes',
      'start_date=2026-03-01&end_date=2026-03-10&sort_direction=asc',
    );
    expect(emailsIn(asc)).toEqual(['old@example.com', 'new@example.com']);
    const bad = await get(
      sim.url,
      '/email/unsubscribes',
      'start_date=2026-03-01&end_date=2026-03-10&sort_direction=up',
    );
    expect(bad).toMatchObject({ status: 400, body: { message: "'sort_direction' must be 'asc' or 'desc'" } });
  });
});

describe('POST /email/status', () => {
  it('succeeds for an unknown address, keeps its state for a later profile, and moves the unsubscribe list', async () => {
    const sim = await seeded({});
    const unknown = await post(sim.url, '/email/status', {
      email: 'later@example.com',
      subscription_state: 'unsubscribed',
    });
    expect(unknown).toMatchObject({ status: 201, body: { message: 'success' } });
    expect([...sim.store.lists.unsubscribes]).toEqual([['later@example.com', T0]]);
    // The profile that gets the address later inherits the state.
    await post(sim.url, '/users/track', { attributes: [{ external_id: 'u-1', email: 'later@example.com' }] });
    expect(sim.store.byExternalId('u-1')!.profile.email_subscribe).toBe('unsubscribed');
    // Subscribing again takes the address off the list and reaches the profile at once.
    const back = await post(sim.url, '/email/status', {
      email: ['later@example.com'],
      subscription_state: 'opted_in',
    });
    expect(back.status).toBe(201);
    expect(sim.store.lists.unsubscribes.size).toBe(0);
    expect(sim.store.byExternalId('u-1')!.profile.email_subscribe).toBe('opted_in');
  });

  it('refuses a bad state, no email, more than 50, and an address that is not one', async () => {
    const sim = await seeded({});
    const fifty1 = Array.from({ length: 51 }, (_, i) => `e${i}@example.com`);
    const cases: Array<[unknown, string]> = [
      [
        { email: 'a@example.com', subscription_state: 'maybe' },
        "'subscription_state' must be 'subscribed', 'unsubscribed' or 'opted_in'",
      ],
      [{ subscription_state: 'subscribed' }, "'email' is required"],
      [{ email: [], subscription_state: 'subscribed' }, "'email' must not be empty"],
      [{ email: fifty1, subscription_state: 'subscribed' }, 'The max number of ids per request was exceeded'],
      [
        { email: ['a@example.com', 'b@localhost'], subscription_state: 'subscribed' },
        "'email' contains an invalid email address: b@localhost",
      ],
      [{ email: 42, subscription_state: 'subscribed' }, "'email' must be a string or an array of strings"],
    ];
    for (const [body, message] of cases) {
      expect(await post(sim.url, '/email/status', body)).toMatchObject({ status: 400, body: { message } });
    }
  });
});

describe('POST /email/bounce/remove, /email/spam/remove, /email/blocklist', () => {
  it('change the lists the reads show', async () => {
    const sim = await seeded({
      hardBounces: [{ email: 'hb@example.com', at: T0 - DAY }],
      spam: [{ email: 'sp@example.com', at: T0 - DAY }],
    });
    const read = async () =>
      emailsIn(await get(sim.url, '/email/hard_bounces', 'start_date=2026-03-01&end_date=2026-03-11'));
    expect(await read()).toEqual(['hb@example.com']);
    expect((await post(sim.url, '/email/bounce/remove', { email: 'hb@example.com' })).status).toBe(201);
    expect(await read()).toEqual([]);
    // Not on the list: still a success.
    expect((await post(sim.url, '/email/bounce/remove', { email: ['hb@example.com'] })).status).toBe(201);

    expect((await post(sim.url, '/email/spam/remove', { email: ['sp@example.com'] })).status).toBe(201);
    expect(sim.store.lists.spam.size).toBe(0);

    expect((await post(sim.url, '/email/blocklist', { email: ['bl@example.com'] })).status).toBe(201);
    expect(await read()).toEqual(['bl@example.com']);
    expect([...sim.store.lists.unsubscribes.keys()]).toEqual(['bl@example.com']);
    expect((await post(sim.url, '/email/blocklist', {})).body).toEqual({ message: "'email' is required" });
  });

  it('does not answer the deprecated /email/blacklist: the gateway calls /email/blocklist', async () => {
    const r = await post(h.sim.url, '/email/blacklist', { email: ['a@example.com'] });
    expect(r.status).toBe(404);
  });
});

describe('GET /sms/invalid_phone_numbers and POST …/remove', () => {
  const phones: NonNullable<ListsSeed['invalidPhones']> = [
    { phone: '+14155550100', at: '2026-03-09T01:00:00Z', reason: 'provider_error' },
    { phone: '14155550101', at: '2026-03-04T01:00:00Z', reason: 'deactivated' },
  ];

  it('answers a range, a reason, or numbers (which win over the range)', async () => {
    const sim = await seeded({ invalidPhones: phones });
    const all = await get(sim.url, '/sms/invalid_phone_numbers', 'start_date=2026-03-01&end_date=2026-03-10');
    expect(all.body).toEqual({
      message: 'success',
      sms: [
        { phone: '+14155550100', invalid_detected_at: '2026-03-09T01:00:00Z', reason: 'provider_error' },
        { phone: '14155550101', invalid_detected_at: '2026-03-04T01:00:00Z', reason: 'deactivated' },
      ],
    });
    const reason = await get(
      sim.url,
      '/sms/invalid_phone_numbers',
      'start_date=2026-03-01&end_date=2026-03-10&reason=deactivated',
    );
    expect((reason.body.sms as unknown[]).length).toBe(1);
    const byNumber = await get(
      sim.url,
      '/sms/invalid_phone_numbers',
      'phone_numbers[]=14155550101&start_date=2020-01-01&end_date=2020-01-02',
    );
    expect(byNumber.body.sms).toEqual([
      { phone: '14155550101', invalid_detected_at: '2026-03-04T01:00:00Z', reason: 'deactivated' },
    ]);
    const cases: Array<[string, string]> = [
      ['start_date=2026-03-01', "Either 'start_date' and 'end_date' or 'phone_numbers' are required"],
      [
        'start_date=2026-03-01&end_date=2026-03-10&reason=lost',
        "'reason' must be 'provider_error' or 'deactivated'",
      ],
      ['phone_numbers[]=555-0100', "'phone_numbers' contains a number not in e.164 format: 555-0100"],
    ];
    for (const [query, message] of cases) {
      expect(await get(sim.url, '/sms/invalid_phone_numbers', query)).toMatchObject({
        status: 400,
        body: { message },
      });
    }
  });

  it('removes numbers, which the read then leaves out', async () => {
    const sim = await seeded({ invalidPhones: phones });
    expect(
      (await post(sim.url, '/sms/invalid_phone_numbers/remove', { phone_numbers: ['14155550101'] })).status,
    ).toBe(201);
    expect([...sim.store.lists.invalidPhones.keys()]).toEqual(['+14155550100']);
    const bad = await post(sim.url, '/sms/invalid_phone_numbers/remove', { phone_numbers: '+14155550100' });
    expect(bad).toMatchObject({
      status: 400,
      body: { message: "'phone_numbers' must be an array of phone numbers" },
    });
  });
});

describe('the default seed', () => {
  it('gives a fresh simulator a few recent entries to list, dated from its own clock', async () => {
    const r = await get(h.sim.url, '/email/hard_bounces', 'start_date=2026-03-03&end_date=2026-03-11');
    expect((r.body.emails as unknown[]).length).toBe(2);
    expect(h.sim.store.lists.invalidPhones.size).toBe(2);
  });
});
