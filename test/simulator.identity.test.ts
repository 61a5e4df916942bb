import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../src/simulator/index.js';

/** The simulator's identity endpoints (docs/braze-facts.md §3.3–§3.9) over real HTTP: shapes, caps, store effects. */

const KEY = 'sim-identity-key';
const T0 = Date.UTC(2026, 2, 1, 10, 0, 30, 500);
const TIME = '2026-03-01T09:00:00Z';
const MAX_EXT = { message: 'The max number of external_ids and aliases per request was exceeded' };
const MAX_IDS = { message: 'The max number of ids per request was exceeded' };

let clock = T0;
let sim: Simulator;

beforeEach(async () => {
  clock = T0;
  sim = await startSimulator({ apiKey: KEY, now: () => clock });
});

afterEach(async () => {
  await sim.close();
});

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function post(path: string, body: unknown): Promise<Reply> {
  const res = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function track(body: Record<string, unknown>): Promise<void> {
  const r = await post('/users/track', body);
  expect(r.status).toBe(201);
}

/** Users with these external ids, each with a first name. */
async function seed(...ids: string[]): Promise<void> {
  await track({ attributes: ids.map((id) => ({ external_id: id, first_name: id.toUpperCase() })) });
}

const many = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i));
const alias = (name: string, label = 'device') => ({ alias_name: name, alias_label: label });

/** An alias-only profile, as the gateway would create it. */
async function anonymous(name: string, label = 'device'): Promise<void> {
  expect((await post('/users/alias/new', { user_aliases: [alias(name, label)] })).status).toBe(201);
}

describe('POST /users/delete', () => {
  it('deletes the named users and answers 201 with the number of ids queued', async () => {
    await seed('u-1', 'u-2', 'u-3');
    const r = await post('/users/delete', { external_ids: ['u-1', 'u-2', 'ghost'] });
    expect(r).toEqual({ status: 201, body: { deleted: 3, message: 'success' } });
    expect(sim.store.byExternalId('u-1')).toBeUndefined();
    expect(sim.store.byExternalId('u-2')).toBeUndefined();
    expect(sim.store.byExternalId('u-3')).toBeDefined();
    expect(sim.store.size).toBe(1);
    const exported = await post('/users/export/ids', { external_ids: ['u-1'] });
    expect(exported.body).toEqual({ users: [], invalid_user_ids: ['u-1'], message: 'success' });
  });

  it('deletes by braze_ids, user_aliases and emails with prioritization', async () => {
    await seed('b-1');
    const brazeId = sim.store.byExternalId('b-1')!.brazeId;
    expect((await post('/users/delete', { braze_ids: [brazeId] })).body).toEqual({
      deleted: 1,
      message: 'success',
    });
    expect(sim.store.size).toBe(0);

    await anonymous('anon-1');
    expect((await post('/users/delete', { user_aliases: [alias('anon-1')] })).status).toBe(201);
    expect(sim.store.byAlias(alias('anon-1'))).toBeUndefined();

    // Two profiles share the address: only the one prioritization selects goes.
    await track({
      attributes: [
        { external_id: 'known', email: 'shared@example.com' },
        { user_alias: alias('anon-2'), _update_existing_only: false, email: 'shared@example.com' },
      ],
    });
    const r = await post('/users/delete', {
      email_addresses: [{ email: 'shared@example.com', prioritization: ['unidentified'] }],
    });
    expect(r.status).toBe(201);
    expect(sim.store.byEmail('shared@example.com').map((u) => u.externalId)).toEqual(['known']);
  });

  it('refuses more than one identifier type per request and deletes nothing', async () => {
    await seed('u-1');
    const brazeId = sim.store.byExternalId('u-1')!.brazeId;
    const r = await post('/users/delete', { external_ids: ['u-1'], braze_ids: [brazeId] });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      message:
        "Only one of 'external_ids', 'user_aliases', 'braze_ids', 'email_addresses' or 'phone_numbers' may be provided per request",
    });
    expect(sim.store.size).toBe(1);
  });

  it('accepts 50 ids and refuses 51 with the cap message of the identifier type', async () => {
    await seed('keep');
    const ok = await post('/users/delete', { external_ids: many(50, (i) => `x-${i}`) });
    expect(ok.body).toEqual({ deleted: 50, message: 'success' });
    const over = await post('/users/delete', { external_ids: [...many(50, (i) => `x-${i}`), 'keep'] });
    expect(over).toEqual({ status: 400, body: MAX_EXT });
    expect((await post('/users/delete', { braze_ids: many(51, (i) => `b${i}`) })).body).toEqual(MAX_IDS);
    expect(sim.store.byExternalId('keep')).toBeDefined();
  });

  it.each([
    ['no identifiers', {}],
    ['a string instead of an array', { external_ids: 'u-1' }],
    ['an empty external id', { external_ids: ['u-1', ''] }],
    ['a malformed alias', { user_aliases: [{ alias_name: 'a' }] }],
    [
      'both identified and unidentified',
      { email_addresses: [{ email: 'a@b.co', prioritization: ['identified', 'unidentified'] }] },
    ],
  ])('answers 400 to %s', async (_label, body) => {
    await seed('u-1');
    const r = await post('/users/delete', body);
    expect(r.status).toBe(400);
    expect(typeof r.body.message).toBe('string');
    expect(sim.store.size).toBe(1);
  });

  it('deletes the whole profile when given a deprecated external id', async () => {
    await seed('old');
    await post('/users/external_ids/rename', {
      external_id_renames: [{ current_external_id: 'old', new_external_id: 'new' }],
    });
    expect((await post('/users/delete', { external_ids: ['old'] })).status).toBe(201);
    expect(sim.store.byExternalId('new')).toBeUndefined();
    expect(sim.store.size).toBe(0);
  });
});

