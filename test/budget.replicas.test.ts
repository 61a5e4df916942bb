import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TRACK_EVENTS, event, startStack, type ItemResult } from './helpers.js';
import { useTrackLimitFleet } from './fixtures/replicaProcess.js';

/**
 * Three gateway processes share one Redis budget in front of a simulated Braze with a tiny
 * limit (6 requests per 2 s window), under more load than the limit allows.
 */

const LIMIT = 6;
/** After the load loop stops sending, answers still arrive for up to the request deadline. */
const LOAD_TAIL_MS = 2_500;
const WINDOW_MS = 2_000;

const fleet = useTrackLimitFleet(LIMIT, WINDOW_MS);
const startReplica = (env: Record<string, string>) => fleet.start(env);

interface LoadResult {
  sent: number;
  ok: number;
  rateLimited: number;
  other: string[];
}

/** Workers loop single-event mutations against the replicas, round robin, for `ms`. */
async function load(
  urls: string[],
  workers: number,
  ms: number,
  during?: (elapsedMs: number) => Promise<void>,
) {
  const result: LoadResult = { sent: 0, ok: 0, rateLimited: 0, other: [] };
  const until = Date.now() + ms;
  let n = 0;
  const worker = async (w: number) => {
    while (Date.now() < until) {
      const url = urls[(w + n) % urls.length]!;
      const id = `w${w}-${n++}`;
      result.sent += 1;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: TRACK_EVENTS, variables: { events: [event(id, 'load')] } }),
        });
        const body = (await res.json()) as { data?: { trackEvents: ItemResult[] } };
        const item = body.data?.trackEvents[0];
        if (item?.ok) result.ok += 1;
        else if (item?.error?.code === 'RATE_LIMITED') result.rateLimited += 1;
        else result.other.push(JSON.stringify(body).slice(0, 200));
      } catch (e) {
        result.other.push(String(e));
      }
    }
  };
  const ticker = during === undefined ? Promise.resolve() : during(0);
  await Promise.all([...Array.from({ length: workers }, (_, w) => worker(w)), ticker]);
  return result;
}

/** Requests Braze accepted, per clock-aligned window. */
function acceptedPerWindow(): Map<number, number> {
  const perWindow = new Map<number, number>();
  for (const r of fleet.sim.requests) {
    if (r.path !== '/users/track' || r.status !== 201) continue;
    const w = Math.floor(r.at / WINDOW_MS);
    perWindow.set(w, (perWindow.get(w) ?? 0) + 1);
  }
  return perWindow;
}

function deliveredEvents(): number {
  return fleet.sim.requests
    .filter((r) => r.path === '/users/track' && r.status === 201)
    .reduce((n, r) => n + ((r.body as { events?: unknown[] }).events?.length ?? 0), 0);
}

