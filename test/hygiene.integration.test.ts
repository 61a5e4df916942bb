import { describe, expect, it } from 'vitest';
import type { ListsSeed } from '../src/simulator/index.js';
import { hashGatewayKey } from '../src/security/keyStore.js';
import { useStacks, type ItemResult, type Stack } from './helpers.js';

/**
 * Email and SMS list hygiene end to end (docs/braze-facts.md §3.19): every operation through real
 * HTTP, gateway ↔ simulator, asserting the GraphQL answer and what the simulator was sent, with
 * a bad input and a Braze error for each.
 */

const startStack = useStacks();

const DAY = 86_400_000;
/** Midnight UTC today, by the same clock the gateway reads. */
const today = (): number => Math.floor(Date.now() / DAY) * DAY;
/** `YYYY-MM-DD`, `k` days from today (negative: in the past). */
const day = (k: number): string => new Date(today() + k * DAY).toISOString().slice(0, 10);
/** One hour into the day `k` days ago, as epoch ms. */
const daysAgo = (k: number, hours = 1): number => today() - k * DAY + hours * 3_600_000;

const EMPTY_LISTS: Required<ListsSeed> = { hardBounces: [], unsubscribes: [], spam: [], invalidPhones: [] };

/** A stack whose simulator starts with exactly these lists (nothing of the default seed). */
const withLists = (lists: ListsSeed, env: Record<string, string> = {}) =>
  startStack({ sim: { lists: { ...EMPTY_LISTS, ...lists } }, env });

/** The requests the simulator saw on `path`: their query parameters and bodies. */
function sent(s: Stack, path: string) {
  return s.sim.requests
    .filter((r) => r.path === path)
    .map((r) => ({ status: r.status, query: new URLSearchParams(r.queryString), body: r.body }));
}

const params = (q: URLSearchParams): Record<string, string> => Object.fromEntries(q);

interface Page<T> {
  entries: T[];
  pageInfo: { offset: number; limit: number; hasNextPage: boolean; nextOffset: number | null };
}

const PAGE_INFO = 'pageInfo { offset limit hasNextPage nextOffset }';

const HARD_BOUNCES = `query ($startDate: Date, $endDate: Date, $email: String, $first: Int, $offset: Int) {
  emailHardBounces(startDate: $startDate, endDate: $endDate, email: $email, first: $first, offset: $offset) {
    entries { email hardBouncedAt } ${PAGE_INFO}
  }
}`;

const UNSUBSCRIBES = `query ($startDate: Date, $email: String, $sortDirection: SortDirection, $first: Int) {
  emailUnsubscribes(startDate: $startDate, email: $email, sortDirection: $sortDirection, first: $first) {
    entries { email unsubscribedAt } ${PAGE_INFO}
  }
}`;

const INVALID_PHONES = `query ($startDate: Date, $endDate: Date, $phoneNumbers: [String!], $reason: InvalidPhoneReason, $first: Int, $offset: Int) {
  invalidPhoneNumbers(startDate: $startDate, endDate: $endDate, phoneNumbers: $phoneNumbers, reason: $reason, first: $first, offset: $offset) {
    entries { phone invalidDetectedAt reason } ${PAGE_INFO}
  }
}`;

const RESULT = 'ok error { code message }';
/** A failed ItemResult, as the mutations answer it. */
const failed = (code: string, message: unknown) => ({ ok: false, error: { code, message } });
const mutation = (field: string, arg: string) =>
  `mutation ($list: [String!]!) { ${field}(${arg}: $list) { ${RESULT} } }`;

type Bounce = { email: string; hardBouncedAt: string | null };
type Unsubscribe = { email: string; unsubscribedAt: string | null };
type Phone = { phone: string; invalidDetectedAt: string | null; reason: string | null };

/** The first GraphQL error's code and message. */
const firstError = (body: { errors?: Array<{ message: string; extensions?: Record<string, unknown> }> }) => ({
  code: body.errors?.[0]?.extensions?.code,
  message: body.errors?.[0]?.message,
});

