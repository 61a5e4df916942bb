/**
 * Rate-budget benchmark (not a test): acquire throughput and latency for the in-memory and the
 * Redis budgets, and Redis round trips per upstream request.
 *
 *   npx tsx bench/budget.ts            (uses REDIS_URL or redis://127.0.0.1:6379)
 *
 * Figures are printed; compare them within one run (shared machines are noisy).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { DEFAULT_RATE_LIMITS } from '../src/budget/groups.js';
import { RateBudgetService } from '../src/budget/rateBudget.js';
import { RedisStore } from '../src/budget/redisStore.js';
import { Shares } from '../src/budget/shares.js';
import { silentLogger } from '../src/observability/log.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const N = Number(process.env.BENCH_ACQUIRES ?? 20_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);

/** Fair shares on (GATEWAY_SHARES): two callers, 70/30 of users.track. */
const SHARES = new Shares(
  ['frontend', 'bulk'],
  new Map([
    ['frontend', new Map([['users.track', 70]])],
    ['bulk', new Map([['users.track', 30]])],
  ] as const),
);

function budget(redis?: RedisStore, shares?: Shares): RateBudgetService {
  return new RateBudgetService({
    shares,
    workspaceId: `bench-${randomUUID()}`,
    limits: { ...DEFAULT_RATE_LIMITS, 'users.track': { limit: 1_000_000_000, windowSec: 3_600 } },
    perAudienceLimit: { limit: 10, windowSec: 60 },
    headroom: 0,
    guardMs: 0,
    replicas: 1,
    redis,
    log: silentLogger,
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** With shares: each acquire names one caller (alternating), as a lane holding its items would. */
async function run(name: string, b: RateBudgetService, fair = false): Promise<void> {
  const callers = [new Map([['frontend', 1]]), new Map([['bulk', 1]])];
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < N) {
        next += 1;
        const t = performance.now();
        const r = await b.acquire(
          'users.track',
          Date.now() + 10_000,
          fair ? { callers: callers[next % 2] } : {},
        );
        latencies.push(performance.now() - t);
        if (!r.ok) throw new Error('refused');
        b.observe('users.track', { limit: 1_000_000_000, remaining: 1_000_000_000 - next }, 201);
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  latencies.sort((a, c) => a - c);
  console.log(
    `${name.padEnd(8)} ${String(N).padStart(6)} acquires, ${CONCURRENCY} concurrent: ${Math.round(
      N / elapsedS,
    )
      .toString()
      .padStart(
        7,
      )} acquires/s, p50 ${percentile(latencies, 50).toFixed(3)} ms, p99 ${percentile(latencies, 99).toFixed(3)} ms`,
  );
}

async function scriptCalls(r: Redis): Promise<number> {
  const info = await r.info('commandstats');
  let n = 0;
  for (const m of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) n += Number(m[2]);
  return n;
}

const memory = budget();
await run('memory', memory);
await memory.close();

const store = new RedisStore({ url: REDIS_URL });
if (!(await store.waitReady(2_000))) {
  console.log(`redis    skipped: no Redis answering at ${REDIS_URL}`);
  process.exit(0);
}
const shared = budget(store);
await shared.ready(2_000);
const probe = new Redis(REDIS_URL);
const before = await scriptCalls(probe);
await run('redis', shared);
const calls = (await scriptCalls(probe)) - before;
console.log(
  `redis    round trips per upstream request (acquire + reconcile): ${(calls / N).toFixed(3)} (target 1; ${calls} script calls for ${N} requests; other clients of this Redis add to it)`,
);
await shared.close();

const fairStore = new RedisStore({ url: REDIS_URL });
await fairStore.waitReady(2_000);
const fair = budget(fairStore, SHARES);
await fair.ready(2_000);
const fairBefore = await scriptCalls(probe);
await run('fair', fair, true);
const fairCalls = (await scriptCalls(probe)) - fairBefore;
console.log(
  `fair     round trips per upstream request, fair shares on (acquire + reconcile + charge): ${(fairCalls / N).toFixed(3)} (target 1)`,
);
probe.disconnect();
await fair.close();
