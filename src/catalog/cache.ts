import type { Redis } from 'ioredis';
import type { Logger } from '../observability/log.js';
import type { Telemetry } from '../observability/metrics.js';

/**
 * A cache shared by every replica (Redis when configured, memory otherwise) for answers that cost
 * scarce budget — `/events/list` and `/purchases/product_list` share 1,000 requests an hour.
 *
 * `getOrLoad` guarantees that concurrent misses make one upstream call: within a process through
 * a map of loads in flight; across replicas through a short Redis lock, whose losers wait for the
 * winner's answer to appear in the cache (and load themselves only if it never does).
 */
export interface SharedCacheOptions {
  /** Key prefix, per workspace. */
  prefix: string;
  redis?: Redis;
  log: Logger;
  now?: () => number;
  telemetry?: Telemetry;
  /**
   * Most entries kept in this replica's memory (analytics keys are as many as argument sets):
   * when full, expired entries go first, then the oldest written. Default 10,000.
   */
  maxEntries?: number;
}

interface Entry {
  value: unknown;
  expiresAtMs: number;
}

const LOCK_MS = 15_000;
const DEFAULT_MAX_ENTRIES = 10_000;
const POLL_MS = 50;

export class SharedCache {
  readonly #opts: SharedCacheOptions;
  readonly #now: () => number;
  readonly #memory = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<unknown>>();
  readonly stats = { hits: 0, misses: 0, loads: 0 };

  constructor(opts: SharedCacheOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
  }

  async getOrLoad<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const cached = await this.#get<T>(key);
    if (cached !== undefined) {
      this.stats.hits += 1;
      this.#opts.telemetry?.cache('hit');
      return cached;
    }
    this.stats.misses += 1;
    this.#opts.telemetry?.cache('miss');
    const running = this.#inFlight.get(key);
    if (running !== undefined) return running as Promise<T>;
    const work = this.#loadOnce(key, ttlMs, load).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, work);
    return work;
  }

  /** Forget a key everywhere (tests, and after writes that change the answer). */
  async delete(key: string): Promise<void> {
    this.#memory.delete(key);
    await this.#opts.redis?.del(this.#redisKey(key)).catch(() => undefined);
  }

  async #loadOnce<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const redis = this.#usableRedis();
    if (redis !== undefined) {
      const lockKey = `${this.#redisKey(key)}:lock`;
      const won = await redis.set(lockKey, '1', 'PX', LOCK_MS, 'NX').catch(() => 'OK');
      if (won !== 'OK') {
        // Another replica is loading: wait for its answer rather than spend budget twice.
        const until = this.#now() + LOCK_MS;
        while (this.#now() < until) {
          await new Promise((r) => setTimeout(r, POLL_MS));
          const v = await this.#get<T>(key);
          if (v !== undefined) return v;
          if ((await redis.exists(lockKey).catch(() => 0)) === 0) break;
        }
      }
      try {
        return await this.#loadAndStore(key, ttlMs, load);
      } finally {
        await redis.del(lockKey).catch(() => undefined);
      }
    }
    return this.#loadAndStore(key, ttlMs, load);
  }

  async #loadAndStore<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    this.stats.loads += 1;
    const value = await load();
    this.#remember(key, { value, expiresAtMs: this.#now() + ttlMs });
    const redis = this.#usableRedis();
    if (redis !== undefined) {
      await redis.set(this.#redisKey(key), JSON.stringify(value), 'PX', ttlMs).catch((err: unknown) => {
        this.#opts.log.warn({ err: String(err), key }, 'cache: could not write to Redis; kept in memory');
      });
    }
    return value;
  }

  /** Keep `entry` in memory within `maxEntries`: expired entries go first, then the oldest. */
  #remember(key: string, entry: Entry): void {
    const max = this.#opts.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#memory.delete(key);
    if (this.#memory.size >= max) {
      const now = this.#now();
      for (const [k, e] of this.#memory) if (e.expiresAtMs <= now) this.#memory.delete(k);
      for (const k of this.#memory.keys()) {
        if (this.#memory.size < max) break;
        this.#memory.delete(k);
      }
    }
    this.#memory.set(key, entry);
  }

  async #get<T>(key: string): Promise<T | undefined> {
    const redis = this.#usableRedis();
    if (redis !== undefined) {
      try {
        const raw = await redis.get(this.#redisKey(key));
        if (raw !== null) return JSON.parse(raw) as T;
        return undefined;
      } catch {
        // Redis unusable right now: this replica's memory still serves.
      }
    }
    const entry = this.#memory.get(key);
    if (entry === undefined || entry.expiresAtMs <= this.#now()) return undefined;
    return entry.value as T;
  }

  #usableRedis(): Redis | undefined {
    const redis = this.#opts.redis;
    return redis !== undefined && redis.status === 'ready' ? redis : undefined;
  }

  #redisKey(key: string): string {
    return `${this.#opts.prefix}:cache:${key}`;
  }
}