describe('emailHardBounces', () => {
  it('pages a date range newest first, one request per page, with Braze limit/offset', async () => {
    // Six bounces in the last week (one today), one before it.
    const inRange = [0, 1, 2, 3, 5, 6].map((k) => ({ email: `b${k}@example.com`, at: daysAgo(k) }));
    const stack = await withLists({
      hardBounces: [...inRange, { email: 'old@example.com', at: daysAgo(30) }],
    });
    const seen: Bounce[] = [];
    const infos: Page<Bounce>['pageInfo'][] = [];
    let offset: number | null = 0;
    while (offset !== null) {
      const res: { body: { data?: { emailHardBounces: Page<Bounce> }; errors?: unknown } } = await stack.gql(
        HARD_BOUNCES,
        { startDate: day(-7), first: 4, offset },
      );
      expect(res.body.errors).toBeUndefined();
      const page: Page<Bounce> = res.body.data!.emailHardBounces;
      seen.push(...page.entries);
      infos.push(page.pageInfo);
      offset = page.pageInfo.nextOffset;
    }
    expect(seen.map((b) => b.email)).toEqual(inRange.map((b) => b.email));
    expect(seen[0]!.hardBouncedAt).toBe(new Date(daysAgo(0)).toISOString());
    expect(infos).toEqual([
      { offset: 0, limit: 4, hasNextPage: true, nextOffset: 4 },
      { offset: 4, limit: 4, hasNextPage: false, nextOffset: null },
    ]);
    // One GET per page: the range ends at tomorrow's midnight (so today counts), one entry more
    // than the page is asked for to tell whether another follows.
    expect(sent(stack, '/email/hard_bounces').map((r) => params(r.query))).toEqual([
      { start_date: day(-7), end_date: day(1), limit: '5', offset: '0' },
      { start_date: day(-7), end_date: day(1), limit: '5', offset: '4' },
    ]);
  });

  it('looks one address up without limit or offset, and asks at most Braze’s 500 a page', async () => {
    const stack = await withLists({ hardBounces: [{ email: 'gone@example.com', at: daysAgo(40) }] });
    const found = await stack.gql<{ emailHardBounces: Page<Bounce> }>(HARD_BOUNCES, {
      email: 'gone@example.com',
    });
    expect(found.body.data!.emailHardBounces).toEqual({
      entries: [{ email: 'gone@example.com', hardBouncedAt: new Date(daysAgo(40)).toISOString() }],
      pageInfo: { offset: 0, limit: 100, hasNextPage: false, nextOffset: null },
    });
    const none = await stack.gql<{ emailHardBounces: Page<Bounce> }>(HARD_BOUNCES, {
      email: 'fine@example.com',
    });
    expect(none.body.data!.emailHardBounces.entries).toEqual([]);
    const full = await stack.gql<{ emailHardBounces: Page<Bounce> }>(HARD_BOUNCES, {
      startDate: day(-60),
      endDate: day(-1),
      first: 500,
    });
    expect(full.body.data!.emailHardBounces.pageInfo.hasNextPage).toBe(false);
    expect(sent(stack, '/email/hard_bounces').map((r) => params(r.query))).toEqual([
      { end_date: day(1), email: 'gone@example.com' },
      { end_date: day(1), email: 'fine@example.com' },
      { start_date: day(-60), end_date: day(-1), limit: '500', offset: '0' },
    ]);
  });

  it('refuses bad input naming the argument, before anything is sent', async () => {
    const stack = await withLists({});
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{}, /^startDate: give a startDate/],
      [{ startDate: day(-1), first: 501 }, /^first: must be between 1 and 500/],
      [{ startDate: day(-1), first: 0 }, /^first: must be between 1 and 500/],
      [{ startDate: day(-1), offset: -1 }, /^offset: must not be negative/],
      [{ startDate: day(-1), endDate: day(-1) }, /^startDate: must be earlier than endDate/],
      [{ startDate: day(2) }, /^startDate: must be earlier than endDate \(.*tomorrow by default\)/],
      [{ email: 'not-an-email' }, /^email: "not-an-email" is not an email address\.$/],
      [{ email: 'a@example.com', startDate: day(-1) }, /^startDate: give either email or a date range/],
      [{ email: 'a@example.com', offset: 5 }, /^offset: does not apply to a lookup by email/],
    ];
    for (const [variables, message] of cases) {
      const res = await stack.gql(HARD_BOUNCES, variables);
      expect(firstError(res.body)).toEqual({
        code: 'BAD_USER_INPUT',
        message: expect.stringMatching(message),
      });
    }
    const badDate = await stack.gql(HARD_BOUNCES, { startDate: '2026-02-30' });
    expect(firstError(badDate.body).code).toBe('BAD_USER_INPUT');
    expect(stack.sim.count('/email/hard_bounces')).toBe(0);
  });

  it("reports Braze's refusal as UPSTREAM_ERROR with its message, and a missing permission by name", async () => {
    const stack = await withLists({});
    stack.sim.injectFault({
      path: '/email/hard_bounces',
      status: 400,
      body: { message: "'end_date' is required" },
    });
    const refused = await stack.gql(HARD_BOUNCES, { startDate: day(-7) });
    expect(firstError(refused.body)).toEqual({
      code: 'UPSTREAM_ERROR',
      message: "Braze rejected the request to /email/hard_bounces (400): 'end_date' is required",
    });
    stack.sim.injectFault({ path: '/email/hard_bounces', status: 403, body: { message: 'Access Denied' } });
    const denied = await stack.gql(HARD_BOUNCES, { startDate: day(-7) });
    expect(firstError(denied.body).message).toContain('lacks the permission email.hard_bounces');
  });
});

