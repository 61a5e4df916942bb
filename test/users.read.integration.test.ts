import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './helpers.js';

/** Reads through /users/export/ids: batching to 50, fields_to_export from the selection, nulls. */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
  // 130 known users (a-0 … a-129), created through the gateway itself.
  const updates = Array.from({ length: 130 }, (_, i) => ({
    user: { externalId: `a-${i}` },
    attributes: { first_name: `First ${i}`, email: `a${i}@example.com`, tier: i % 3 },
  }));
  const res = await stack.gql<{ setUserAttributes: Array<{ ok: boolean }> }>(
    'mutation ($u: [UserAttributesInput!]!) { setUserAttributes(updates: $u) { ok } }',
    { u: updates },
  );
  expect(res.body.data!.setUserAttributes.every((r) => r.ok)).toBe(true);
});
afterAll(async () => {
  await stack.close();
});

const exportRequests = () =>
  stack.sim.requests.filter((r) => r.path === '/users/export/ids') as Array<{
    body: { external_ids?: string[]; fields_to_export?: string[] };
  }>;

describe('users(externalIds) and user(ref)', () => {
  it('reads 120 ids in ceil(120/50) = 3 Braze requests, in order, null for the unknown', async () => {
    const before = exportRequests().length;
    const ids = Array.from({ length: 120 }, (_, i) => (i % 10 === 9 ? `nobody-${i}` : `a-${i}`));
    const res = await stack.gql<{ users: Array<{ externalId: string; firstName: string } | null> }>(
      'query ($ids: [ID!]!) { users(externalIds: $ids) { externalId firstName } }',
      { ids },
    );
    expect(res.body.errors).toBeUndefined();
    const users = res.body.data!.users;
    expect(users).toHaveLength(120);
    users.forEach((u, i) => {
      if (i % 10 === 9) expect(u).toBeNull();
      else expect(u).toEqual({ externalId: `a-${i}`, firstName: `First ${i}` });
    });
    const sent = exportRequests().slice(before);
    expect(sent.map((r) => r.body.external_ids!.length)).toEqual([50, 50, 20]);
  });

  it('shares export requests between 300 concurrent single-id reads: ≤ ceil(300/50) + 1 = 7 requests', async () => {
    // Warm keep-alive connections first, as a long-running client would have them.
    await Promise.all(Array.from({ length: 300 }, () => stack.gql('{ __typename }')));
    const before = exportRequests().length;
    const ids = Array.from({ length: 300 }, (_, i) => (i < 130 ? `a-${i}` : `nobody-${i}`));
    const answers = await Promise.all(
      ids.map((id) =>
        stack.gql<{ user: { externalId: string; firstName: string } | null }>(
          'query ($id: ID!) { user(ref: { externalId: $id }) { externalId firstName } }',
          { id },
        ),
      ),
    );
    answers.forEach((a, i) => {
      expect(a.body.errors).toBeUndefined();
      if (i < 130) expect(a.body.data!.user).toEqual({ externalId: `a-${i}`, firstName: `First ${i}` });
      else expect(a.body.data!.user).toBeNull();
    });
    const sent = exportRequests().slice(before);
    const perRequest = sent.map((r) => r.body.external_ids!.length);
    console.log(
      `300 concurrent single-id reads → ${sent.length} /users/export/ids requests (${perRequest.join(', ')} ids)`,
    );
    expect(perRequest.reduce((a, b) => a + b, 0)).toBe(300);
    expect(perRequest.every((n) => n <= 50)).toBe(true);
    expect(sent.length).toBeLessThanOrEqual(7);
  });

  it('exports only the fields the selection needs, across fragments', async () => {
    const before = exportRequests().length;
    const res = await stack.gql<{ user: { firstName: string; email: string } }>(
      `query { user(ref: { externalId: "a-1" }) { ...names ... on BrazeUser { email } } }
       fragment names on BrazeUser { firstName }`,
    );
    expect(res.body.data!.user).toEqual({ firstName: 'First 1', email: 'a1@example.com' });
    const [request] = exportRequests().slice(before);
    expect(request!.body.fields_to_export).toEqual([
      'braze_id',
      'email',
      'external_id',
      'first_name',
      'user_aliases',
    ]);
  });

  it('shares one request between user(ref) and users(...) fields of one operation, with the union of fields', async () => {
    const before = exportRequests().length;
    const res = await stack.gql<{
      one: { customAttributes: Record<string, unknown> };
      many: Array<{ email: string }>;
    }>(
      `query {
        one: user(ref: { externalId: "a-2" }) { customAttributes }
        many: users(externalIds: ["a-3", "a-4"]) { email }
      }`,
    );
    expect(res.body.data).toEqual({
      one: { customAttributes: { tier: 2 } },
      many: [{ email: 'a3@example.com' }, { email: 'a4@example.com' }],
    });
    const sent = exportRequests().slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body.external_ids).toEqual(['a-2', 'a-3', 'a-4']);
    expect(sent[0]!.body.fields_to_export).toEqual(
      expect.arrayContaining(['custom_attributes', 'email', 'external_id']),
    );
  });

  it('finds a user by brazeId (one per request) and by alias', async () => {
    const one = await stack.gql<{ user: { brazeId: string } }>(
      '{ user(ref: { externalId: "a-5" }) { brazeId } }',
    );
    const brazeId = one.body.data!.user.brazeId;
    await stack.gql(
      'mutation { setUserAttributes(updates: [{ user: { alias: { name: "dev-9", label: "device" } }, attributes: { first_name: "Anon" }, updateExistingOnly: false }]) { ok } }',
    );
    const res = await stack.gql<{
      byId: { externalId: string };
      byAlias: { firstName: string; aliases: unknown[] };
    }>(
      `query ($b: ID!) {
        byId: user(ref: { brazeId: $b }) { externalId }
        byAlias: user(ref: { alias: { name: "dev-9", label: "device" } }) { firstName aliases { name label } }
      }`,
      { b: brazeId },
    );
    expect(res.body.data).toEqual({
      byId: { externalId: 'a-5' },
      byAlias: { firstName: 'Anon', aliases: [{ name: 'dev-9', label: 'device' }] },
    });
  });

  it('refuses a ref with two identifiers', async () => {
    const res = await stack.gql('{ user(ref: { externalId: "a", brazeId: "b" }) { externalId } }');
    expect(res.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.body.errors?.[0]?.message).toContain(
      'exactly one of externalId, brazeId, alias, email or phone',
    );
  });
});