describe('POST /users/alias/new', () => {
  it('adds aliases to known users, creates alias-only users, and skips unknown external ids', async () => {
    await seed('u-1');
    const r = await post('/users/alias/new', {
      user_aliases: [
        { external_id: 'u-1', ...alias('dev-1') },
        alias('anon-1'),
        { external_id: 'ghost', ...alias('dev-ghost') },
      ],
    });
    expect(r).toEqual({ status: 201, body: { aliases_processed: 3, message: 'success' } });
    expect(sim.store.byAlias(alias('dev-1'))?.externalId).toBe('u-1');
    const anon = sim.store.byAlias(alias('anon-1'));
    expect(anon).toBeDefined();
    expect(anon?.externalId).toBeUndefined();
    expect(sim.store.byAlias(alias('dev-ghost'))).toBeUndefined();
    expect(sim.store.byExternalId('ghost')).toBeUndefined();
    expect(sim.store.size).toBe(2);
    const exported = await post('/users/export/ids', {
      external_ids: ['u-1'],
      fields_to_export: ['user_aliases'],
    });
    expect(exported.body.users).toEqual([{ user_aliases: [alias('dev-1')] }]);
  });

  it('never moves an alias in use nor replaces an alias with the same label', async () => {
    await seed('u-1', 'u-2');
    await post('/users/alias/new', { user_aliases: [{ external_id: 'u-1', ...alias('dev-1') }] });
    const r = await post('/users/alias/new', {
      user_aliases: [
        { external_id: 'u-2', ...alias('dev-1') },
        { external_id: 'u-1', ...alias('dev-2') },
        alias('dev-1'),
      ],
    });
    expect(r.status).toBe(201);
    expect(sim.store.byAlias(alias('dev-1'))?.externalId).toBe('u-1');
    expect(sim.store.byExternalId('u-1')?.aliases).toEqual([alias('dev-1')]);
    expect(sim.store.byAlias(alias('dev-2'))).toBeUndefined();
    expect(sim.store.size).toBe(2);
  });

  it('accepts 50 aliases and refuses 51', async () => {
    expect((await post('/users/alias/new', { user_aliases: many(50, (i) => alias(`a${i}`)) })).body).toEqual({
      aliases_processed: 50,
      message: 'success',
    });
    const over = await post('/users/alias/new', { user_aliases: many(51, (i) => alias(`b${i}`)) });
    expect(over).toEqual({ status: 400, body: MAX_EXT });
    expect(sim.store.size).toBe(50);
  });

  it.each([
    ['a missing user_aliases', {}],
    ['an alias without a label', { user_aliases: [{ alias_name: 'x' }] }],
    ['the nested user_alias form', { user_aliases: [{ user_alias: alias('x') }] }],
    ['an alias name over 236 bytes', { user_aliases: [alias('é'.repeat(119))] }],
    ['a non-string external_id', { user_aliases: [{ external_id: 5, ...alias('x') }] }],
  ])('answers 400 to %s and creates nothing', async (_label, body) => {
    const r = await post('/users/alias/new', body);
    expect(r.status).toBe(400);
    expect(typeof r.body.message).toBe('string');
    expect(sim.store.size).toBe(0);
  });
});