describe('emailUnsubscribes', () => {
  it("reads Braze's recorded time format, in either order", async () => {
    const stack = await withLists({
      unsubscribes: [
        { email: 'u1@example.com', at: daysAgo(3) },
        { email: 'u2@example.com', at: daysAgo(1) },
        { email: 'u0@example.com', at: daysAgo(9) },
      ],
    });
    const asc = await stack.gql<{ emailUnsubscribes: Page<Unsubscribe> }>(UNSUBSCRIBES, {
      startDate: day(-7),
      sortDirection: 'ASC',
    });
    expect(asc.body.data!.emailUnsubscribes.entries).toEqual([
      { email: 'u1@example.com', unsubscribedAt: new Date(daysAgo(3)).toISOString() },
      { email: 'u2@example.com', unsubscribedAt: new Date(daysAgo(1)).toISOString() },
    ]);
    const desc = await stack.gql<{ emailUnsubscribes: Page<Unsubscribe> }>(UNSUBSCRIBES, {
      startDate: day(-30),
      first: 2,
    });
    expect(desc.body.data!.emailUnsubscribes.entries.map((u) => u.email)).toEqual([
      'u2@example.com',
      'u1@example.com',
    ]);
    expect(desc.body.data!.emailUnsubscribes.pageInfo).toEqual({
      offset: 0,
      limit: 2,
      hasNextPage: true,
      nextOffset: 2,
    });
    const [first, second] = sent(stack, '/email/unsubscribes');
    expect(params(first!.query)).toEqual({
      start_date: day(-7),
      end_date: day(1),
      limit: '101',
      offset: '0',
      sort_direction: 'asc',
    });
    expect(params(second!.query)).toMatchObject({ sort_direction: 'desc', limit: '3' });
  });

  it('refuses a bad email before sending; a Braze failure is UPSTREAM_ERROR', async () => {
    const stack = await withLists({});
    const bad = await stack.gql(UNSUBSCRIBES, { email: 'nobody' });
    expect(firstError(bad.body)).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'email: "nobody" is not an email address.',
    });
    expect(stack.sim.count('/email/unsubscribes')).toBe(0);
    stack.sim.injectFault({ path: '/email/unsubscribes', status: 500 });
    const failed = await stack.gql(UNSUBSCRIBES, { email: 'a@example.com' });
    expect(firstError(failed.body)).toEqual({
      code: 'UPSTREAM_ERROR',
      message: 'Braze failed with 500 on /email/unsubscribes.',
    });
  });
});

