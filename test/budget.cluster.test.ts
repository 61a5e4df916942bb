import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TRACK_EVENTS, event, type ItemResult } from './helpers.js';
import { useTrackLimitFleet } from './fixtures/replicaProcess.js';
import { startTestRedisCluster, type TestRedisCluster } from './redisCluster.js';

/**
 * Three gateway processes on a real three-master Redis Cluster (`redis+cluster://`): every Lua
 * script's keys must hash to one slot (a CROSSSLOT error would drop the budget to FALLBACK), the
 * shared budget must hold Braze's limit, and the catalog cache must be shared.
 */

const LIMIT = 6;
const WINDOW_MS = 2_000;

const fleet = useTrackLimitFleet(LIMIT, WINDOW_MS);

let cluster: TestRedisCluster | undefined;
beforeAll(async () => {
  cluster = await startTestRedisCluster();
}, 30_000);
afterAll(async () => {
  await cluster?.stop();
});

async function gql<T>(url: string, query: string, variables?: unknown): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as T;
}

const budgetMode = async (url: string) =>
  (
    await gql<{ data: { rateBudget: Array<{ group: string; mode: string }> } }>(
      url,
      '{ rateBudget { group mode } }',
    )
  ).data.rateBudget.find((g) => g.group === 'users.track')!.mode;

interface Tally {
  sent: number;
  ok: number;
  rateLimited: number;
  other: string[];
}

/** 24 workers send one-event mutations to the replicas in turn for `ms`. */
async function load(urls: string[], ms: number): Promise<Tally> {
  const tally: Tally = { sent: 0, ok: 0, rateLimited: 0, other: [] };
  const until = Date.now() + ms;
  let n = 0;
  await Promise.all(
    Array.from({ length: 24 }, async (_, w) => {
      while (Date.now() < until) {
        const i = n++;
        tally.sent += 1;
        const body = await gql<{ data?: { trackEvents: ItemResult[] } }>(
          urls[i % urls.length]!,
          TRACK_EVENTS,
          {
            events: [event(`c${w}-${i}`, 'cluster')],
          },
        ).catch((e: unknown) => ({ error: String(e) }));
        const item = 'data' in body ? body.data?.trackEvents[0] : undefined;
        if (item?.ok === true) tally.ok += 1;
        else if (item?.error?.code === 'RATE_LIMITED') tally.rateLimited += 1;
        else tally.other.push(JSON.stringify(body).slice(0, 200));
      }
    }),
  );
  return tally;
}

