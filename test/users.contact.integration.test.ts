import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { TRACK_EVENTS, startStack, type ItemResult, type Stack } from './helpers.js';
import { startTestRedis } from './redisServer.js';

/**
 * Users named by email and phone (docs/braze-facts.md §1.3, §3.10): reads through the export lane
 * (one email or phone per Braze request, riding along with external-id reads), writes where Braze
 * takes them, and refusals before anything is sent where it does not.
 */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { BATCH_WINDOW_MS: '20' } });
  // c-0 … c-119 with their own emails and phones; two profiles share shared@example.com.
  const updates = [
    ...Array.from({ length: 120 }, (_, i) => ({
      user: { externalId: `c-${i}` },
      attributes: {
        first_name: `C${i}`,
        email: `c${i}@example.com`,
        phone: `+1415555${String(i).padStart(4, '0')}`,
      },
    })),
    { user: { externalId: 'twin-1' }, attributes: { first_name: 'Twin1', email: 'shared@example.com' } },
    { user: { externalId: 'twin-2' }, attributes: { first_name: 'Twin2', email: 'shared@example.com' } },
  ];
  const res = await stack.gql<{ setUserAttributes: ItemResult[] }>(
    'mutation ($u: [UserAttributesInput!]!) { setUserAttributes(updates: $u) { ok } }',
    { u: updates },
  );
  expect(res.body.data!.setUserAttributes.every((r) => r.ok)).toBe(true);
});
afterAll(async () => {
  await stack.close();
});

interface ExportBody {
  external_ids?: string[];
  email_address?: string;
  phone?: string;
  fields_to_export?: string[];
}
const exportBodies = (): ExportBody[] =>
  stack.sim.requests.filter((r) => r.path === '/users/export/ids').map((r) => r.body as ExportBody);

const USER = 'query ($ref: UserRef!) { user(ref: $ref) { externalId firstName } }';

