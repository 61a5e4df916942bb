import type { RedisOptions } from 'ioredis';
import { createRedisClient, parseRedisUrl, type RedisClient } from './redisConnection.js';
import type {
  Bucket,
  BucketReading,
  BudgetStore,
  FairAsk,
  PendingRaise,
  ShareReading,
  TakeResult,
} from './store.js';

/** A group's fair-share hash: beside its bucket, in the same Cluster slot (same hash tag). */
function fairKey(bucket: Bucket): string {
  return `${bucket.key}:fair`;
}

/**
 * The shared store: one Redis hash per bucket (`start`, `used`), changed only by Lua scripts
 * that read Redis's own clock (TIME). So every call is one round trip, replicas never read
 * then write, and their clocks don't matter. Keys expire shortly after their window ends.
 * Bucket keys carry the workspace in a hash tag (`bgw:{ws}:…`), so a Redis Cluster keeps one
 * workspace's buckets in one slot, as multi-key scripts require.
 */

// KEYS: buckets, then (fair takes) the group's fair-share hash. ARGV: the number of buckets,
// guardMs, then per bucket limit, windowMs, raiseTo, raiseResetAt and raiseTolerance. raiseTo > 0
// first raises that bucket's count (reconciliation riding along with the take) if its window ends
// at raiseResetAt. A fair take goes on with activeMs, the corrections' window end, their count
// and (caller, milli) pairs, then the candidates' count and (caller, weight, need) triples: the
// same rule as store.ts `fairPick` (its comment says why). The fair hash holds `start`, and per
// caller `u:<caller>` (milli-units charged this window), `p:<caller>` (the window before),
// `a:<caller>` (waiting until), `w:<caller>` (weight) and `n:<caller>` (items waiting).
// Returns {granted, resetAtMs, nowMs, usedOfFirst, chargedCaller or ''}.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nb = tonumber(ARGV[1])
local guard = tonumber(ARGV[2])
local used = {}
local starts = {}
local refused = nil
for i = 1, nb do
  local a = 3 + (i - 1) * 5
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
local limit1 = tonumber(ARGV[3])
local window1 = tonumber(ARGV[4])
local resetAt = starts[1] + window1
local charged = ''
local f = 3 + nb * 5
if #KEYS > nb then
  local fk = KEYS[nb + 1]
  local activeMs = tonumber(ARGV[f])
  local h = redis.call('HGETALL', fk)
  local was = nil
  for i = 1, #h, 2 do if h[i] == 'start' then was = tonumber(h[i + 1]) end end
  local fresh = was ~= starts[1]
  -- A new window: charges start from 0; the last window's become the pace if it was the one before.
  local follows = was == starts[1] - window1
  local mine = {}
  local prev = {}
  local act = {}
  local weight = {}
  local need = {}
  for i = 1, #h, 2 do
    local kind = string.sub(h[i], 1, 2)
    local c = string.sub(h[i], 3)
    if kind == 'u:' then
      if fresh then
        redis.call('HDEL', fk, h[i])
        if follows then
          prev[c] = tonumber(h[i + 1])
          redis.call('HSET', fk, 'p:' .. c, h[i + 1])
        end
      else mine[c] = tonumber(h[i + 1]) end
    elseif kind == 'p:' then
      if not fresh then prev[c] = tonumber(h[i + 1])
      elseif prev[c] == nil and mine[c] == nil then redis.call('HDEL', fk, h[i]) end
    elseif kind == 'a:' then act[c] = tonumber(h[i + 1])
    elseif kind == 'w:' then weight[c] = tonumber(h[i + 1])
    elseif kind == 'n:' then need[c] = tonumber(h[i + 1]) end
  end
  if fresh then redis.call('HSET', fk, 'start', starts[1]) end
  local p = f + 3
  if tonumber(ARGV[f + 1]) == resetAt then
    for i = 1, tonumber(ARGV[f + 2]) do
      local c = ARGV[p]
      local v = math.max(0, (mine[c] or 0) + tonumber(ARGV[p + 1]))
      mine[c] = v
      redis.call('HSET', fk, 'u:' .. c, v)
      p = p + 2
    end
  else
    p = p + 2 * tonumber(ARGV[f + 2])
  end
  local mark = now + activeMs
  if refused ~= nil then mark = refused + activeMs end
  local cands = {}
  for i = 1, tonumber(ARGV[p]) do
    local c = ARGV[p + 3 * i - 2]
    local w = tonumber(ARGV[p + 3 * i - 1])
    cands[#cands + 1] = {c = c, w = w}
    act[c] = math.max(mark, act[c] or 0)
    weight[c] = w
    need[c] = tonumber(ARGV[p + 3 * i])
    redis.call('HSET', fk, 'a:' .. c, act[c], 'w:' .. c, w, 'n:' .. c, need[c])
  end
  redis.call('PEXPIREAT', fk, math.max(resetAt, mark) + 60000)
  if refused == nil then
    local total = 0
    for c, u in pairs(act) do if u > now then total = total + (weight[c] or 1) end end
    local elapsed = math.max(1, now - starts[1])
    local left = resetAt - now
    table.sort(cands, function(x, y)
      local rx = (mine[x.c] or 0) / x.w
      local ry = (mine[y.c] or 0) / y.w
      if rx ~= ry then return rx < ry end
      return x.c < y.c
    end)
    for _, cand in ipairs(cands) do
      local m = mine[cand.c] or 0
      local ok = m + 1000 <= limit1 * cand.w * 1000 / total
      if not ok then
        local reserved = 0
        for d, u in pairs(act) do
          if d ~= cand.c and u > now then
            local theirs = mine[d] or 0
            local unclaimed = limit1 * (weight[d] or 1) * 1000 / total - theirs
            if unclaimed > 0 then
              local likely = math.max((need[d] or 1) * 1000, (prev[d] or 0) * left / window1, theirs * left / elapsed)
              reserved = reserved + math.min(unclaimed, likely)
            end
          end
        end
        ok = (limit1 - used[1] - 1) * 1000 >= reserved
      end
      if ok then
        charged = cand.c
        redis.call('HSET', fk, 'u:' .. charged, m + 1000)
        break
      end
    end
    if charged == '' then
      return {0, math.min(resetAt, now + math.max(20, math.floor(activeMs / 4))), now, used[1], ''}
    end
  end
end
if refused ~= nil then return {0, refused, now, used[1], ''} end
for i = 1, nb do
  local window = tonumber(ARGV[4 + (i - 1) * 5])
  redis.call('HSET', KEYS[i], 'start', starts[i], 'used', used[i] + 1)
  redis.call('PEXPIREAT', KEYS[i], starts[i] + window + 60000)
end
return {1, resetAt, now, used[1] + 1, charged}
`;

// KEYS[1]: a group's fair-share hash. ARGV: windowMs. Returns now, then per caller its name,
// milli-units charged this window, weight and waiting-until.
const READ_SHARES = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local h = redis.call('HGETALL', KEYS[1])
local fresh = tonumber(redis.call('HGET', KEYS[1], 'start')) ~= now - (now % window)
local mine, act, weight = {}, {}, {}
for i = 1, #h, 2 do
  local kind = string.sub(h[i], 1, 2)
  local c = string.sub(h[i], 3)
  if kind == 'u:' and not fresh then mine[c] = h[i + 1]
  elseif kind == 'a:' then act[c] = h[i + 1]
  elseif kind == 'w:' then weight[c] = h[i + 1] end
end
local out = {now}
for c, u in pairs(act) do
  out[#out + 1] = c
  out[#out + 1] = mine[c] or '0'
  out[#out + 1] = weight[c] or '1'
  out[#out + 1] = u
end
return out
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
  budgetTake(...args: Array<string | number>): Promise<[number, number, number, number, string]>;
  budgetReadShares(...args: Array<string | number>): Promise<Array<number | string>>;
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
    this.redis.defineCommand('budgetReadShares', { lua: READ_SHARES, numberOfKeys: 1 });
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
    fair?: FairAsk,
  ): Promise<TakeResult> {
    const isFair = fair !== undefined && fair.candidates.length > 0;
    const keys = buckets.map((b) => b.key);
    if (isFair) keys.push(fairKey(buckets[0]!));
    const args: Array<string | number> = [keys.length, ...keys, buckets.length, guardMs];
    buckets.forEach((b, i) => {
      const r = raises[i];
      args.push(b.limit, b.windowMs, r?.used ?? 0, r?.resetAtMs ?? 0, r?.toleranceMs ?? 0);
    });
    if (isFair) {
      const corr = fair.corrections;
      args.push(fair.activeMs, corr?.resetAtMs ?? 0, corr?.milli.size ?? 0);
      for (const [c, milli] of corr?.milli ?? []) args.push(c, Math.round(milli));
      args.push(fair.candidates.length);
      for (const { caller, weight, need } of fair.candidates) args.push(caller, weight, need);
    }
    const [granted, resetAtMs, nowMs, used, caller] = await this.redis.budgetTake(...args);
    return {
      granted: granted === 1,
      resetAtMs,
      nowMs,
      used,
      ...(granted === 1 && caller !== '' ? { caller } : {}),
    };
  }

  async readShares(bucket: Bucket): Promise<{ nowMs: number; shares: ShareReading[] }> {
    const out = await this.redis.budgetReadShares(fairKey(bucket), bucket.windowMs);
    const shares: ShareReading[] = [];
    for (let i = 1; i + 3 < out.length; i += 4) {
      shares.push({
        caller: String(out[i]),
        usedMilli: Number(out[i + 1]),
        weight: Number(out[i + 2]),
        activeUntilMs: Number(out[i + 3]),
      });
    }
    return { nowMs: Number(out[0]), shares };
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