describe('POST /users/alias/update', () => {
  it('renames an alias under its label', async () => {
    await anonymous('old-name');
    const before = sim.store.byAlias(alias('old-name'));
    const r = await post('/users/alias/update', {
      alias_updates: [
        { alias_label: 'device', old_alias_name: 'old-name', new_alias_name: 'new-name' },
        { alias_label: 'device', old_alias_name: 'nobody', new_alias_name: 'whatever' },
      ],
    });
    expect(r).toEqual({ status: 201, body: { message: 'success' } });
    expect(sim.store.byAlias(alias('old-name'))).toBeUndefined();
    expect(sim.store.byAlias(alias('new-name'))).toBe(before);
    expect(before?.aliases).toEqual([alias('new-name')]);
    expect(sim.store.byAlias(alias('whatever'))).toBeUndefined();
  });

  it('leaves both aliases alone when the new name is taken', async () => {
    await anonymous('a');
    await anonymous('b');
    await post('/users/alias/update', {
      alias_updates: [{ alias_label: 'device', old_alias_name: 'a', new_alias_name: 'b' }],
    });
    expect(sim.store.byAlias(alias('a'))).toBeDefined();
    expect(sim.store.byAlias(alias('b'))).not.toBe(sim.store.byAlias(alias('a')));
  });

  it('refuses 51 updates and malformed ones', async () => {
    const update = (i: number) => ({ alias_label: 'l', old_alias_name: `o${i}`, new_alias_name: `n${i}` });
    expect((await post('/users/alias/update', { alias_updates: many(50, update) })).status).toBe(201);
    expect(await post('/users/alias/update', { alias_updates: many(51, update) })).toEqual({
      status: 400,
      body: MAX_EXT,
    });
    expect(
      (await post('/users/alias/update', { alias_updates: [{ alias_label: 'l', old_alias_name: 'o' }] }))
        .status,
    ).toBe(400);
    expect((await post('/users/alias/update', { alias_updates: 'nope' })).status).toBe(400);
  });
});

