import { describe, expect, it } from 'vitest';
import { useStacks, type ItemResult, type Stack } from './helpers.js';

/** Identity mutations end to end: ≤ 50 per request, per-item results, Braze's effects visible on read. */

const startStack = useStacks();

async function seed(s: Stack, ids: string[]): Promise<void> {
  const res = await s.gql<{ setUserAttributes: ItemResult[] }>(
    'mutation ($u: [UserAttributesInput!]!) { setUserAttributes(updates: $u) { ok } }',
    { u: ids.map((id) => ({ user: { externalId: id }, attributes: { first_name: id } })) },
  );
  expect(res.body.data!.setUserAttributes.every((r) => r.ok)).toBe(true);
}

const bodiesOf = (s: Stack, path: string) =>
  s.sim.requests.filter((r) => r.path === path).map((r) => r.body as Record<string, unknown[]>);

describe('deleteUsers', () => {
  it('deletes 120 users in ceil(120/50) = 3 requests, one identifier type per request', async () => {
    const stack = await startStack();
    const ids = Array.from({ length: 110 }, (_, i) => `d-${i}`);
    await seed(stack, ids);
    const known = await stack.gql<{ users: Array<{ brazeId: string }> }>(
      'query ($ids: [ID!]!) { users(externalIds: $ids) { brazeId } }',
      { ids: ids.slice(100) },
    );
    const brazeIds = known.body.data!.users.map((u) => u.brazeId);
    // 100 by external id and 10 by braze id, interleaved, plus 10 unknown aliases.
    const refs = [
      ...ids.slice(0, 100).map((externalId) => ({ externalId })),
      ...brazeIds.map((brazeId) => ({ brazeId })),
      ...Array.from({ length: 10 }, (_, i) => ({ alias: { name: `x-${i}`, label: 'l' } })),
    ].sort(() => 0.5 - Math.random());
    const res = await stack.gql<{ deleteUsers: ItemResult[] }>(
      'mutation ($u: [UserRef!]!) { deleteUsers(users: $u) { ok error { code message } } }',
      { u: refs },
    );
    expect(res.body.data!.deleteUsers).toHaveLength(120);
    expect(res.body.data!.deleteUsers.every((r) => r.ok)).toBe(true);
    const bodies = bodiesOf(stack, '/users/delete');
    expect(bodies.map((b) => Object.keys(b).join()).sort()).toEqual([
      'braze_ids',
      'external_ids',
      'external_ids',
      'user_aliases',
    ]);
    expect(bodies.map((b) => Object.values(b)[0]!.length).sort((a, b) => a - b)).toEqual([10, 10, 50, 50]);
    const after = await stack.gql<{ users: unknown[] }>(
      'query ($ids: [ID!]!) { users(externalIds: $ids) { externalId } }',
      {
        ids: [ids[0], ids[105]],
      },
    );
    expect(after.body.data!.users).toEqual([null, null]);
  });

  it('batches deletes from concurrent operations into shared requests', async () => {
    // A window wide enough that 60 concurrent operations land in it even on a busy machine.
    const stack = await startStack({ env: { BATCH_WINDOW_MS: '1000', BATCH_IDLE_MS: '1000' } });
    const s = stack;
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        s.gql<{ deleteUsers: ItemResult[] }>('mutation ($u: [UserRef!]!) { deleteUsers(users: $u) { ok } }', {
          u: [{ externalId: `c-${i}` }],
        }),
      ),
    );
    expect(results.every((r) => r.body.data!.deleteUsers[0]!.ok)).toBe(true);
    expect(s.sim.count('/users/delete')).toBe(2);
  });
});

