import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMITS, type RateGroupName, type RateLimit } from '../src/budget/groups.js';
import { RateBudgetService } from '../src/budget/rateBudget.js';
import { RedisStore } from '../src/budget/redisStore.js';
import { memoryLogger } from './helpers.js';
import { startTestRedis, type TestRedis } from './redisServer.js';

/** The shared budget on a real Redis (a private redis-server, so command counts are ours alone). */

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis.stop();
});

async function sharedBudget(
  workspaceId: string,
  limits: Partial<Record<RateGroupName, RateLimit>>,
  replicas = 1,
  now?: () => number,
) {
  const { log, lines } = memoryLogger();
  const store = new RedisStore({ url: redis.url });
  const b = new RateBudgetService({
    workspaceId,
    limits: { ...DEFAULT_RATE_LIMITS, ...limits },
    perAudienceLimit: { limit: 10, windowSec: 60 },
    headroom: 0,
    guardMs: 0,
    replicas,
    redis: store,
    log,
    now,
  });
  await b.ready(2_000);
  return { b, lines };
}

async function redisNowMs(): Promise<number> {
  const r = new Redis(redis.url);
  const [s, us] = await r.time();
  r.disconnect();
  return Number(s) * 1000 + Math.floor(Number(us) / 1000);
}

describe('RateBudgetService on Redis', () => {
  it('never grants more than the limit per window to replicas racing for it', async () => {
    const ws = randomUUID();
    const limits = { 'users.identity': { limit: 50, windowSec: 60 } };
    const replicas = await Promise.all([
      sharedBudget(ws, limits),
      sharedBudget(ws, limits),
      sharedBudget(ws, limits),
    ]);
    expect(replicas.map((r) => r.b.mode)).toEqual(['shared', 'shared', 'shared']);
    const before = await redisNowMs();
    const results = await Promise.all(
      replicas.flatMap(({ b }) => Array.from({ length: 40 }, () => b.acquire('users.identity', Date.now()))),
    );
    const after = await redisNowMs();
    const granted = results.filter((r) => r.ok).length;
    // The race may straddle a minute boundary: then two windows' worth is allowed.
    const windows = Math.floor(after / 60_000) - Math.floor(before / 60_000) + 1;
    console.log(`3 replicas × 40 acquires on a 50/min group → ${granted} granted (${windows} window(s))`);
    expect(granted).toBe(Math.min(120, 50 * windows));
    for (const { b } of replicas) await b.close();
  });

  it('costs one Redis round trip per acquire, reconciliation included', async () => {
    const ws = randomUUID();
    const { b } = await sharedBudget(ws, { 'users.track': { limit: 1_000_000, windowSec: 3_600 } });
    const before = await redis.commandCalls();
    const n = 200;
    for (let i = 0; i < n; i++) {
      await b.acquire('users.track', Date.now() + 1_000);
      // As the Braze client does after every answer.
      b.observe('users.track', { limit: 1_000_000, remaining: 1_000_000 - i - 1 }, 201);
    }
    const after = await redis.commandCalls();
    const scripts = (k: Record<string, number>) => (k.evalsha ?? 0) + (k.eval ?? 0);
    const calls = scripts(after) - scripts(before);
    console.log(
      `${n} acquires + ${n} observes → ${calls} Redis script calls (${(calls / n).toFixed(2)} per upstream request)`,
    );
    // One per acquire; the first call may also load the script (NOSCRIPT then EVAL).
    expect(calls).toBeGreaterThanOrEqual(n);
    expect(calls).toBeLessThanOrEqual(n + 2);
    await b.close();
  });

  it("a per-audience 429 seen by one replica spends that audience's window for every replica, and only it", async () => {
    const ws = randomUUID();
    const limits = { 'messaging.broadcast': { limit: 250, windowSec: 60 } };
    const [{ b: a }, { b: other }] = await Promise.all([sharedBudget(ws, limits), sharedBudget(ws, limits)]);
    expect((await a.acquire('messaging.broadcast', Date.now(), { audience: 'gold' })).ok).toBe(true);
    const resetAtMs = Math.ceil((await redisNowMs()) / 60_000) * 60_000;
    a.observe('messaging.broadcast', { limit: 250, remaining: 249, resetAtMs }, 429, { audience: 'gold' });
    // The spent audience rides along with a's next take of it (one round trip), into Redis.
    expect((await a.acquire('messaging.broadcast', Date.now(), { audience: 'gold' })).ok).toBe(false);
    expect((await other.acquire('messaging.broadcast', Date.now(), { audience: 'gold' })).ok).toBe(false);
    expect((await other.acquire('messaging.broadcast', Date.now(), { audience: 'silver' })).ok).toBe(true);
    expect((await other.snapshot()).find((g) => g.group === 'messaging.broadcast')!.remaining).toBe(248);
    await a.close();
    await other.close();
  });

  it('counts an adopted window under its own key, shared by the replicas that adopted it', async () => {
    const ws = randomUUID();
    const limits = { 'users.identity': { limit: 20_000, windowSec: 3_600 } };
    // The replicas date Braze's answers on this clock: 20 s into a minute that ends no hour.
    const minute = Date.UTC(2027, 0, 15, 12, 5, 0);
    const now = () => minute + 20_000;
    const [{ b: a }, { b: other }] = await Promise.all([
      sharedBudget(ws, limits, 1, now),
      sharedBudget(ws, limits, 1, now),
    ]);
    // Use the configured hour window first: 3 units.
    for (let i = 0; i < 3; i++) expect((await a.acquire('users.identity', now())).ok).toBe(true);
    // Both learn Braze's 1,000 per minute (a reset 40 s away that ends no hour).
    for (const b of [a, other])
      b.observe('users.identity', { limit: 1_000, resetAtMs: minute + 60_000 }, 201);
    expect((await a.acquire('users.identity', now())).ok).toBe(true);
    expect((await other.acquire('users.identity', now())).ok).toBe(true);
    // The minute's count started afresh (the hour's 3 are not in it) and is shared.
    expect((await a.snapshot()).find((g) => g.group === 'users.identity')).toMatchObject({
      limit: 1_000,
      windowSeconds: 60,
      remaining: 998,
    });
    await a.close();
    await other.close();
  });

  it('falls back to limit ÷ replicas when Redis stops, and shares again when it is back', async () => {
    const ws = randomUUID();
    const { b, lines } = await sharedBudget(ws, { 'users.identity': { limit: 30, windowSec: 3_600 } }, 3);
    for (let i = 0; i < 5; i++) expect((await b.acquire('users.identity', Date.now())).ok).toBe(true);
    await redis.stop();
    // Still serving, locally: 30 ÷ 3 = 10 per window for this replica.
    const local: boolean[] = [];
    for (let i = 0; i < 12; i++) local.push((await b.acquire('users.identity', Date.now())).ok);
    expect(b.mode).toBe('fallback');
    expect(local.filter(Boolean).length).toBe(10);
    expect((await b.snapshot()).find((g) => g.group === 'users.identity')).toMatchObject({
      mode: 'fallback',
      limit: 10,
    });
    expect(lines.join('')).toContain('falling back to a local budget');
    await redis.start();
    for (let i = 0; i < 100 && b.mode !== 'shared'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(b.mode).toBe('shared');
    // The 10 sent while Redis was away were added to the shared count (Redis restarted empty).
    expect((await b.snapshot()).find((g) => g.group === 'users.identity')).toMatchObject({
      mode: 'shared',
      remaining: 20,
    });
    await b.close();
  });

  it("at the hand-over, holds a minute window's rest for the local shares of replicas that may still count locally", async () => {
    // The whole test must fall in one clock minute (the window): start early in one.
    const into = Date.now() % 60_000;
    if (into > 40_000) await new Promise((r) => setTimeout(r, 60_500 - into));
    const ws = randomUUID();
    const { b } = await sharedBudget(ws, { 'users.identity': { limit: 30, windowSec: 60 } }, 3);
    await redis.stop();
    for (let i = 0; i < 4; i++) expect((await b.acquire('users.identity', Date.now())).ok).toBe(true);
    expect(b.mode).toBe('fallback');
    await redis.start();
    for (let i = 0; i < 100 && b.mode !== 'shared'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(b.mode).toBe('shared');
    // Its own 4, and 10 for each of the two other replicas (30 ÷ 3, which they may have spent
    // locally meanwhile): 30 − 4 − 20 = 6 left in this window, so the fleet cannot exceed 30.
    expect((await b.snapshot()).find((g) => g.group === 'users.identity')).toMatchObject({
      mode: 'shared',
      remaining: 6,
    });
    await b.close();
  });

  it('regression: one slow Redis reply (command timeout, connection up) falls back, then shares again', async () => {
    const { b, lines } = await sharedBudget(randomUUID(), {
      'users.identity': { limit: 100, windowSec: 60 },
    });
    expect(b.mode).toBe('shared');
    const admin = new Redis(redis.url);
    // Redis answers nothing for 0.7 s: longer than the store's 500 ms command timeout.
    await admin.call('CLIENT', 'PAUSE', '700', 'WRITE');
    const during = await b.acquire('users.identity', Date.now() + 5_000);
    expect(during.ok).toBe(true); // served from the local fallback share
    expect(b.mode).toBe('fallback');
    // No `ready` event comes (the connection never dropped); the recovery check brings it back.
    const deadline = Date.now() + 5_000;
    while (b.mode !== 'shared' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    admin.disconnect();
    expect(b.mode).toBe('shared');
    expect(lines.join('')).toContain('Redis is back');
    expect((await b.acquire('users.identity', Date.now() + 1_000)).ok).toBe(true);
    await b.close();
  });
});