describe('reads by email and phone', () => {
  it('finds a user by email and by phone, and answers null for an unknown one', async () => {
    const byEmail = await stack.gql<{ user: unknown }>(USER, { ref: { email: 'c7@example.com' } });
    expect(byEmail.body.data!.user).toEqual({ externalId: 'c-7', firstName: 'C7' });
    const byPhone = await stack.gql<{ user: unknown }>(USER, { ref: { phone: '+14155550008' } });
    expect(byPhone.body.data!.user).toEqual({ externalId: 'c-8', firstName: 'C8' });
    const unknown = await stack.gql<{ user: unknown }>(USER, { ref: { email: 'nobody@example.com' } });
    expect(unknown.body).toEqual({ data: { user: null } });
    const last = exportBodies().slice(-3);
    expect(last.map((b) => [b.email_address, b.phone])).toEqual([
      ['c7@example.com', undefined],
      [undefined, '+14155550008'],
      ['nobody@example.com', undefined],
    ]);
    // The email is exported so the answer can be matched back to it.
    expect(last[0]!.fields_to_export).toContain('email');
  });

  it('returns every profile sharing an email from usersMatching, and the first from user', async () => {
    const res = await stack.gql<{
      usersMatching: Array<{ externalId: string }>;
      user: { externalId: string };
    }>(
      'query { usersMatching(ref: { email: "shared@example.com" }) { externalId } user(ref: { email: "shared@example.com" }) { externalId } }',
    );
    expect(res.body.errors).toBeUndefined();
    const all = res.body.data!.usersMatching.map((u) => u.externalId).sort();
    expect(all).toEqual(['twin-1', 'twin-2']);
    expect(all).toContain(res.body.data!.user.externalId);
  });

  it('lets 120 email reads ride along with 120 external-id reads, one email per Braze request', async () => {
    // Warm keep-alive connections first, as a long-running client would have them.
    await Promise.all(Array.from({ length: 240 }, () => stack.gql('{ __typename }')));
    const before = exportBodies().length;
    const reads = Array.from({ length: 120 }, (_, i) => [
      stack.gql<{ user: { externalId: string } | null }>(USER, { ref: { email: `c${i}@example.com` } }),
      stack.gql<{ user: { externalId: string } | null }>(USER, { ref: { externalId: `c-${119 - i}` } }),
    ]).flat();
    const answers = await Promise.all(reads);
    answers.forEach((a, j) => {
      const i = Math.floor(j / 2);
      expect(a.body.data!.user).toEqual({
        externalId: j % 2 === 0 ? `c-${i}` : `c-${119 - i}`,
        firstName: expect.any(String),
      });
    });
    const sent = exportBodies().slice(before);
    const withEmail = sent.filter((b) => b.email_address !== undefined);
    const withIds = sent.filter((b) => (b.external_ids?.length ?? 0) > 0);
    const riding = withEmail.filter((b) => (b.external_ids?.length ?? 0) > 0);
    const ids = sent.reduce((n, b) => n + (b.external_ids?.length ?? 0), 0);
    console.log(
      `120 email + 120 external-id reads → ${sent.length} /users/export/ids requests: ${withEmail.length} carry one email (${riding.length} of them also external ids), ${withIds.length} carry external ids (${ids} ids, at most ${Math.max(...sent.map((b) => b.external_ids?.length ?? 0))} per request)`,
    );
    // Never two emails (or an email and a phone) in one request; every email once.
    expect(sent.every((b) => b.email_address === undefined || b.phone === undefined)).toBe(true);
    expect(withEmail.map((b) => b.email_address).sort()).toEqual(
      Array.from({ length: 120 }, (_, i) => `c${i}@example.com`).sort(),
    );
    expect(ids).toBe(120);
    // The external ids did not cost requests of their own beyond what 50-per-request needs.
    expect(sent.length).toBeLessThanOrEqual(120 + Math.ceil(120 / 50));
    expect(riding.length).toBeGreaterThan(0);
  });

  it('users(refs:) answers per entry: a failed Braze request errs only its own entries', async () => {
    stack.sim.injectFault({ path: '/users/export/ids', status: 500, times: 1 });
    const refs = [
      ...Array.from({ length: 60 }, (_, i) => ({ externalId: `c-${i}` })),
      { email: 'c100@example.com' },
      { externalId: 'c-1', brazeId: 'x' },
    ];
    const res = await stack.gql<{ users: Array<{ externalId: string } | null> }>(
      'query ($refs: [UserRef!]!) { users(refs: $refs) { externalId } }',
      { refs },
    );
    const users = res.body.data!.users;
    expect(users).toHaveLength(62);
    const errors = res.body.errors ?? [];
    const erred = new Set(errors.map((e) => (e as unknown as { path: Array<string | number> }).path[1]));
    // The bad ref fails alone, with BAD_USER_INPUT, before anything is sent.
    const bad = errors.find((e) => (e as unknown as { path: unknown[] }).path[1] === 61)!;
    expect(bad.extensions!.code).toBe('BAD_USER_INPUT');
    expect(users[61]).toBeNull();
    // One request of the ones sent failed: its entries are null with UPSTREAM_ERROR, the others resolved.
    const upstream = errors.filter((e) => e.extensions!.code === 'UPSTREAM_ERROR');
    expect(upstream.length).toBeGreaterThan(0);
    expect(upstream.length).toBeLessThan(61);
    users.slice(0, 61).forEach((u, i) => {
      if (erred.has(i)) expect(u).toBeNull();
      else expect(u).toEqual({ externalId: i === 60 ? 'c-100' : `c-${i}` });
    });
  });

  it('refuses externalIds and refs together, with BAD_USER_INPUT', async () => {
    const res = await stack.gql(
      'query { users(externalIds: ["c-1"], refs: [{ externalId: "c-2" }]) { externalId } }',
    );
    expect(res.body.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors![0]!.message).toContain('exactly one of externalIds or refs');
  });
});