describe('aliases, identify, merge', () => {
  it('creates aliases, identifies them, and merges users, 50 to a request, with per-item validation', async () => {
    const stack = await startStack();
    await seed(stack, ['keep-1', 'merge-1']);
    const aliases = Array.from({ length: 55 }, (_, i) => ({ alias: { name: `anon-${i}`, label: 'device' } }));
    aliases[3] = { alias: { name: '', label: 'device' } };
    const created = await stack.gql<{ createUserAliases: ItemResult[] }>(
      'mutation ($a: [NewAliasInput!]!) { createUserAliases(aliases: $a) { ok error { code message } } }',
      { a: aliases },
    );
    const r = created.body.data!.createUserAliases;
    expect(r.filter((x) => !x.ok).map((x) => x.error!.message)).toEqual([
      'aliases[3] (alias device:).alias: alias name must not be empty.',
    ]);
    expect(bodiesOf(stack, '/users/alias/new').map((b) => b.user_aliases!.length)).toEqual([50, 4]);

    const identified = await stack.gql<{ identifyUsers: ItemResult[] }>(
      'mutation { identifyUsers(identifications: [{ externalId: "keep-1", alias: { name: "anon-0", label: "device" } }]) { ok } }',
    );
    expect(identified.body.data!.identifyUsers).toEqual([{ ok: true }]);
    const user = await stack.gql<{ user: { aliases: Array<{ name: string }> } | null }>(
      '{ user(ref: { externalId: "keep-1" }) { aliases { name label } } }',
    );
    expect(user.body.data!.user!.aliases).toEqual([{ name: 'anon-0', label: 'device' }]);

    const merged = await stack.gql<{ mergeUsers: ItemResult[] }>(
      `mutation { mergeUsers(merges: [
        { merge: { externalId: "merge-1" }, keep: { externalId: "keep-1" } },
        { merge: { brazeId: "b" }, keep: { externalId: "keep-1" } },
        { merge: { externalId: "keep-1" }, keep: { externalId: "keep-1" } }
      ]) { ok error { message } } }`,
    );
    expect(merged.body.data!.mergeUsers.map((m) => m.ok)).toEqual([true, false, false]);
    expect(bodiesOf(stack, '/users/merge')).toEqual([
      {
        merge_updates: [
          { identifier_to_merge: { external_id: 'merge-1' }, identifier_to_keep: { external_id: 'keep-1' } },
        ],
      },
    ]);
  });
});

describe('external id migration', () => {
  it("renames and removes external ids, mapping Braze's per-item errors back", async () => {
    const stack = await startStack();
    await seed(stack, ['old-1', 'old-2', 'taken']);
    const renamed = await stack.gql<{ renameExternalIds: ItemResult[] }>(
      `mutation { renameExternalIds(renames: [
        { currentExternalId: "old-1", newExternalId: "new-1" },
        { currentExternalId: "old-2", newExternalId: "taken" },
        { currentExternalId: "ghost", newExternalId: "new-3" },
        { currentExternalId: "same", newExternalId: "same" }
      ]) { ok error { code message } } }`,
    );
    const r = renamed.body.data!.renameExternalIds;
    expect(r.map((x) => x.ok)).toEqual([true, false, false, false]);
    expect(r[1]!.error!.code).toBe('BAD_USER_INPUT');
    expect(r[3]!.error!.message).toContain('must differ');
    // The rejected ones were Braze's call, reported per item of one request.
    expect(stack.sim.count('/users/external_ids/rename')).toBe(1);
    const after = await stack.gql<{ user: { externalId: string } }>(
      '{ user(ref: { externalId: "new-1" }) { externalId } }',
    );
    expect(after.body.data!.user).toEqual({ externalId: 'new-1' });

    const removed = await stack.gql<{ removeExternalIds: ItemResult[] }>(
      'mutation { removeExternalIds(externalIds: ["old-1", "new-1"]) { ok error { code } } }',
    );
    // old-1 is now deprecated (removable); new-1 is a primary id (refused).
    expect(removed.body.data!.removeExternalIds.map((x) => x.ok)).toEqual([true, false]);
  });
});

describe('updateUserAliases', () => {
  it('renames aliases, 50 to a request, and the user is found by the new name', async () => {
    const stack = await startStack();
    const aliases = Array.from({ length: 60 }, (_, i) => ({ alias: { name: `old-${i}`, label: 'device' } }));
    await stack.gql('mutation ($a: [NewAliasInput!]!) { createUserAliases(aliases: $a) { ok } }', {
      a: aliases,
    });
    const res = await stack.gql<{ updateUserAliases: ItemResult[] }>(
      'mutation ($u: [AliasUpdateInput!]!) { updateUserAliases(updates: $u) { ok error { message } } }',
      {
        u: Array.from({ length: 60 }, (_, i) => ({
          label: 'device',
          oldName: `old-${i}`,
          newName: `new-${i}`,
        })),
      },
    );
    expect(res.body.data!.updateUserAliases.every((r) => r.ok)).toBe(true);
    expect(bodiesOf(stack, '/users/alias/update').map((b) => b.alias_updates!.length)).toEqual([50, 10]);
    const found = await stack.gql<{ user: { aliases: Array<{ name: string }> } | null }>(
      '{ user(ref: { alias: { name: "new-7", label: "device" } }) { aliases { name } } }',
    );
    expect(found.body.data!.user!.aliases).toEqual([{ name: 'new-7' }]);
  });
});