describe('setEmailSubscriptionStatus', () => {
  it('sends 50 addresses a request, one state per request, with one result per address', async () => {
    const stack = await withLists({});
    // A profile with one of the addresses: its email_subscribe follows.
    await stack.gql(
      'mutation { setUserAttributes(updates: [{ user: { externalId: "p-1" }, attributes: { email: "e3@example.com" } }]) { ok } }',
    );
    const emails = Array.from({ length: 60 }, (_, i) => `e${i}@example.com`);
    emails[7] = 'not-an-email';
    const [unsub, optIn] = await Promise.all([
      stack.gql<{ setEmailSubscriptionStatus: ItemResult[] }>(
        'mutation ($e: [String!]!) { setEmailSubscriptionStatus(emails: $e, state: UNSUBSCRIBED) { ok error { code message } } }',
        { e: emails },
      ),
      stack.gql<{ setEmailSubscriptionStatus: ItemResult[] }>(
        'mutation { setEmailSubscriptionStatus(emails: ["never-seen@example.com"], state: OPTED_IN) { ok } }',
      ),
    ]);
    const results = unsub.body.data!.setEmailSubscriptionStatus;
    expect(results).toHaveLength(60);
    expect(results.filter((r) => !r.ok)).toEqual([
      failed('BAD_USER_INPUT', 'emails[7] (email not-an-email): "not-an-email" is not an email address.'),
    ]);
    // An address no profile has still succeeds (Braze keeps its state for a later profile).
    expect(optIn.body.data!.setEmailSubscriptionStatus).toEqual([{ ok: true }]);
    const bodies = sent(stack, '/email/status').map(
      (r) => r.body as { email: string[]; subscription_state: string },
    );
    expect(bodies.map((b) => [b.subscription_state, b.email.length]).sort()).toEqual([
      ['opted_in', 1],
      ['unsubscribed', 50],
      ['unsubscribed', 9],
    ]);
    expect(bodies.flatMap((b) => b.email)).not.toContain('not-an-email');
    // Braze's effects, read back through the gateway.
    const list = await stack.gql<{ emailUnsubscribes: Page<Unsubscribe> }>(UNSUBSCRIBES, {
      email: 'e42@example.com',
    });
    expect(list.body.data!.emailUnsubscribes.entries.map((u) => u.email)).toEqual(['e42@example.com']);
    const profile = await stack.gql<{ user: { emailSubscribe: string } }>(
      'query { user(ref: { externalId: "p-1" }) { emailSubscribe } }',
    );
    expect(profile.body.data!.user.emailSubscribe).toBe('unsubscribed');
  });

  it('isolates an address Braze refuses: only that one fails', async () => {
    const stack = await withLists({});
    // Accepted by the gateway's loose check, refused by Braze (here: no dot in the domain).
    const res = await stack.gql<{ setEmailSubscriptionStatus: ItemResult[] }>(
      'mutation ($e: [String!]!) { setEmailSubscriptionStatus(emails: $e, state: SUBSCRIBED) { ok error { code message } } }',
      { e: ['a@example.com', 'b@localhost', 'c@example.com', 'd@example.com'] },
    );
    expect(res.body.data!.setEmailSubscriptionStatus).toEqual([
      { ok: true, error: null },
      failed(
        'BAD_USER_INPUT',
        "emails[1] (email b@localhost): Braze rejected this item: 'email' contains an invalid email address: b@localhost",
      ),
      { ok: true, error: null },
      { ok: true, error: null },
    ]);
    const statuses = sent(stack, '/email/status').map((r) => [
      r.status,
      (r.body as { email: string[] }).email,
    ]);
    expect(statuses[0]).toEqual([400, ['a@example.com', 'b@localhost', 'c@example.com', 'd@example.com']]);
    expect(
      statuses
        .filter(([s]) => s === 201)
        .flatMap(([, e]) => e as string[])
        .sort(),
    ).toEqual(['a@example.com', 'c@example.com', 'd@example.com']);
  });
});

describe('removeEmailBounces', () => {
  it('removes addresses from the hard bounce list, which then no longer shows them', async () => {
    const stack = await withLists({
      hardBounces: ['x', 'y', 'z'].map((n, i) => ({ email: `${n}@example.com`, at: daysAgo(i + 1) })),
    });
    const res = await stack.gql<{ removeEmailBounces: ItemResult[] }>(
      mutation('removeEmailBounces', 'emails'),
      {
        list: ['x@example.com', 'z@example.com', 'unknown@example.com'],
      },
    );
    expect(res.body.data!.removeEmailBounces).toEqual([
      { ok: true, error: null },
      { ok: true, error: null },
      { ok: true, error: null },
    ]);
    expect(sent(stack, '/email/bounce/remove').map((r) => r.body)).toEqual([
      { email: ['x@example.com', 'z@example.com', 'unknown@example.com'] },
    ]);
    const after = await stack.gql<{ emailHardBounces: Page<Bounce> }>(HARD_BOUNCES, { startDate: day(-7) });
    expect(after.body.data!.emailHardBounces.entries.map((b) => b.email)).toEqual(['y@example.com']);
  });

  it('refuses a bad address alone; a 401 from Braze fails every address of the request', async () => {
    const stack = await withLists({});
    const bad = await stack.gql<{ removeEmailBounces: ItemResult[] }>(
      mutation('removeEmailBounces', 'emails'),
      {
        list: ['ok@example.com', ' '],
      },
    );
    expect(bad.body.data!.removeEmailBounces[1]).toEqual(
      failed('BAD_USER_INPUT', 'emails[1] (email  ): " " is not an email address.'),
    );
    expect(sent(stack, '/email/bounce/remove').map((r) => r.body)).toEqual([{ email: ['ok@example.com'] }]);
    stack.sim.injectFault({
      path: '/email/bounce/remove',
      status: 401,
      body: { message: 'Invalid API key' },
    });
    const denied = await stack.gql<{ removeEmailBounces: ItemResult[] }>(
      mutation('removeEmailBounces', 'emails'),
      {
        list: ['a@example.com', 'b@example.com'],
      },
    );
    expect(denied.body.data!.removeEmailBounces.map((r) => r.error?.code)).toEqual([
      'UPSTREAM_ERROR',
      'UPSTREAM_ERROR',
    ]);
    expect(denied.body.data!.removeEmailBounces[0]!.error!.message).toMatch(
      /rejected the gateway's API key \(401\)/,
    );
  });
});

