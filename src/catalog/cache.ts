import type { RedisClient } from '../budget/redisConnection.js';
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
  redis?: RedisClient;
  log: Logger;
  now?: () => number;
  telemetry?: Telemetry;
  /**
   * Most entries this replica keeps in memory (default 10,000). Keys can come from callers'
   * arguments (list filters, ids), so the map must not grow without bound: past the cap, expired
   * entries go first, then the oldest written. Redis entries expire by their TTL alone.
   */
  maxMemoryEntries?: number;
}

/** Per call of `getOrLoad`. */
export interface LoadOptions<T> {
  /**
   * Whether a loaded value is stored (default: always). False still answers the callers waiting
   * on this load; the next call loads again (e.g. "no such id", which may soon exist).
   */
  keep?: (value: T) => boolean;
}

interface Entry {
  value: unknown;
  expiresAtMs: number;
}

const LOCK_MS = 15_000;
const POLL_MS = 50;
const DEFAULT_MAX_MEMORY_ENTRIES = 10_000;

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

  async getOrLoad<T>(
    key: string,
    ttlMs: number,
    load: () => Promise<T>,
    opts: LoadOptions<T> = {},
  ): Promise<T> {
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
    const work = this.#loadOnce(key, ttlMs, load, opts).finally(() => this.#inFlight.delete(key));
    this.#inFlight.set(key, work);
    return work;
  }

  /** Forget a key everywhere (tests, and after writes that change the answer). */
  async delete(key: string): Promise<void> {
    this.#memory.delete(key);
    await this.#opts.redis?.del(this.#redisKey(key)).catch(() => undefined);
  }

  async #loadOnce<T>(key: string, ttlMs: number, load: () => Promise<T>, opts: LoadOptions<T>): Promise<T> {
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
        return await this.#loadAndStore(key, ttlMs, load, opts);
      } finally {
        await redis.del(lockKey).catch(() => undefined);
      }
    }
    return this.#loadAndStore(key, ttlMs, load, opts);
  }

  async #loadAndStore<T>(
    key: string,
    ttlMs: number,
    load: () => Promise<T>,
    opts: LoadOptions<T>,
  ): Promise<T> {
    this.stats.loads += 1;
    const value = await load();
    if (opts.keep !== undefined && !opts.keep(value)) return value;
    this.#remember(key, { value, expiresAtMs: this.#now() + ttlMs });
    const redis = this.#usableRedis();
    if (redis !== undefined) {
      await redis.set(this.#redisKey(key), JSON.stringify(value), 'PX', ttlMs).catch((err: unknown) => {
        this.#opts.log.warn({ err: String(err), key }, 'cache: could not write to Redis; kept in memory');
      });
    }
    return value;
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

  /** Stores in memory within the cap: expired entries go first, then the oldest written. */
  #remember(key: string, entry: Entry): void {
    const max = this.#opts.maxMemoryEntries ?? DEFAULT_MAX_MEMORY_ENTRIES;
    this.#memory.delete(key);
    if (this.#memory.size >= max) {
      const now = this.#now();
      for (const [k, e] of this.#memory) if (e.expiresAtMs <= now) this.#memory.delete(k);
      // A Map iterates in insertion order: the first keys are the oldest written.
      for (const k of this.#memory.keys()) {
        if (this.#memory.size < max) break;
        this.#memory.delete(k);
      }
    }
    this.#memory.set(key, entry);
  }

  #usableRedis(): RedisClient | undefined {
    const redis = this.#opts.redis;
    return redis !== undefined && redis.status === 'ready' ? redis : undefined;
  }

  #redisKey(key: string): string {
    return `${this.#opts.prefix}:cache:${key}`;
  }
}