/** Every replica's users.track budget mode, once all say `mode` (or as they are after `timeoutMs`). */
async function untilAll(urls: string[], mode: string, timeoutMs: number): Promise<string[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const now = await Promise.all(urls.map(budgetMode));
    if (now.every((m) => m === mode) || Date.now() > until) return now;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('three replicas on a Redis Cluster', () => {
  it('share one budget within the limit in every window and answer every item', async () => {
    const env = { REDIS_URL: cluster!.url, BRAZE_WORKSPACE: `ws-cluster-${randomUUID()}` };
    const replicas = await Promise.all([1, 2, 3].map(() => fleet.start(env)));
    const urls = replicas.map((r) => r.url);
    expect(await Promise.all(urls.map(budgetMode))).toEqual(['SHARED', 'SHARED', 'SHARED']);

    const tally = await load(urls, 5 * WINDOW_MS);
    const stats = fleet.sim.windowStats('users.track');
    const accepted = fleet.sim.count('/users/track', 201);
    const too429 = fleet.sim.count('/users/track', 429);
    const modes = await Promise.all(urls.map(budgetMode));
    const windows = new Set(
      fleet.sim.requests
        .filter((r) => r.path === '/users/track' && r.status === 201)
        .map((r) => Math.floor(r.at / WINDOW_MS)),
    ).size;
    console.log(
      `Redis Cluster (3 masters), 3 replicas, ${LIMIT}/${WINDOW_MS / 1000}s: ${tally.sent} items → ${tally.ok} delivered, ` +
        `${tally.rateLimited} RATE_LIMITED, ${tally.other.length} other; ${accepted} Braze requests accepted; ` +
        `${windows} windows, max per window ${stats.maxInAnyWindow} (limit ${LIMIT}); 429s ${too429}; modes after ${modes.join(',')}`,
    );
    expect(tally.other).toEqual([]);
    expect(tally.ok + tally.rateLimited).toBe(tally.sent);
    expect(tally.ok).toBeGreaterThan(0);
    expect(too429).toBe(0);
    expect(stats.maxInAnyWindow).toBeLessThanOrEqual(LIMIT);
    // Still shared at the end: no script failed (CROSSSLOT or otherwise) and fell back.
    expect(modes).toEqual(['SHARED', 'SHARED', 'SHARED']);
    for (const r of replicas) expect(r.stderr.filter((l) => /Redis|CROSSSLOT/.test(l))).toEqual([]);
  });

  it('share the catalog cache: one /events/list pass for two replicas', async () => {
    const env = { REDIS_URL: cluster!.url, BRAZE_WORKSPACE: `ws-cluster-${randomUUID()}` };
    const [a, b] = await Promise.all([fleet.start(env), fleet.start(env)]);
    const first = await gql<{ data?: { customEvents: string[] }; errors?: unknown }>(
      a!.url,
      '{ customEvents }',
    );
    expect(first.errors).toBeUndefined();
    const afterFirst = fleet.sim.count('/events/list');
    const second = await gql<{ data?: { customEvents: string[] }; errors?: unknown }>(
      b!.url,
      '{ customEvents }',
    );
    expect(second.errors).toBeUndefined();
    expect(second.data!.customEvents).toEqual(first.data!.customEvents);
    console.log(
      `Redis Cluster catalog cache: /events/list requests after replica A ${afterFirst}, after replica B ${fleet.sim.count('/events/list')}`,
    );
    expect(afterFirst).toBeGreaterThan(0);
    expect(fleet.sim.count('/events/list')).toBe(afterFirst);
  });

  it('fall back to a share each when the master of their slot dies mid-load, and share again when it returns', async () => {
    const ws = `ws-cluster-${randomUUID()}`;
    const env = { REDIS_URL: cluster!.url, BRAZE_WORKSPACE: ws, RATE_BUDGET_REPLICAS: '3' };
    const replicas = await Promise.all([1, 2, 3].map(() => fleet.start(env)));
    const urls = replicas.map((r) => r.url);
    const owner = await cluster!.ownerOf(`bgw:{${ws}}:users.track`);
    const modes: string[] = [];
    const [tally] = await Promise.all([
      load(urls, 5 * WINDOW_MS),
      (async () => {
        await new Promise((r) => setTimeout(r, 1_500));
        await cluster!.stopNode(owner);
        modes.push(...(await untilAll(urls, 'FALLBACK', 3 * WINDOW_MS)));
        await new Promise((r) => setTimeout(r, WINDOW_MS));
        // The other masters answer all along: still local while this slot's master is away.
        modes.push(...(await Promise.all(urls.map(budgetMode))));
        await cluster!.startNode(owner);
        await cluster!.ok(20_000);
        modes.push(...(await untilAll(urls, 'SHARED', 5 * WINDOW_MS)));
      })(),
    ]);
    const stats = fleet.sim.windowStats('users.track');
    const too429 = fleet.sim.count('/users/track', 429);
    console.log(
      `Redis Cluster, master :${owner} of the workspace's slot stopped 1.5 s in and restarted a window after every replica fell back: ` +
        `${tally.sent} items → ${tally.ok} delivered, ${tally.rateLimited} RATE_LIMITED, ${tally.other.length} other; ` +
        `max per window ${stats.maxInAnyWindow} (limit ${LIMIT}, share ${LIMIT / 3} each while down); 429s ${too429}; modes ${modes.join(',')}`,
    );
    expect(tally.other).toEqual([]);
    expect(tally.ok + tally.rateLimited).toBe(tally.sent);
    expect(too429).toBe(0);
    expect(stats.maxInAnyWindow).toBeLessThanOrEqual(LIMIT);
    expect(modes).toEqual([...Array(6).fill('FALLBACK'), 'SHARED', 'SHARED', 'SHARED']);
    for (const { child } of replicas) expect(child.exitCode).toBeNull();
  }, 60_000);
});