describe('removeEmailSpam', () => {
  it('takes addresses off the spam list, 50 to a request', async () => {
    const spam = Array.from({ length: 55 }, (_, i) => ({ email: `s${i}@example.com`, at: daysAgo(2) }));
    const stack = await withLists({ spam });
    const res = await stack.gql<{ removeEmailSpam: ItemResult[] }>(mutation('removeEmailSpam', 'emails'), {
      list: spam.map((s) => s.email),
    });
    expect(res.body.data!.removeEmailSpam.every((r) => r.ok)).toBe(true);
    expect(
      sent(stack, '/email/spam/remove').map((r) => (r.body as { email: string[] }).email.length),
    ).toEqual([50, 5]);
    expect(stack.sim.store.lists.spam.size).toBe(0);
  });

  it('refuses a list over GRAPHQL_MAX_LIST_ITEMS whole; a Braze 500 fails its items', async () => {
    const stack = await withLists({}, { GRAPHQL_MAX_LIST_ITEMS: '3' });
    const long = await stack.gql(mutation('removeEmailSpam', 'emails'), {
      list: ['a@x.io', 'b@x.io', 'c@x.io', 'd@x.io'],
    });
    expect(firstError(long.body).code).toBe('BAD_USER_INPUT');
    expect(stack.sim.count('/email/spam/remove')).toBe(0);
    stack.sim.injectFault({ path: '/email/spam/remove', status: 500 });
    const broken = await stack.gql<{ removeEmailSpam: ItemResult[] }>(mutation('removeEmailSpam', 'emails'), {
      list: ['a@x.io'],
    });
    expect(broken.body.data!.removeEmailSpam).toEqual([
      failed('UPSTREAM_ERROR', 'emails[0] (email a@x.io): Braze failed with 500 on /email/spam/remove.'),
    ]);
  });
});

