import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashGatewayKey } from '../src/security/keyStore.js';
import { useReplicaFleet } from './fixtures/replicaProcess.js';
import { startTestRedisCluster, type TestRedisCluster } from './redisCluster.js';

/**
 * Automatic persisted queries (APQ) across gateway processes: a document registered on one
 * replica is found by the others through the Redis the budget uses; every use of a hash still
 * passes the caller's permissions and the request limits; Redis down costs clients a resent
 * query, never an error.
 */

const fleet = useReplicaFleet({ rateLimits: {}, env: {} });

interface GqlBody {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

const sha256 = (query: string) => createHash('sha256').update(query).digest('hex');
const persisted = (hash: string) => ({ persistedQuery: { version: 1, sha256Hash: hash } });

/** POST with the persisted-query extension; `query` unset sends the hash alone. */
async function apq(
  url: string,
  opts: { hash: string; query?: string; variables?: unknown; key?: string },
): Promise<{ status: number; body: GqlBody }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(opts.key === undefined ? {} : { authorization: `Bearer ${opts.key}` }),
    },
    body: JSON.stringify({ query: opts.query, variables: opts.variables, extensions: persisted(opts.hash) }),
  });
  return { status: res.status, body: (await res.json()) as GqlBody };
}

/** A document of its own per call, so no test finds another's hash. */
function budgetQuery(): { query: string; hash: string } {
  const query = `query Budget_${randomUUID().replaceAll('-', '')} { rateBudget { group windowSeconds } }`;
  return { query, hash: sha256(query) };
}

const codeOf = (body: GqlBody) => body.errors?.[0]?.extensions?.code;

/** The Redis key of a hash, as src/app/persistedQueries.ts names it. */
const apqKey = (ws: string, hash: string) => `bgw:{${ws}}:apollo:apq:${hash}`;

/**
 * Resolves once `key` exists in Redis: Apollo registers a document without awaiting the write,
 * so the next replica is asked only once the entry is there (rejects after `timeoutMs`).
 */
async function untilStored(redis: Redis, key: string, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await redis.exists(key)) === 0) {
    if (Date.now() > until) throw new Error(`${key} never appeared in Redis`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function budgetMode(url: string): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ rateBudget { group mode } }' }),
  });
  const body = (await res.json()) as { data: { rateBudget: Array<{ group: string; mode: string }> } };
  return body.data.rateBudget[0]!.mode;
}