describe('three replicas, one Redis budget', () => {
  it('stay within the limit in every window, use nearly all of it, and answer every item (skewed clocks)', async () => {
    const ws = randomUUID();
    const replicas = await Promise.all(
      ['0', '7000', '-4000'].map((skew) =>
        startReplica({ REDIS_URL: fleet.redis.url, BRAZE_WORKSPACE: ws, TEST_CLOCK_SKEW_MS: skew }),
      ),
    );
    const r = await load(
      replicas.map((x) => x.url),
      30,
      6 * WINDOW_MS,
    );
    const loadEndMs = Date.now();
    const perWindow = acceptedPerWindow();
    const windows = [...perWindow.keys()].sort((a, b) => a - b);
    // Full windows: after the first that saw traffic, and over while every worker was still
    // sending (the tail, when workers stop, is not saturated).
    const lastFull = Math.floor((loadEndMs - LOAD_TAIL_MS) / WINDOW_MS) - 1;
    const full =
      windows.length > 2
        ? Array.from({ length: Math.max(0, lastFull - windows[0]!) }, (_, i) => windows[0]! + 1 + i)
        : [];
    const used = full.reduce((n, w) => n + (perWindow.get(w) ?? 0), 0);
    const utilisation = full.length === 0 ? 0 : used / (LIMIT * full.length);
    const too429 = fleet.sim.count('/users/track', 429);
    console.log(
      `3 replicas (clocks 0, +7 s, -4 s), ${LIMIT}/${WINDOW_MS / 1000}s: ${r.sent} items → ${r.ok} delivered, ${r.rateLimited} RATE_LIMITED, ${r.other.length} other; ` +
        `accepted per window ${JSON.stringify(windows.map((w) => perWindow.get(w)))}; utilisation ${(utilisation * 100).toFixed(1)}% over ${full.length} full windows; 429s ${too429}`,
    );
    expect(r.other).toEqual([]);
    expect(too429).toBe(0);
    expect(Math.max(...perWindow.values())).toBeLessThanOrEqual(LIMIT);
    expect(fleet.sim.windowStats('users.track').maxInAnyWindow).toBeLessThanOrEqual(LIMIT);
    expect(r.ok + r.rateLimited).toBe(r.sent);
    expect(deliveredEvents()).toBe(r.ok);
    expect(full.length).toBeGreaterThanOrEqual(2);
    expect(utilisation).toBeGreaterThanOrEqual(0.65);
  });

  it('keep serving while Redis is stopped and restarted mid-load, and lose no item', async () => {
    const ws = randomUUID();
    const replicas = await Promise.all(
      [1, 2, 3].map(() =>
        startReplica({ REDIS_URL: fleet.redis.url, BRAZE_WORKSPACE: ws, RATE_BUDGET_REPLICAS: '3' }),
      ),
    );
    const urls = replicas.map((x) => x.url);
    const modes: string[] = [];
    const modeOf = async (url: string) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ rateBudget { group mode } }' }),
      });
      const body = (await res.json()) as { data: { rateBudget: Array<{ group: string; mode: string }> } };
      return body.data.rateBudget.find((g) => g.group === 'users.track')!.mode;
    };
    /** Every replica's mode, once all say `mode` (or as they are after `timeoutMs`). */
    const untilAll = async (mode: string, timeoutMs: number): Promise<string[]> => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const now = await Promise.all(urls.map(modeOf));
        if (now.every((m) => m === mode) || Date.now() > until) return now;
        await new Promise((res) => setTimeout(res, 50));
      }
    };
    const r = await load(urls, 24, 5 * WINDOW_MS, async () => {
      // One schedule of the load: shared for 1.5 s, then Redis stops; once every replica has
      // noticed, a window of load on the fallback budget; then Redis returns.
      await new Promise((res) => setTimeout(res, 1_500));
      await fleet.redis.stop();
      modes.push(...(await untilAll('FALLBACK', 3 * WINDOW_MS)));
      await new Promise((res) => setTimeout(res, WINDOW_MS));
      await fleet.redis.start();
      modes.push(...(await untilAll('SHARED', 3 * WINDOW_MS)));
    });
    console.log(
      `Redis stopped 1.5 s in and restarted a window after every replica fell back: ${r.sent} items → ${r.ok} delivered, ${r.rateLimited} RATE_LIMITED, ${r.other.length} other; modes ${modes.join(',')}; 429s ${fleet.sim.count('/users/track', 429)}`,
    );
    expect(r.other).toEqual([]);
    expect(r.ok + r.rateLimited).toBe(r.sent);
    expect(deliveredEvents()).toBe(r.ok);
    expect(modes.slice(0, 3)).toEqual(['FALLBACK', 'FALLBACK', 'FALLBACK']);
    expect(modes.slice(3)).toEqual(['SHARED', 'SHARED', 'SHARED']);
    for (const { child } of replicas) expect(child.exitCode).toBeNull();
  });
});

describe('reconciliation', () => {
  it("moves the budget's count up to usage Braze reports from another system", async () => {
    const stack = await startStack({ env: { RATE_LIMIT_USERS_TRACK: '100/1h' } });
    try {
      stack.sim.consume('users.track', 40);
      const res = await stack.gql<{ trackEvents: ItemResult[] }>(TRACK_EVENTS, { events: [event('rec-1')] });
      expect(res.body.data!.trackEvents[0]!.ok).toBe(true);
      const budget = await stack.gql<{
        rateBudget: Array<{ group: string; remaining: number; limit: number }>;
      }>('{ rateBudget { group limit remaining } }');
      // 40 by the other system + 1 by us: Braze says 59 left, and so does the budget.
      expect(budget.body.data!.rateBudget.find((g) => g.group === 'users.track')).toEqual({
        group: 'users.track',
        limit: 100,
        remaining: 59,
      });
    } finally {
      await stack.close();
    }
  });
});