describe('POST /users/identify', () => {
  it('merges the alias-only profile into the external id user and removes it', async () => {
    await seed('keep-1');
    await track({
      attributes: [
        { external_id: 'keep-1', plan: 'pro' },
        {
          user_alias: alias('anon-0'),
          _update_existing_only: false,
          plan: 'free',
          source: 'ad',
          email: 'a@example.com',
        },
      ],
      events: [
        { external_id: 'keep-1', name: 'login', time: TIME },
        { user_alias: alias('anon-0'), name: 'login', time: '2026-03-01T08:00:00Z' },
        { user_alias: alias('anon-0'), name: 'browse', time: TIME },
      ],
    });
    const anon = sim.store.byAlias(alias('anon-0'))!;
    expect(sim.store.size).toBe(2);

    const r = await post('/users/identify', {
      aliases_to_identify: [{ external_id: 'keep-1', user_alias: alias('anon-0') }],
    });
    expect(r).toEqual({ status: 201, body: { aliases_processed: 1, message: 'success' } });
    expect(sim.store.size).toBe(1);
    expect(sim.store.byBraze(anon.brazeId)).toBeUndefined();
    const kept = sim.store.byExternalId('keep-1')!;
    expect(sim.store.byAlias(alias('anon-0'))).toBe(kept);
    expect(kept.aliases).toEqual([alias('anon-0')]);
    // Existing values win; missing ones come over; events add up.
    expect(kept.customAttributes).toEqual({ plan: 'pro', source: 'ad' });
    expect(kept.profile).toMatchObject({ first_name: 'KEEP-1', email: 'a@example.com' });
    expect(sim.store.byEmail('a@example.com')).toEqual([kept]);
    expect(kept.events.get('login')).toMatchObject({ count: 2, first: Date.parse('2026-03-01T08:00:00Z') });
    expect(kept.events.get('browse')?.count).toBe(1);
  });

  it('turns the alias-only profile into the user when the external id is new', async () => {
    await anonymous('anon-1');
    const anon = sim.store.byAlias(alias('anon-1'))!;
    await post('/users/identify', {
      aliases_to_identify: [{ external_id: 'fresh', user_alias: alias('anon-1') }],
    });
    expect(sim.store.byExternalId('fresh')).toBe(anon);
    expect(anon.externalId).toBe('fresh');
    expect(sim.store.size).toBe(1);
  });

  it('does not combine when the user already has an alias with the same label', async () => {
    await seed('keep-1');
    await post('/users/alias/new', { user_aliases: [{ external_id: 'keep-1', ...alias('dev-a') }] });
    await anonymous('dev-b');
    const r = await post('/users/identify', {
      aliases_to_identify: [{ external_id: 'keep-1', user_alias: alias('dev-b') }],
    });
    expect(r.status).toBe(201);
    expect(sim.store.size).toBe(2);
    expect(sim.store.byAlias(alias('dev-b'))?.externalId).toBeUndefined();
  });

  it('identifies an email-only profile through emails_to_identify', async () => {
    await seed('keep-1');
    await track({ attributes: [{ email: 'lead@example.com', lead_score: 7 }] });
    expect(sim.store.size).toBe(2);
    const r = await post('/users/identify', {
      emails_to_identify: [
        {
          external_id: 'keep-1',
          email: 'lead@example.com',
          prioritization: ['unidentified', 'most_recently_updated'],
        },
      ],
    });
    expect(r.status).toBe(201);
    expect(sim.store.size).toBe(1);
    expect(sim.store.byExternalId('keep-1')?.customAttributes).toEqual({ lead_score: 7 });
  });

  it('refuses 51 aliases, a body with nothing to identify, and malformed items', async () => {
    const item = (i: number) => ({ external_id: `e${i}`, user_alias: alias(`a${i}`) });
    expect((await post('/users/identify', { aliases_to_identify: many(50, item) })).body).toEqual({
      aliases_processed: 50,
      message: 'success',
    });
    expect(await post('/users/identify', { aliases_to_identify: many(51, item) })).toEqual({
      status: 400,
      body: MAX_EXT,
    });
    expect((await post('/users/identify', {})).body).toEqual({
      message:
        "One of 'aliases_to_identify', 'emails_to_identify' or 'phone_numbers_to_identify' is required",
    });
    expect((await post('/users/identify', { aliases_to_identify: [{ external_id: 'e' }] })).status).toBe(400);
    expect(
      (await post('/users/identify', { emails_to_identify: [{ external_id: 'e', email: 'a@b.co' }] })).status,
    ).toBe(400);
  });
});