/** Resolves once every replica's budget is in `mode` (the signal APQ follows); rejects after `timeoutMs`. */
async function untilMode(urls: string[], mode: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const modes = await Promise.all(urls.map(budgetMode));
    if (modes.every((m) => m === mode)) return;
    if (Date.now() > until) throw new Error(`budget modes ${modes.join(',')}, never all ${mode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let redis: Redis | undefined;
beforeAll(() => {
  redis = new Redis(fleet.redis.url);
  // The test stops this Redis; the client reconnects by itself.
  redis.on('error', () => undefined);
});
afterAll(() => {
  redis?.disconnect();
});

describe('APQ shared by two replicas through Redis', () => {
  it('finds on replica B a document registered on replica A, over POST and GET', async () => {
    const ws = `ws-apq-${randomUUID()}`;
    const env = { REDIS_URL: fleet.redis.url, BRAZE_WORKSPACE: ws, APQ_TTL_SECONDS: '3600' };
    const [a, b] = await Promise.all([fleet.start(env), fleet.start(env)]);
    const { query, hash } = budgetQuery();

    const registered = await apq(a.url, { hash, query });
    expect(registered.body.errors).toBeUndefined();
    await untilStored(redis!, apqKey(ws, hash));
    const ttl = await redis!.ttl(apqKey(ws, hash));
    expect(ttl).toBeGreaterThan(3_500);
    expect(ttl).toBeLessThanOrEqual(3_600);

    const byHash = await apq(b.url, { hash });
    expect(byHash.status).toBe(200);
    expect(byHash.body).toEqual(registered.body);

    // Apollo answers APQ over GET too (a CDN-cacheable URL); the preflight header passes CSRF.
    const get = await fetch(`${b.url}?extensions=${encodeURIComponent(JSON.stringify(persisted(hash)))}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual(registered.body);

    // B's metrics: the first lookup came from Redis, the second from B's own memory.
    const metrics = await (await fetch(new URL('/metrics', b.url))).text();
    const lookups = (result: string) =>
      Number(new RegExp(`^bgw_apq_lookups_total\\{result="${result}"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    expect(lookups('redis_hit')).toBe(1);
    expect(lookups('local_hit')).toBe(1);
    expect(lookups('miss')).toBe(0);
    expect(metrics).toMatch(/^bgw_apq_redis_errors_total 0$/m);
  });

  it('answers PERSISTED_QUERY_NOT_FOUND on both replicas for a hash never registered, and refuses a wrong hash', async () => {
    const env = { REDIS_URL: fleet.redis.url, BRAZE_WORKSPACE: `ws-apq-${randomUUID()}` };
    const [a, b] = await Promise.all([fleet.start(env), fleet.start(env)]);
    const never = sha256(`never registered ${randomUUID()}`);
    for (const url of [a.url, b.url]) {
      const r = await apq(url, { hash: never });
      expect(r.status).toBe(200);
      expect(codeOf(r.body)).toBe('PERSISTED_QUERY_NOT_FOUND');
    }

    const { query } = budgetQuery();
    const wrong = await apq(a.url, { hash: never, query });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors![0]).toMatchObject({
      message: 'provided sha does not match query',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(codeOf((await apq(b.url, { hash: never })).body)).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(await redis!.exists(apqKey(env.BRAZE_WORKSPACE, never))).toBe(0);
  });

  it('keeps checking permissions and limits on every use of a hash', async () => {
    const TRACKER = 'bgw_apq-tracker-key-0001';
    const ADMIN = 'bgw_apq-admin-key-0002';
    const ws = `ws-apq-${randomUUID()}`;
    const env = {
      REDIS_URL: fleet.redis.url,
      BRAZE_WORKSPACE: ws,
      GATEWAY_KEYS: [
        `tracker:${hashGatewayKey(TRACKER)}:users.track,users.export.ids`,
        `admin:${hashGatewayKey(ADMIN)}:*`,
      ].join(';'),
      GRAPHQL_MAX_LIST_ITEMS: '3',
    };
    const [a, b] = await Promise.all([fleet.start(env), fleet.start(env)]);

    // A document the tracker may not run, registered by the admin on A…
    const del = `mutation DeleteForApq { deleteUsers(users: [{ externalId: "apq-${randomUUID()}" }]) { ok } }`;
    const delHash = sha256(del);
    const byAdmin = await apq(a.url, { hash: delHash, query: del, key: ADMIN });
    expect(byAdmin.body.errors).toBeUndefined();
    await untilStored(redis!, apqKey(ws, delHash));
    const deletesBefore = fleet.sim.count('/users/delete');
    // …is still refused to the tracker on B when it sends the hash alone.
    const byTracker = await apq(b.url, { hash: delHash, key: TRACKER });
    expect(byTracker.status).toBe(403);
    expect(codeOf(byTracker.body)).toBe('FORBIDDEN');
    expect(byTracker.body.errors![0]!.message).toContain('users.delete');
    expect(fleet.sim.count('/users/delete')).toBe(deletesBefore);

    // A document the tracker sends itself but may not run is refused and never registered.
    const del2 = `mutation DeleteForApq2 { deleteUsers(users: [{ externalId: "apq-${randomUUID()}" }]) { ok } }`;
    const refused = await apq(a.url, { hash: sha256(del2), query: del2, key: TRACKER });
    expect(codeOf(refused.body)).toBe('FORBIDDEN');
    expect(codeOf((await apq(b.url, { hash: sha256(del2), key: ADMIN })).body)).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );

    // The list limit reads the variables of each request, whoever registered the document.
    const users = 'query UsersForApq($ids: [ID!]!) { users(externalIds: $ids) { externalId } }';
    const usersHash = sha256(users);
    const small = await apq(a.url, {
      hash: usersHash,
      query: users,
      variables: { ids: ['u1'] },
      key: TRACKER,
    });
    expect(small.body).toEqual({ data: { users: [null] } });
    await untilStored(redis!, apqKey(ws, usersHash));
    const exportsBefore = fleet.sim.count('/users/export/ids');
    const big = await apq(b.url, {
      hash: usersHash,
      variables: { ids: ['u1', 'u2', 'u3', 'u4'] },
      key: TRACKER,
    });
    expect(big.status).toBe(400);
    expect(codeOf(big.body)).toBe('BAD_USER_INPUT');
    expect(fleet.sim.count('/users/export/ids')).toBe(exportsBefore);
    // Authentication comes first, hash or not.
    const anonymous = await apq(b.url, { hash: usersHash, variables: { ids: ['u1'] } });
    expect(anonymous.status).toBe(401);
    expect(codeOf(anonymous.body)).toBe('UNAUTHENTICATED');
  });

  it('serves full queries while Redis is down, answers NOT_FOUND (not 500) for hashes it cannot see, and shares again when Redis is back', async () => {
    const ws = `ws-apq-${randomUUID()}`;
    const env = { REDIS_URL: fleet.redis.url, BRAZE_WORKSPACE: ws };
    const [a, b] = await Promise.all([fleet.start(env), fleet.start(env)]);
    const urls = [a.url, b.url];
    await untilMode(urls, 'SHARED');

    await fleet.redis.stop();
    try {
      await untilMode(urls, 'FALLBACK');
      const down = budgetQuery();
      const full = await apq(a.url, { hash: down.hash, query: down.query });
      expect(full.status).toBe(200);
      expect(full.body.errors).toBeUndefined();
      // B cannot see what A registered meanwhile: the client's ordinary path is to resend it.
      const onB = await apq(b.url, { hash: down.hash });
      expect(onB.status).toBe(200);
      expect(codeOf(onB.body)).toBe('PERSISTED_QUERY_NOT_FOUND');
      // A kept it in its own memory.
      for (let i = 0; i < 5; i++) expect(await apq(a.url, { hash: down.hash })).toEqual(full);
      const resent = await apq(b.url, { hash: down.hash, query: down.query });
      expect(resent.body).toEqual(full.body);
    } finally {
      await fleet.redis.start();
    }

    await untilMode(urls, 'SHARED');
    const back = budgetQuery();
    const registered = await apq(a.url, { hash: back.hash, query: back.query });
    expect(registered.body.errors).toBeUndefined();
    await untilStored(redis!, apqKey(ws, back.hash));
    expect(await apq(b.url, { hash: back.hash })).toEqual({ status: 200, body: registered.body });

    // One line for the outage and one for its end, however many requests came in between.
    const lines = (s: string[], text: string) => s.filter((l) => l.includes(text)).length;
    expect(lines(a.stderr, 'persisted queries: Redis is unavailable')).toBe(1);
    expect(lines(a.stderr, 'persisted queries: Redis answers again')).toBe(1);
    expect(lines(b.stderr, 'persisted queries: Redis is unavailable')).toBe(1);
    expect(lines(b.stderr, 'persisted queries: Redis answers again')).toBe(1);
  }, 30_000);
});

describe('APQ on a Redis Cluster', () => {
  let cluster: TestRedisCluster | undefined;
  beforeAll(async () => {
    cluster = await startTestRedisCluster();
  }, 30_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('finds on replica B what replica A registered (redis+cluster://)', async () => {
    const ws = `ws-apq-cluster-${randomUUID()}`;
    const env = { REDIS_URL: cluster!.url, BRAZE_WORKSPACE: ws };
    const [a, b] = await Promise.all([fleet.start(env), fleet.start(env)]);
    const { query, hash } = budgetQuery();
    const registered = await apq(a.url, { hash, query });
    expect(registered.body.errors).toBeUndefined();
    // The entry sits with the workspace's other keys, on the master of its hash slot.
    const owner = new Redis({ port: await cluster!.ownerOf(apqKey(ws, hash)), host: '127.0.0.1' });
    try {
      await untilStored(owner, apqKey(ws, hash));
    } finally {
      owner.disconnect();
    }
    expect(await apq(b.url, { hash })).toEqual({ status: 200, body: registered.body });
    for (const r of [a, b]) expect(r.stderr.filter((l) => /Redis|CROSSSLOT/.test(l))).toEqual([]);
  });
});