describe('writes by email and phone', () => {
  it('tracks an event by email and by phone: the /users/track objects carry them', async () => {
    const before = stack.sim.requests.length;
    const res = await stack.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, {
      events: [
        { user: { email: 'c3@example.com' }, name: 'by_email', time: new Date().toISOString() },
        { user: { phone: '+14155550004' }, name: 'by_phone', time: new Date().toISOString() },
      ],
    });
    expect(res.body.data!.trackEvents.map((r) => r.ok)).toEqual([true, true]);
    const track = stack.sim.requests.slice(before).filter((r) => r.path === '/users/track');
    const events = track.flatMap((r) => (r.body as { events: Array<Record<string, unknown>> }).events);
    expect(events.map((e) => [e.email, e.phone, e.name])).toEqual([
      ['c3@example.com', undefined, 'by_email'],
      [undefined, '+14155550004', 'by_phone'],
    ]);
  });

  it('refuses an email-named user that also sets its email attribute, naming the item', async () => {
    const res = await stack.gql<{ setUserAttributes: ItemResult[] }>(
      'mutation ($u: [UserAttributesInput!]!) { setUserAttributes(updates: $u) { ok error { code message } } }',
      { u: [{ user: { email: 'c5@example.com' }, attributes: { email: 'new@example.com' } }] },
    );
    const r = res.body.data!.setUserAttributes[0]!;
    expect(r.ok).toBe(false);
    expect(r.error!.message).toMatch(
      /^updates\[0\] \(email c5@example\.com\)\.attributes: the user is named by email/,
    );
  });

  it('deletes by email only with prioritization, sent as Braze documents it', async () => {
    const del = 'mutation ($u: [UserRef!]!) { deleteUsers(users: $u) { ok error { code message } } }';
    const before = stack.sim.requests.length;
    const refused = await stack.gql<{ deleteUsers: ItemResult[] }>(del, {
      u: [
        { email: 'c110@example.com' },
        { email: 'c111@example.com', prioritization: ['IDENTIFIED', 'UNIDENTIFIED'] },
        { phone: '+14155550112', prioritization: ['LEAST_RECENTLY_UPDATED'] },
      ],
    });
    expect(refused.body.data!.deleteUsers.map((r) => r.error?.message)).toEqual([
      expect.stringContaining('needs prioritization'),
      expect.stringContaining('IDENTIFIED and UNIDENTIFIED exclude each other'),
      expect.stringContaining('takes no LEAST_RECENTLY_UPDATED'),
    ]);
    expect(stack.sim.requests.length).toBe(before);
    const ok = await stack.gql<{ deleteUsers: ItemResult[] }>(del, {
      u: [
        { email: 'c110@example.com', prioritization: ['IDENTIFIED', 'MOST_RECENTLY_UPDATED'] },
        { phone: '+14155550112', prioritization: ['IDENTIFIED'] },
      ],
    });
    expect(ok.body.data!.deleteUsers.map((r) => r.ok)).toEqual([true, true]);
    const bodies = stack.sim.requests
      .slice(before)
      .filter((r) => r.path === '/users/delete')
      .map((r) => r.body);
    expect(bodies).toContainEqual({
      email_addresses: [
        { email: 'c110@example.com', prioritization: ['identified', 'most_recently_updated'] },
      ],
    });
    expect(bodies).toContainEqual({
      phone_numbers: [{ phone: '+14155550112', prioritization: ['identified'] }],
    });
    expect(stack.sim.store.byExternalId('c-110')).toBeUndefined();
    expect(stack.sim.store.byExternalId('c-112')).toBeUndefined();
  });

  it('identifies an email-only profile, beside an alias, in one /users/identify request', async () => {
    const created = await stack.gql<{ setUserAttributes: ItemResult[] }>(
      'mutation { setUserAttributes(updates: [{ user: { email: "anon@example.com" }, attributes: { first_name: "Anon" }, updateExistingOnly: false }]) { ok error { message } } }',
    );
    expect(created.body.data!.setUserAttributes[0]!.ok).toBe(true);
    await stack.gql(
      'mutation { createUserAliases(aliases: [{ alias: { name: "anon-device", label: "device" } }]) { ok } }',
    );
    const before = stack.sim.requests.length;
    const res = await stack.gql<{ identifyUsers: ItemResult[] }>(
      `mutation { identifyUsers(identifications: [
        { externalId: "known-1", email: "anon@example.com", prioritization: [UNIDENTIFIED, MOST_RECENTLY_UPDATED] },
        { externalId: "known-2", alias: { name: "anon-device", label: "device" } },
        { externalId: "known-3", email: "x@example.com" },
        { externalId: "known-4", alias: { name: "a", label: "b" }, phone: "+1" }
      ]) { ok error { message } } }`,
    );
    const r = res.body.data!.identifyUsers;
    expect(r.slice(0, 2).map((x) => x.ok)).toEqual([true, true]);
    expect(r[2]!.error!.message).toContain('needs prioritization');
    expect(r[3]!.error!.message).toContain('set exactly one of alias, email or phone (got alias and phone)');
    const sent = stack.sim.requests.slice(before).filter((q) => q.path === '/users/identify');
    expect(sent.map((q) => q.body)).toEqual([
      {
        emails_to_identify: [
          {
            external_id: 'known-1',
            email: 'anon@example.com',
            prioritization: ['unidentified', 'most_recently_updated'],
          },
        ],
        aliases_to_identify: [
          { external_id: 'known-2', user_alias: { alias_name: 'anon-device', alias_label: 'device' } },
        ],
      },
    ]);
    expect(stack.sim.store.byExternalId('known-1')?.profile.first_name).toBe('Anon');
  });

  it('refuses what Braze cannot take before sending: merges by brazeId, trigger recipients by email ref', async () => {
    const before = stack.sim.requests.length;
    const merge = await stack.gql<{ mergeUsers: ItemResult[] }>(
      'mutation ($m: [MergeInput!]!) { mergeUsers(merges: $m) { ok error { code message } } }',
      { m: [{ merge: { brazeId: 'b-1' }, keep: { externalId: 'c-1' } }] },
    );
    expect(merge.body.data!.mergeUsers[0]!.error).toEqual({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining("mergeUsers (Braze's /users/merge) cannot name a user by brazeId"),
    });
    const trigger = await stack.gql<{ triggerCampaign: { recipients: ItemResult[] } }>(
      'mutation { triggerCampaign(input: { campaignId: "x", recipients: [{ user: { email: "c1@example.com" } }] }) { recipients { ok error { code message } } } }',
    );
    const error = trigger.body.data?.triggerCampaign.recipients[0]!.error ?? trigger.body.errors?.[0];
    expect(JSON.stringify(error)).toContain('cannot name a user by email');
    expect(stack.sim.requests.length).toBe(before);
  });
});