describe('POST /users/merge', () => {
  it('folds the merged user into the kept one and deletes it; answers 202', async () => {
    await track({
      attributes: [
        { external_id: 'keep', first_name: 'Keep', tier: 'gold' },
        { external_id: 'gone', first_name: 'Gone', last_name: 'Merged', tier: 'silver', referrer: 'x' },
      ],
      events: [
        { external_id: 'keep', name: 'login', time: TIME },
        { external_id: 'gone', name: 'login', time: TIME },
      ],
      purchases: [{ external_id: 'gone', product_id: 'p', currency: 'EUR', price: 5, time: TIME }],
    });
    const r = await post('/users/merge', {
      merge_updates: [
        { identifier_to_merge: { external_id: 'gone' }, identifier_to_keep: { external_id: 'keep' } },
      ],
    });
    expect(r).toEqual({ status: 202, body: { message: 'success' } });
    expect(sim.store.byExternalId('gone')).toBeUndefined();
    expect(sim.store.size).toBe(1);
    const kept = sim.store.byExternalId('keep')!;
    expect(kept.profile).toMatchObject({ first_name: 'Keep', last_name: 'Merged' });
    expect(kept.customAttributes).toEqual({ tier: 'gold', referrer: 'x' });
    expect(kept.events.get('login')?.count).toBe(2);
    expect(kept.purchases.get('p')?.count).toBe(1);
    expect(kept.totalRevenue).toBe(5);
  });

  it('merges alias identifiers and skips updates that name nobody, still 202', async () => {
    await seed('keep');
    await anonymous('anon');
    const r = await post('/users/merge', {
      merge_updates: [
        { identifier_to_merge: { user_alias: alias('anon') }, identifier_to_keep: { external_id: 'keep' } },
        { identifier_to_merge: { external_id: 'ghost' }, identifier_to_keep: { external_id: 'keep' } },
        { identifier_to_merge: { external_id: 'keep' }, identifier_to_keep: { external_id: 'keep' } },
      ],
    });
    expect(r.status).toBe(202);
    expect(sim.store.size).toBe(1);
    expect(sim.store.byAlias(alias('anon'))?.externalId).toBe('keep');
  });

  it("answers Braze's 400 messages", async () => {
    const pair = { identifier_to_merge: { external_id: 'a' }, identifier_to_keep: { external_id: 'b' } };
    expect((await post('/users/merge', { merge_updates: many(50, () => pair) })).status).toBe(202);
    expect(await post('/users/merge', { merge_updates: many(51, () => pair) })).toEqual({
      status: 400,
      body: { message: 'a single request may not contain more than 50 merge updates' },
    });
    expect((await post('/users/merge', { merge_updates: 'x' })).body).toEqual({
      message: "'merge_updates' must be an array of objects",
    });
    expect((await post('/users/merge', { merge_updates: [{ ...pair, extra: 1 }] })).body).toEqual({
      message: "'merge_updates' must only have 'identifier_to_merge' and 'identifier_to_keep'",
    });
    expect(
      (await post('/users/merge', { merge_updates: [{ ...pair, identifier_to_merge: { braze_id: 'b' } }] }))
        .body,
    ).toEqual({
      message:
        "identifiers must be objects with an 'external_id' property that is a string, 'user_alias' property that is an object, 'email' property that is a string, or 'phone' property that is a string",
    });
  });
});