describe('blocklistEmails', () => {
  it('calls /email/blocklist (never the deprecated /email/blacklist); the addresses show as bounced and unsubscribed', async () => {
    const stack = await withLists({});
    const res = await stack.gql<{ blocklistEmails: ItemResult[] }>(mutation('blocklistEmails', 'emails'), {
      list: ['spammer@example.com', 'troll@example.com'],
    });
    expect(res.body.data!.blocklistEmails).toEqual([
      { ok: true, error: null },
      { ok: true, error: null },
    ]);
    expect(sent(stack, '/email/blocklist').map((r) => r.body)).toEqual([
      { email: ['spammer@example.com', 'troll@example.com'] },
    ]);
    expect(stack.sim.count('/email/blacklist')).toBe(0);
    const bounces = await stack.gql<{ emailHardBounces: Page<Bounce> }>(HARD_BOUNCES, { startDate: day(0) });
    expect(bounces.body.data!.emailHardBounces.entries.map((b) => b.email).sort()).toEqual([
      'spammer@example.com',
      'troll@example.com',
    ]);
    const unsubscribed = await stack.gql<{ emailUnsubscribes: Page<Unsubscribe> }>(UNSUBSCRIBES, {
      email: 'troll@example.com',
    });
    expect(unsubscribed.body.data!.emailUnsubscribes.entries).toHaveLength(1);
  });

  it('lets concurrent operations share requests, 50 addresses to a request', async () => {
    // A window wide enough that 60 concurrent operations land in it even on a busy machine.
    const stack = await withLists({}, { BATCH_WINDOW_MS: '1000', BATCH_IDLE_MS: '1000' });
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        stack.gql<{ blocklistEmails: ItemResult[] }>(mutation('blocklistEmails', 'emails'), {
          list: [`c${i}@example.com`],
        }),
      ),
    );
    expect(results.every((r) => r.body.data!.blocklistEmails[0]!.ok)).toBe(true);
    const sizes = sent(stack, '/email/blocklist').map((r) => (r.body as { email: string[] }).email.length);
    expect(sizes).toEqual([50, 10]);
  });

  it('refuses a bad address; a 403 names the key permission Braze wants (email.blacklist)', async () => {
    const stack = await withLists({});
    const bad = await stack.gql<{ blocklistEmails: ItemResult[] }>(mutation('blocklistEmails', 'emails'), {
      list: ['no at sign'],
    });
    expect(bad.body.data!.blocklistEmails[0]!.error).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'emails[0] (email no at sign): "no at sign" is not an email address.',
    });
    stack.sim.injectFault({ path: '/email/blocklist', status: 403, body: { message: 'Access Denied' } });
    const denied = await stack.gql<{ blocklistEmails: ItemResult[] }>(mutation('blocklistEmails', 'emails'), {
      list: ['x@example.com'],
    });
    expect(denied.body.data!.blocklistEmails[0]!.error).toEqual({
      code: 'UPSTREAM_ERROR',
      message:
        "emails[0] (email x@example.com): The gateway's Braze API key lacks the permission email.blacklist (403).",
    });
  });
});

describe('invalidPhoneNumbers', () => {
  const phones: NonNullable<ListsSeed['invalidPhones']> = [
    { phone: '+14155550100', at: daysAgo(1), reason: 'provider_error' },
    { phone: '+14155550101', at: daysAgo(2), reason: 'deactivated' },
    { phone: '+14155550102', at: daysAgo(3), reason: 'provider_error' },
    { phone: '+14155550103', at: daysAgo(20), reason: 'deactivated' },
  ];

  it('filters by range and reason, or looks numbers up, newest first', async () => {
    const stack = await withLists({ invalidPhones: phones });
    const recent = await stack.gql<{ invalidPhoneNumbers: Page<Phone> }>(INVALID_PHONES, {
      startDate: day(-7),
      reason: 'PROVIDER_ERROR',
    });
    expect(recent.body.data!.invalidPhoneNumbers.entries).toEqual([
      {
        phone: '+14155550100',
        invalidDetectedAt: new Date(daysAgo(1)).toISOString(),
        reason: 'PROVIDER_ERROR',
      },
      {
        phone: '+14155550102',
        invalidDetectedAt: new Date(daysAgo(3)).toISOString(),
        reason: 'PROVIDER_ERROR',
      },
    ]);
    const looked = await stack.gql<{ invalidPhoneNumbers: Page<Phone> }>(INVALID_PHONES, {
      phoneNumbers: ['+14155550103', '+14155550999'],
    });
    expect(looked.body.data!.invalidPhoneNumbers.entries.map((p) => [p.phone, p.reason])).toEqual([
      ['+14155550103', 'DEACTIVATED'],
    ]);
    const [range, lookup] = sent(stack, '/sms/invalid_phone_numbers').map((r) => r.query);
    expect(params(range!)).toEqual({
      start_date: day(-7),
      end_date: day(1),
      reason: 'provider_error',
      limit: '101',
      offset: '0',
    });
    expect(lookup!.getAll('phone_numbers[]')).toEqual(['+14155550103', '+14155550999']);
    expect(lookup!.has('start_date')).toBe(false);
  });

  it('refuses bad numbers and mixed filters before sending; a Braze that keeps answering 429 is RATE_LIMITED', async () => {
    const stack = await withLists({ invalidPhones: phones });
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { phoneNumbers: ['+1 415 555 0100'] },
        'phoneNumbers[0]: "+1 415 555 0100" is not an E.164 phone number',
      ],
      [{ phoneNumbers: [] }, 'phoneNumbers: give 1 to 50 numbers (got 0).'],
      [
        { phoneNumbers: Array.from({ length: 51 }, (_, i) => `+1415555${1000 + i}`) },
        'phoneNumbers: give 1 to 50',
      ],
      [
        { phoneNumbers: ['+14155550100'], startDate: day(-1) },
        'phoneNumbers: give either phoneNumbers or a date range',
      ],
      [{}, 'startDate: give a startDate'],
    ];
    for (const [variables, message] of cases) {
      const res = await stack.gql(INVALID_PHONES, variables);
      expect(firstError(res.body)).toEqual({
        code: 'BAD_USER_INPUT',
        message: expect.stringContaining(message),
      });
    }
    expect(stack.sim.count('/sms/invalid_phone_numbers')).toBe(0);
    // Braze keeps answering 429: the caller is told when to come back.
    stack.sim.injectFault({
      path: '/sms/invalid_phone_numbers',
      status: 429,
      body: { message: 'Rate limit exceeded' },
      times: Infinity,
    });
    const limited = await stack.gql(INVALID_PHONES, { startDate: day(-7) });
    expect(firstError(limited.body).code).toBe('RATE_LIMITED');
    expect(limited.body.errors![0]!.extensions!.retryAfter).toBeGreaterThan(0);
    expect(stack.sim.count('/sms/invalid_phone_numbers', 429)).toBeGreaterThan(0);
  });
});

