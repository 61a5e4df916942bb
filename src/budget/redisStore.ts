import type { RedisOptions } from 'ioredis';
import { createRedisClient, parseRedisUrl, type RedisClient } from './redisConnection.js';
import type { Bucket, BucketReading, BudgetStore, PendingRaise, TakeResult } from './store.js';

/**
 * The shared store: one Redis hash per bucket (`start`, `used`), changed only by Lua scripts
 * that read Redis's own clock (TIME). So every call is one round trip, replicas never read
 * then write, and their clocks don't matter. Keys expire shortly after their window ends.
 * Bucket keys carry the workspace in a hash tag (`bgw:{ws}:…`), so a Redis Cluster keeps one
 * workspace's buckets in one slot, as multi-key scripts require.
 */

// KEYS: buckets. ARGV: guardMs, then per bucket limit, windowMs, raiseTo, raiseResetAt and
// raiseTolerance. raiseTo > 0 first raises that bucket's count (reconciliation riding along with
// the take) if its window ends at raiseResetAt. Returns {granted, resetAtMs, nowMs, usedOfFirst}.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local guard = tonumber(ARGV[1])
local used = {}
local starts = {}
local refused = nil
for i = 1, #KEYS do
  local a = 2 + (i - 1) * 5
  local limit = tonumber(ARGV[a])
  local window = tonumber(ARGV[a + 1])
  local raiseTo = tonumber(ARGV[a + 2])
  local start = now - (now % window)
  local h = redis.call('HMGET', KEYS[i], 'start', 'used')
  local u = 0
  if tonumber(h[1]) == start then u = tonumber(h[2]) or 0 end
  if raiseTo > u and math.abs(start + window - tonumber(ARGV[a + 3])) <= tonumber(ARGV[a + 4]) then
    u = raiseTo
    redis.call('HSET', KEYS[i], 'start', start, 'used', u)
    redis.call('PEXPIREAT', KEYS[i], start + window + 60000)
  end
  used[i] = u
  starts[i] = start
  if refused == nil and (u >= limit or now >= start + window - guard) then refused = start + window end
end
if refused ~= nil then return {0, refused, now, used[1]} end
for i = 1, #KEYS do
  local window = tonumber(ARGV[3 + (i - 1) * 5])
  redis.call('HSET', KEYS[i], 'start', starts[i], 'used', used[i] + 1)
  redis.call('PEXPIREAT', KEYS[i], starts[i] + window + 60000)
end
return {1, starts[1] + tonumber(ARGV[3]), now, used[1] + 1}
`;

// KEYS[1]: bucket. ARGV: windowMs, used, resetAtMs, toleranceMs. Raises, never lowers.
const RAISE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local start = now - (now % window)
if math.abs(start + window - tonumber(ARGV[3])) > tonumber(ARGV[4]) then return -1 end
local h = redis.call('HMGET', KEYS[1], 'start', 'used')
local u = 0
if tonumber(h[1]) == start then u = tonumber(h[2]) or 0 end
local want = tonumber(ARGV[2])
if want > u then
  redis.call('HSET', KEYS[1], 'start', start, 'used', want)
  redis.call('PEXPIREAT', KEYS[1], start + window + 60000)
  return want
end
return u
`;

// KEYS[1]: bucket. ARGV: windowMs, units. Adds to the current window.
const ADD = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local start = now - (now % window)
local h = redis.call('HMGET', KEYS[1], 'start', 'used')
local u = 0
if tonumber(h[1]) == start then u = tonumber(h[2]) or 0 end
redis.call('HSET', KEYS[1], 'start', start, 'used', u + tonumber(ARGV[2]))
redis.call('PEXPIREAT', KEYS[1], start + window + 60000)
return u + tonumber(ARGV[2])
`;

// KEYS: buckets. ARGV: windowMs per bucket. Returns now, then used and resetAtMs per bucket.
const READ = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {now}
for i = 1, #KEYS do
  local window = tonumber(ARGV[i])
  local start = now - (now % window)
  local h = redis.call('HMGET', KEYS[i], 'start', 'used')
  local u = 0
  if tonumber(h[1]) == start then u = tonumber(h[2]) or 0 end
  out[#out + 1] = u
  out[#out + 1] = start + window
end
return out
`;

