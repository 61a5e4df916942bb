import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RATE_GROUP_NAMES } from '../src/budget/groups.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { hashGatewayKey } from '../src/security/keyStore.js';
import { RedisStore } from '../src/budget/redisStore.js';
import { parseShares, Shares } from '../src/budget/shares.js';
import { MemoryStore, type Bucket, type BudgetStore, type FairAsk } from '../src/budget/store.js';
import { startTestRedis, type TestRedis } from './redisServer.js';

/**
 * Fair shares at the store level: the grant rule (store.ts `fairPick`), the same in memory and in
 * the Redis Lua script, and the GATEWAY_SHARES parser's start-up errors.
 */

let redis: TestRedis;
beforeAll(async () => {
  redis = await startTestRedis();
});
afterAll(async () => {
  await redis.stop();
});

/** A day's window: a test never crosses its end (both stores count in the same window). */
const DAY_MS = 86_400_000;

function bucket(limit: number): Bucket {
  return { key: `bgw:{${randomUUID()}}:users.track`, limit, windowMs: DAY_MS };
}

/** A fair ask: candidates as [caller, weight, items waiting (100 unless said)]. */
function ask(candidates: Array<[string, number, number?]>, extra: Partial<FairAsk> = {}): FairAsk {
  return {
    candidates: candidates.map(([caller, weight, need]) => ({ caller, weight, need: need ?? 100 })),
    activeMs: 60_000,
    ...extra,
  };
}

/** Runs `steps` takes against `store`, returning who was charged at each (or '-' when refused). */
async function run(store: BudgetStore, b: Bucket, steps: FairAsk[]): Promise<string[]> {
  const out: string[] = [];
  for (const step of steps) {
    const r = await store.take([b], 0, [], step);
    out.push(r.granted ? (r.caller ?? '?') : '-');
  }
  return out;
}