describe('POST /users/external_ids/rename and /remove', () => {
  it('renames per item, reports the rest as [index, message], and keeps the old id as deprecated', async () => {
    await seed('old-1', 'old-2', 'taken');
    const user = sim.store.byExternalId('old-1')!;
    const r = await post('/users/external_ids/rename', {
      external_id_renames: [
        { current_external_id: 'old-1', new_external_id: 'new-1' },
        { current_external_id: 'old-2', new_external_id: 'taken' },
        { current_external_id: 'ghost', new_external_id: 'new-3' },
        { current_external_id: 'same', new_external_id: 'same' },
        { current_external_id: 'old-1', new_external_id: 'new-5' },
        { current_external_id: 'old-2', new_external_id: 'old-1' },
      ],
    });
    expect(r).toEqual({
      status: 201,
      body: {
        message: 'success',
        external_ids: [{ current_external_id: 'old-1', new_external_id: 'new-1' }],
        rename_errors: [
          [1, "'new_external_id' is already in use"],
          [2, "'current_external_id' does not exist"],
          [3, "'current_external_id' and 'new_external_id' must differ"],
          [4, "'current_external_id' must be a primary external ID, not a deprecated one"],
          [5, "'new_external_id' is already in use"],
        ],
      },
    });
    expect(user.externalId).toBe('new-1');
    expect(sim.store.byExternalId('new-1')).toBe(user);
    expect(sim.store.byExternalId('old-1')).toBe(user);
    expect(sim.store.externalIdStatus('old-1')).toBe('deprecated');
    // Tracking and exporting by the deprecated id reach the same user.
    await track({ attributes: [{ external_id: 'old-1', city_visits: 1 }] });
    expect(sim.store.size).toBe(3);
    const exported = await post('/users/export/ids', {
      external_ids: ['old-1'],
      fields_to_export: ['external_id'],
    });
    expect(exported.body.users).toEqual([{ external_id: 'new-1' }]);
  });

  it('removes deprecated ids only, reporting primary and unknown ones per item', async () => {
    await seed('old-1');
    await post('/users/external_ids/rename', {
      external_id_renames: [{ current_external_id: 'old-1', new_external_id: 'new-1' }],
    });
    const r = await post('/users/external_ids/remove', { external_ids: ['old-1', 'new-1', 'ghost'] });
    expect(r).toEqual({
      status: 201,
      body: {
        removed_ids: ['old-1'],
        removal_errors: [
          [1, 'Primary external IDs cannot be removed, only deprecated ones'],
          [2, 'No user has this deprecated external ID'],
        ],
        message: 'success',
      },
    });
    expect(sim.store.byExternalId('old-1')).toBeUndefined();
    expect(sim.store.byExternalId('new-1')?.deprecatedExternalIds).toEqual([]);
    // The removed id is free again.
    await track({ attributes: [{ external_id: 'old-1', first_name: 'Someone else' }] });
    expect(sim.store.size).toBe(2);
  });

  it('refuses empty, over-50 and malformed requests', async () => {
    const rename = (i: number) => ({ current_external_id: `c${i}`, new_external_id: `n${i}` });
    expect((await post('/users/external_ids/rename', { external_id_renames: many(50, rename) })).status).toBe(
      201,
    );
    expect(await post('/users/external_ids/rename', { external_id_renames: many(51, rename) })).toEqual({
      status: 400,
      body: MAX_IDS,
    });
    expect((await post('/users/external_ids/rename', { external_id_renames: [] })).status).toBe(400);
    expect(
      (await post('/users/external_ids/rename', { external_id_renames: [{ current_external_id: 'a' }] }))
        .status,
    ).toBe(400);
    expect(
      (await post('/users/external_ids/remove', { external_ids: many(50, (i) => `r${i}`) })).status,
    ).toBe(201);
    expect(await post('/users/external_ids/remove', { external_ids: many(51, (i) => `r${i}`) })).toEqual({
      status: 400,
      body: MAX_IDS,
    });
    expect((await post('/users/external_ids/remove', { external_ids: [] })).status).toBe(400);
    expect((await post('/users/external_ids/remove', { external_ids: [1] })).status).toBe(400);
  });

  it('counts rename and remove in their own rate groups, and identity calls in users.identity', async () => {
    await post('/users/external_ids/rename', {
      external_id_renames: [{ current_external_id: 'a', new_external_id: 'b' }],
    });
    await post('/users/external_ids/remove', { external_ids: ['x'] });
    await post('/users/delete', { external_ids: ['x'] });
    expect(sim.requests.map((r) => r.group)).toEqual([
      'users.external_ids.rename',
      'users.external_ids.remove',
      'users.identity',
    ]);
  });
});