describe('the optional profile cache (USER_CACHE_TTL_SECONDS)', () => {
  it('is off by default: each operation reads Braze again', async () => {
    const before = exportBodies().length;
    for (let i = 0; i < 2; i++) await stack.gql(USER, { ref: { email: 'c20@example.com' } });
    expect(exportBodies().length - before).toBe(2);
  });

  it('shares a profile between replicas through Redis for its TTL, keyed by a hash', async () => {
    const redis = await startTestRedis();
    const env = { REDIS_URL: redis.url, BRAZE_WORKSPACE: `ws-${Date.now()}`, USER_CACHE_TTL_SECONDS: '60' };
    const one = await startStack({ env });
    const other = await startStack({ env });
    const client = new Redis(redis.url);
    try {
      await one.gql(
        'mutation { setUserAttributes(updates: [{ user: { externalId: "hot" }, attributes: { email: "hot@example.com", first_name: "Hot" } }]) { ok } }',
      );
      const first = await one.gql<{ user: unknown }>(USER, { ref: { email: 'hot@example.com' } });
      expect(first.body.data!.user).toEqual({ externalId: 'hot', firstName: 'Hot' });
      // The other replica (another simulator, even, that has no such user) answers from Redis.
      const second = await other.gql<{ user: unknown }>(USER, { ref: { email: 'hot@example.com' } });
      expect(second.body.data!.user).toEqual({ externalId: 'hot', firstName: 'Hot' });
      expect(other.sim.count('/users/export/ids')).toBe(0);
      const keys = await client.keys('*profile*');
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.some((k) => k.includes('@'))).toBe(false);
    } finally {
      client.disconnect();
      await other.close();
      await one.close();
      await redis.stop();
    }
  });
});