describe('fair take (MemoryStore and RedisStore agree)', () => {
  const stores: Array<[string, () => BudgetStore]> = [
    ['memory', () => new MemoryStore()],
    ['redis', () => new RedisStore({ url: redis.url })],
  ];
  const ready = async <S extends BudgetStore>(store: S): Promise<S> => {
    if (store instanceof RedisStore) expect(await store.waitReady(2_000)).toBe(true);
    return store;
  };

  /** Both callers always waiting, weights 70/30, limit 100: the window splits 70/30 exactly. */
  const both = Array.from({ length: 110 }, () =>
    ask([
      ['frontend', 70],
      ['bulk', 30],
    ]),
  );

  /**
   * Two lanes (or replicas), each naming its own caller, both with plenty waiting: the bulk lane
   * asks 4 times as often, yet once the light caller is known to wait, bulk is held to what the
   * light caller's share leaves. (With plenty waiting, what a caller is likely to ask for is its
   * whole share, whatever the time: memory and Redis, each on its own clock, agree.)
   */
  const apart = [
    ask([['light', 1]]),
    ...Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? ask([['light', 1]]) : ask([['bulk', 1]]))),
  ];

  const results = new Map<string, string[][]>();
  for (const [name, make] of stores) {
    it(`${name}: splits a binding window by weight, and holds the light caller's share`, async () => {
      const store = await ready(make());
      try {
        const a = await run(store, bucket(100), both);
        const count = (xs: string[], c: string) => xs.filter((x) => x === c).length;
        expect(count(a, 'frontend')).toBe(70);
        expect(count(a, 'bulk')).toBe(30);
        expect(count(a, '-')).toBe(10);
        const b = await run(store, bucket(20), apart);
        // The light caller asked 9 times and was granted each time; bulk got the rest, no more.
        expect(count(b, 'light')).toBe(9);
        expect(count(b, 'bulk')).toBe(10);
        expect(count(b, '-')).toBe(22);
        // A caller alone gets the whole window.
        const c = await run(
          store,
          bucket(10),
          Array.from({ length: 12 }, () => ask([['solo', 1]])),
        );
        expect(count(c, 'solo')).toBe(10);
        // A waiting caller with 2 items and no pace (its one unit moved to bulk by a correction)
        // holds 2 units, not its half: bulk gets its half (10) and then all but those 2.
        const bk = bucket(20);
        const first = await store.take([bk], 0, [], ask([['light', 1, 2]]));
        const moved = {
          resetAtMs: first.resetAtMs,
          milli: new Map([
            ['light', -1000],
            ['bulk', 1000],
          ]),
        };
        const d = await run(store, bk, [
          ask([['bulk', 1, 500]], { corrections: moved }),
          ...Array.from({ length: 29 }, () => ask([['bulk', 1, 500]])),
        ]);
        expect(count(d, 'bulk')).toBe(17);
        results.set(name, [a, b, c, d]);
      } finally {
        await store.close();
      }
    });
  }

  it('memory and Redis grant the same callers in the same order', () => {
    expect(results.get('redis')).toEqual(results.get('memory'));
  });

  for (const [name, make] of stores) {
    it(`${name}: corrections move charges between callers; readShares shows them`, async () => {
      const store = await ready(make());
      try {
        const b = bucket(100);
        const first = await store.take([b], 0, [], ask([['a', 1]]));
        expect(first.caller).toBe('a');
        // The request carried one item of a and three of b: a keeps 250 milli, b takes 750.
        await store.take(
          [b],
          0,
          [],
          ask([['b', 1]], {
            corrections: {
              resetAtMs: first.resetAtMs,
              milli: new Map([
                ['a', -750],
                ['b', 750],
              ]),
            },
          }),
        );
        // A correction for another window is ignored.
        await store.take(
          [b],
          0,
          [],
          ask([['a', 1]], {
            corrections: { resetAtMs: first.resetAtMs - DAY_MS, milli: new Map([['a', 5000]]) },
          }),
        );
        const { shares } = await store.readShares(b);
        const used = Object.fromEntries(shares.map((s) => [s.caller, s.usedMilli]));
        expect(used).toEqual({ a: 1250, b: 1750 });
      } finally {
        await store.close();
      }
    });
  }

  it('holds for a waiting caller what it is likely to use, not its whole share (memory, fake clock)', async () => {
    let now = 1_800_000_000_000 - (1_800_000_000_000 % 60_000);
    const store = new MemoryStore(() => now);
    const b: Bucket = { key: 'k', limit: 100, windowMs: 60_000 };
    const take = async (caller: string, need: number) =>
      (await store.take([b], 0, [], ask([[caller, 1, need]]))).granted;
    const grantsOf = async (caller: string, need: number, n: number) => {
      let granted = 0;
      for (let i = 0; i < n; i++) if (await take(caller, need)) granted += 1;
      return granted;
    };
    // Light takes a unit at the window's start and one half a minute later (one item waiting each
    // time): its pace holds 2 more units for it, so bulk, flooding now, gets its half and then all
    // but those 2; light, under its share, takes them.
    expect(await take('light', 1)).toBe(true);
    now += 30_000;
    expect(await take('light', 1)).toBe(true);
    expect(await grantsOf('bulk', 500, 200)).toBe(96);
    expect(await grantsOf('light', 1, 5)).toBe(2);
    // Next window: light used 4 in the window before, so 4 units stay held for it before it asks
    // again (its mark lasts); bulk gets the other 96.
    now += 30_000;
    expect(await grantsOf('bulk', 500, 200)).toBe(96);
    expect(await grantsOf('light', 1, 5)).toBe(4);
    // With plenty waiting, light holds its whole half.
    now += 60_000;
    expect(await take('light', 80)).toBe(true);
    expect(await grantsOf('bulk', 500, 200)).toBe(50);
  });

  it('a refused fair take asks again soon, not at the window end', async () => {
    const store = new MemoryStore();
    const b = bucket(10);
    for (let i = 0; i < 5; i++) await store.take([b], 0, [], ask([['x', 1]]));
    // y waits: its 5 units are held for it, so x is refused, with a short retry.
    await store.take([b], 0, [], ask([['y', 1]]));
    const refused = await store.take([b], 0, [], ask([['x', 1]]));
    expect(refused.granted).toBe(false);
    expect(refused.resetAtMs - refused.nowMs).toBeLessThan(60_000);
  });

  it('without candidates a take is the plain one (no fair state)', async () => {
    const store = await ready(new RedisStore({ url: redis.url }));
    try {
      const b = bucket(2);
      expect((await store.take([b], 0)).granted).toBe(true);
      expect((await store.take([b], 0)).caller).toBeUndefined();
      expect((await store.take([b], 0)).granted).toBe(false);
      expect(await store.redis.exists(`${b.key}:fair`)).toBe(0);
    } finally {
      await store.close();
    }
  });
});

