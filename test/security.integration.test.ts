import { describe, expect, it } from 'vitest';
import { hashGatewayKey } from '../src/security/keyStore.js';
import { TRACK_EVENTS, event, useStacks, type Stack } from './helpers.js';

/** Gateway keys and abuse limits on the real server, over HTTP. */

const startStack = useStacks();

const TRACKER = 'bgw_tracker-key-for-tests-0001';
const ADMIN = 'bgw_admin-key-for-tests-0002';
const FAR_AWAY = 'bgw_far-away-key-for-tests-0003';
const keys = [
  `tracker:${hashGatewayKey(TRACKER)}:users.track,users.export.ids`,
  `admin:${hashGatewayKey(ADMIN)}:*`,
  `remote:${hashGatewayKey(FAR_AWAY)}:*:10.20.0.0/16`,
].join(';');

async function post(s: Stack, query: string, opts: { key?: string; variables?: unknown } = {}) {
  const res = await fetch(s.gw.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(opts.key === undefined ? {} : { authorization: `Bearer ${opts.key}` }),
    },
    body: JSON.stringify({ query, variables: opts.variables }),
  });
  return {
    status: res.status,
    json: (await res.json()) as {
      data?: unknown;
      errors?: Array<{ message: string; extensions?: { code?: string } }>;
    },
  };
}

describe('gateway keys', () => {
  it('refuses a missing or unknown key with UNAUTHENTICATED (401)', async () => {
    const stack = await startStack({ env: { GATEWAY_KEYS: keys } });
    for (const key of [undefined, 'bgw_nope']) {
      const r = await post(stack, '{ __typename }', { key });
      expect(r.status).toBe(401);
      expect(r.json.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    }
  });

  it('lets a key do what its permissions allow, and refuses deleteUsers to a key without users.delete', async () => {
    const stack = await startStack({ env: { GATEWAY_KEYS: keys } });
    const ok = await post(stack, TRACK_EVENTS, { key: TRACKER, variables: { events: [event('k-1')] } });
    expect(ok.status).toBe(200);
    expect(ok.json.data).toEqual({ trackEvents: [{ ok: true, error: null }] });
    const refused = await post(stack, 'mutation { deleteUsers(users: [{ externalId: "k-1" }]) { ok } }', {
      key: TRACKER,
    });
    expect(refused.status).toBe(403);
    expect(refused.json.errors![0]).toMatchObject({
      message: expect.stringContaining('users.delete'),
      extensions: { code: 'FORBIDDEN' },
    });
    expect(stack.sim.count('/users/delete')).toBe(0);
    const allowed = await post(stack, 'mutation { deleteUsers(users: [{ externalId: "k-1" }]) { ok } }', {
      key: ADMIN,
    });
    expect(allowed.json.data).toEqual({ deleteUsers: [{ ok: true }] });
  });

  it('lets a key with users.export.ids read usersMatching (unmapped before: only * keys could)', async () => {
    const stack = await startStack({ env: { GATEWAY_KEYS: keys } });
    const r = await post(stack, '{ usersMatching(ref: { email: "nobody@example.com" }) { externalId } }', {
      key: TRACKER,
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ data: { usersMatching: [] } });
    expect(stack.sim.count('/users/export/ids')).toBe(1);
  });

  it('refuses a key used from outside its IP allowlist', async () => {
    const stack = await startStack({ env: { GATEWAY_KEYS: keys } });
    const r = await post(stack, '{ __typename }', { key: FAR_AWAY });
    expect(r.status).toBe(403);
    expect(r.json.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    expect(r.json.errors![0]!.message).toContain('127.0.0.1');
  });
});

describe('abuse limits', () => {
  it('refuses a query 50 levels deep, and keeps answering', async () => {
    const stack = await startStack();
    let q = 'name';
    for (let i = 0; i < 50; i++) q = `ofType { ${q} }`;
    const deep = await post(stack, `{ __type(name: "Query") { ${q} } }`);
    expect(deep.status).toBe(400);
    expect(deep.json.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(deep.json.errors![0]!.message).toMatch(/deep|depth/i);
    const after = await post(stack, '{ __typename }');
    expect(after.json.data).toEqual({ __typename: 'Query' });
  });

  it('refuses too many aliases, and an input list over the cap, before anything is sent', async () => {
    const stack = await startStack();
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: __typename`).join(' ');
    const many = await post(stack, `{ ${aliases} }`);
    expect(many.status).toBe(400);
    expect(many.json.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const ids = Array.from({ length: 10_001 }, (_, i) => `u-${i}`);
    const long = await post(stack, 'query ($ids: [ID!]!) { users(externalIds: $ids) { externalId } }', {
      variables: { ids },
    });
    expect(long.status).toBe(400);
    expect(long.json.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(stack.sim.count()).toBe(0);
  });

  it('turns introspection off in production unless asked', async () => {
    const stack = await startStack({ env: { NODE_ENV: 'production', GATEWAY_ALLOW_ANONYMOUS: 'true' } });
    const r = await post(stack, '{ __schema { types { name } } }');
    expect(r.json.errors![0]!.message).toMatch(/introspection/i);
  });
});