describe('removeInvalidPhoneNumbers', () => {
  it('takes numbers off the invalid list, which then no longer shows them', async () => {
    const stack = await withLists({
      invalidPhones: [
        { phone: '+14155550100', at: daysAgo(1), reason: 'deactivated' },
        { phone: '14155550101', at: daysAgo(1), reason: 'provider_error' },
      ],
    });
    const res = await stack.gql<{ removeInvalidPhoneNumbers: ItemResult[] }>(
      mutation('removeInvalidPhoneNumbers', 'phoneNumbers'),
      { list: ['+14155550100', 'not a number', '14155550101'] },
    );
    expect(res.body.data!.removeInvalidPhoneNumbers).toEqual([
      { ok: true, error: null },
      failed(
        'BAD_USER_INPUT',
        expect.stringMatching(/^phoneNumbers\[1\] \(phone not a number\): "not a number" is not an E\.164/),
      ),
      { ok: true, error: null },
    ]);
    expect(sent(stack, '/sms/invalid_phone_numbers/remove').map((r) => r.body)).toEqual([
      { phone_numbers: ['+14155550100', '14155550101'] },
    ]);
    const after = await stack.gql<{ invalidPhoneNumbers: Page<Phone> }>(INVALID_PHONES, {
      startDate: day(-7),
    });
    expect(after.body.data!.invalidPhoneNumbers.entries).toEqual([]);
  });

  it('reports a Braze 400 for a lone number as that number’s error', async () => {
    const stack = await withLists({});
    stack.sim.injectFault({
      path: '/sms/invalid_phone_numbers/remove',
      status: 400,
      body: { message: 'Invalid phone number' },
    });
    const res = await stack.gql<{ removeInvalidPhoneNumbers: ItemResult[] }>(
      mutation('removeInvalidPhoneNumbers', 'phoneNumbers'),
      { list: ['+14155550100'] },
    );
    expect(res.body.data!.removeInvalidPhoneNumbers).toEqual([
      failed(
        'BAD_USER_INPUT',
        'phoneNumbers[0] (phone +14155550100): Braze rejected this item: Invalid phone number',
      ),
    ]);
  });
});

describe('gateway keys', () => {
  it("need Braze's own permission names for these fields", async () => {
    const KEY = 'bgw_hygiene-reader-key-0001';
    const stack = await startStack({
      env: { GATEWAY_KEYS: `reader:${hashGatewayKey(KEY)}:email.hard_bounces,email.unsubscribe` },
    });
    const post = (query: string) =>
      fetch(stack.gw.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify({ query }),
      }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as { errors?: Array<{ message: string }> },
      }));
    const read = await post(`{ emailUnsubscribes(startDate: "${day(-7)}") { entries { email } } }`);
    expect(read.status).toBe(200);
    const write = await post('mutation { blocklistEmails(emails: ["a@example.com"]) { ok } }');
    expect(write.status).toBe(403);
    expect(write.body.errors![0]!.message).toBe('This gateway key lacks the permission email.blacklist.');
    expect(stack.sim.count('/email/blocklist')).toBe(0);
  });
});