describe('GATEWAY_SHARES', () => {
  const callers = ['frontend', 'backoffice-bulk'];

  it('parses weights per caller and group, with * and the keys file', () => {
    const { shares, problems } = parseShares(
      'frontend:users.track=70,*=50; backoffice-bulk:users.track=30',
      callers,
      new Map([['backoffice-bulk', { 'users.identity': 5 }]]),
    );
    expect(problems).toEqual([]);
    expect(shares!.weight('frontend', 'users.track')).toBe(70);
    expect(shares!.weight('frontend', 'users.identity')).toBe(50);
    expect(shares!.weight('backoffice-bulk', 'users.track')).toBe(30);
    expect(shares!.weight('backoffice-bulk', 'users.identity')).toBe(5);
    expect(shares!.weight('backoffice-bulk', 'default')).toBe(1);
    expect(shares!.queueShare('frontend', 'users.track')).toBeCloseTo(0.7);
  });

  it('is off when nothing is configured', () => {
    expect(parseShares(undefined, callers).shares).toBeUndefined();
    expect(parseShares('  ', callers).shares).toBeUndefined();
  });

  it('names each problem: unknown caller, unknown group, bad weight, bad syntax', () => {
    const { problems } = parseShares(
      'nobody:users.track=1; frontend:users.trak=2; frontend:users.track=0; backoffice-bulk:users.track=abc; frontend; frontend:users.track',
      callers,
      new Map([['frontend', { default: -1 }]]),
    );
    expect(problems).toHaveLength(7);
    expect(problems[0]).toMatch(/entry 1 names "nobody", which is no caller/);
    expect(problems[1]).toMatch(/names no rate group "users.trak"/);
    expect(problems[2]).toMatch(/gives users.track the weight "0": expected a positive number/);
    expect(problems[3]).toMatch(/gives users.track the weight "abc"/);
    expect(problems[4]).toMatch(/entry 5 is not valid: expected <caller>:<group>=<weight>/);
    expect(problems[5]).toMatch(/expected <group>=<weight>/);
    expect(problems[6]).toMatch(/GATEWAY_KEYS_FILE key "frontend" "shares" gives default the weight "-1"/);
  });

  it('stops start-up with a clear message; reads the keys file\'s "shares"', () => {
    const keys = `frontend:${hashGatewayKey('bgw_a-key-for-config-tests-000000001')}:*`;
    let error: unknown;
    try {
      loadConfig({ GATEWAY_KEYS: keys, GATEWAY_SHARES: 'frontnd:users.track=70' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(
      /GATEWAY_SHARES entry 1 names "frontnd", which is no caller: expected a gateway key's name \(frontend\)/,
    );
    // Open gateway: the caller is anonymous.
    expect(loadConfig({ GATEWAY_SHARES: 'anonymous:*=10' }).shares!.weight('anonymous', 'default')).toBe(10);
    expect(loadConfig({}).shares).toBeUndefined();
    const dir = mkdtempSync(join(tmpdir(), 'bgw-shares-'));
    const file = join(dir, 'keys.json');
    writeFileSync(
      file,
      JSON.stringify([
        {
          name: 'bulk',
          sha256: hashGatewayKey('bgw_b-key-for-config-tests-000000002'),
          permissions: ['users.track'],
          shares: { 'users.track': 30 },
        },
      ]),
    );
    const config = loadConfig({ GATEWAY_KEYS: keys, GATEWAY_KEYS_FILE: file });
    expect(config.shares!.weight('bulk', 'users.track')).toBe(30);
    expect(config.shares!.weight('frontend', 'users.track')).toBe(1);
    expect(config.shares!.callers).toEqual(['frontend', 'bulk']);
  });

  it('every group has a total weight (queue shares sum to 1)', () => {
    const shares = new Shares(callers, new Map([['frontend', new Map([['*', 3]])]]));
    for (const g of RATE_GROUP_NAMES) {
      expect(shares.queueShare('frontend', g) + shares.queueShare('backoffice-bulk', g)).toBeCloseTo(1);
    }
  });
});