interface BudgetCommands {
  budgetTake(...args: Array<string | number>): Promise<[number, number, number, number]>;
  budgetRaise(...args: Array<string | number>): Promise<number>;
  budgetAdd(...args: Array<string | number>): Promise<number>;
  budgetRead(...args: Array<string | number>): Promise<number[]>;
}

export interface RedisStoreOptions {
  /** REDIS_URL: one node, `redis+cluster://…` or `redis+sentinel://…` (see redisConnection.ts). */
  url: string;
  /** Longest a Redis call may take before the budget treats Redis as down. */
  commandTimeoutMs?: number;
}

export class RedisStore implements BudgetStore {
  readonly redis: RedisClient & BudgetCommands;

  constructor(opts: RedisStoreOptions) {
    const options: RedisOptions = {
      // Fail fast while disconnected: the budget then falls back to a local store at once,
      // instead of queueing acquires behind a dead connection.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.commandTimeoutMs ?? 500,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2_000),
      lazyConnect: false,
    };
    const conn = parseRedisUrl(opts.url);
    if (typeof conn === 'string') throw new Error(conn);
    this.redis = createRedisClient(conn, options) as RedisClient & BudgetCommands;
    this.redis.defineCommand('budgetTake', { lua: TAKE });
    this.redis.defineCommand('budgetRaise', { lua: RAISE, numberOfKeys: 1 });
    this.redis.defineCommand('budgetAdd', { lua: ADD, numberOfKeys: 1 });
    this.redis.defineCommand('budgetRead', { lua: READ });
    // ioredis reconnects by itself and reports errors as events; without a listener an error
    // event would throw. Interested parties subscribe with `onReady` / `onError`.
    this.redis.on('error', () => undefined);
  }

  /** Call `listener` whenever the connection becomes usable (again). */
  onReady(listener: () => void): void {
    this.redis.on('ready', listener);
  }

  /** Call `listener` on every connection error (ioredis keeps reconnecting by itself). */
  onError(listener: (err: Error) => void): void {
    this.redis.on('error', listener);
  }

  get ready(): boolean {
    return this.redis.status === 'ready';
  }

  /** Resolves when connected, or after `timeoutMs` (false) — start-up need not block on Redis. */
  async waitReady(timeoutMs: number): Promise<boolean> {
    if (this.ready) return true;
    return new Promise<boolean>((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        this.redis.off('ready', onReady);
        resolve(ok);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      this.redis.once('ready', onReady);
    });
  }

  async take(
    buckets: readonly Bucket[],
    guardMs: number,
    raises: ReadonlyArray<PendingRaise | undefined> = [],
  ): Promise<TakeResult> {
    const args: Array<string | number> = [buckets.length, ...buckets.map((b) => b.key), guardMs];
    buckets.forEach((b, i) => {
      const r = raises[i];
      args.push(b.limit, b.windowMs, r?.used ?? 0, r?.resetAtMs ?? 0, r?.toleranceMs ?? 0);
    });
    const [granted, resetAtMs, nowMs, used] = await this.redis.budgetTake(...args);
    return { granted: granted === 1, resetAtMs, nowMs, used };
  }

  async raise(bucket: Bucket, raise: PendingRaise): Promise<void> {
    await this.redis.budgetRaise(bucket.key, bucket.windowMs, raise.used, raise.resetAtMs, raise.toleranceMs);
  }

  async add(bucket: Bucket, units: number): Promise<void> {
    await this.redis.budgetAdd(bucket.key, bucket.windowMs, units);
  }

  async read(buckets: readonly Bucket[]): Promise<BucketReading[]> {
    const out = await this.redis.budgetRead(
      buckets.length,
      ...buckets.map((b) => b.key),
      ...buckets.map((b) => b.windowMs),
    );
    const nowMs = out[0]!;
    return buckets.map((_, i) => ({ used: out[1 + i * 2]!, resetAtMs: out[2 + i * 2]!, nowMs }));
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
