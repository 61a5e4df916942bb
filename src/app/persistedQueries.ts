import {
  InMemoryLRUCache,
  type KeyValueCache,
  type KeyValueCacheSetOptions,
} from '@apollo/utils.keyvaluecache';
import type { RedisClient } from '../budget/redisConnection.js';
import type { Logger } from '../observability/log.js';

/**
 * Where Apollo keeps automatic persisted queries (APQ): the documents clients registered by their
 * sha256, so that later requests may send the hash alone. Apollo's default is an in-memory LRU
 * per process, so behind a load balancer a hash registered on one replica is unknown to the next
 * one. With REDIS_URL the documents live in the Redis the rate budget uses, so every replica
 * finds them.
 *
 * Why Apollo's `KeyValueCache` over our own ioredis connection rather than
 * `@apollo/utils.keyvadapter` + Keyv: Keyv needs a store, and Keyv's Redis store brings another
 * Redis client with its own URL handling — it would neither follow our `redis+cluster://` and
 * `redis+sentinel://` forms nor share the budget's connection, and its batched `getMany` would
 * send multi-key reads that a Cluster refuses across slots. The interface is three methods; one
 * GET or one SET … EX per call is all APQ needs.
 *
 * Redis never fails a request: on a Redis fault a lookup is a miss (the client then resends the
 * full query — PERSISTED_QUERY_NOT_FOUND is the protocol's ordinary path) and a registration is
 * kept in this replica's bounded memory only. Redis is not even tried while the budget counts
 * locally (its fallback means Redis is unusable for this workspace), so an outage costs no
 * timeouts per request. The outage is logged once, and its end once.
 *
 * Every document also stays in a small local LRU (a registration here, or one read from Redis):
 * a hot hash then costs no Redis round trip, and what was registered during an outage is still
 * served by this replica. Documents never change under their hash, so the copy cannot go stale.
 *
 * A document found here is no trusted document: Apollo parses and validates it, and the
 * gateway's permission and cost checks run on it, for every request that names its hash.
 */
export interface PersistedQueryCacheOptions {
  /** Key prefix, per workspace (`bgw:{ws}`), like the budget's and the catalog cache's keys. */
  prefix: string;
  /** The budget's Redis connection; none → memory only (one replica, as Apollo's default). */
  redis?: RedisClient;
  /**
   * Whether shared state is usable now (the budget's mode is `shared`). While false, Redis is not
   * tried at all.
   */
  shared?: () => boolean;
  /** How long a registered document is kept (APQ_TTL_SECONDS), unless Apollo passes a TTL. */
  ttlSeconds: number;
  log: Logger;
  /** Characters of documents this replica keeps in memory (default 16 Mi). */
  maxMemoryChars?: number;
  /**
   * Longest document stored (default 512 Ki characters). The request body limit already bounds a
   * document; this keeps a few outsized ones from crowding Redis and the LRU. A longer document
   * still runs, it is just not registered: its client keeps sending it in full.
   */
  maxEntryChars?: number;
}

const DEFAULT_MAX_MEMORY_CHARS = 16 * 1024 * 1024;
const DEFAULT_MAX_ENTRY_CHARS = 512 * 1024;

export class PersistedQueryCache implements KeyValueCache<string> {
  readonly #opts: PersistedQueryCacheOptions;
  readonly #local: InMemoryLRUCache<string>;
  readonly #maxEntryChars: number;
  /** Whether Redis is configured but unusable, as last seen (for logging once per outage). */
  #outage = false;
  /** Lookups and registrations, for tests and diagnosis. */
  readonly stats = { localHits: 0, redisHits: 0, misses: 0, redisErrors: 0 };

  constructor(opts: PersistedQueryCacheOptions) {
    this.#opts = opts;
    this.#local = new InMemoryLRUCache<string>({
      maxSize: opts.maxMemoryChars ?? DEFAULT_MAX_MEMORY_CHARS,
    });
    this.#maxEntryChars = opts.maxEntryChars ?? DEFAULT_MAX_ENTRY_CHARS;
  }

  async get(key: string): Promise<string | undefined> {
    const local = await this.#local.get(key);
    if (local !== undefined) {
      this.stats.localHits += 1;
      return local;
    }
    const redis = this.#usableRedis();
    if (redis === undefined) {
      this.stats.misses += 1;
      return undefined;
    }
    try {
      const found = await redis.get(this.#redisKey(key));
      this.#redisAnswered();
      if (found === null) {
        this.stats.misses += 1;
        return undefined;
      }
      this.stats.redisHits += 1;
      await this.#local.set(key, found, { ttl: this.#opts.ttlSeconds });
      return found;
    } catch (err) {
      this.#redisFailed(err);
      this.stats.misses += 1;
      return undefined;
    }
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    if (value.length > this.#maxEntryChars) return;
    // A TTL from Apollo wins; none (or null, "forever") gets ours: nothing is kept unbounded.
    const ttlSeconds = options?.ttl != null && options.ttl > 0 ? options.ttl : this.#opts.ttlSeconds;
    await this.#local.set(key, value, { ttl: ttlSeconds });
    const redis = this.#usableRedis();
    if (redis === undefined) return;
    try {
      await redis.set(this.#redisKey(key), value, 'EX', ttlSeconds);
      this.#redisAnswered();
    } catch (err) {
      this.#redisFailed(err);
    }
  }

  async delete(key: string): Promise<boolean> {
    const deleted = await this.#local.delete(key);
    const redis = this.#usableRedis();
    if (redis === undefined) return deleted;
    try {
      const n = await redis.del(this.#redisKey(key));
      this.#redisAnswered();
      return deleted || n > 0;
    } catch (err) {
      this.#redisFailed(err);
      return deleted;
    }
  }

  /** The Redis key of an Apollo key (Apollo's are `apq:<sha256>`): `bgw:{ws}:apollo:apq:<sha256>`. */
  #redisKey(key: string): string {
    return `${this.#opts.prefix}:apollo:${key}`;
  }

  #usableRedis(): RedisClient | undefined {
    const { redis, shared } = this.#opts;
    if (redis === undefined) return undefined;
    if (redis.status === 'ready' && (shared?.() ?? true)) return redis;
    this.#redisFailed(undefined);
    return undefined;
  }

  #redisFailed(err: unknown): void {
    if (err !== undefined) this.stats.redisErrors += 1;
    if (this.#outage) return;
    this.#outage = true;
    this.#opts.log.warn(
      err === undefined ? {} : { err: String(err) },
      'persisted queries: Redis is unavailable; documents registered now stay in this replica only, and clients resend full queries for hashes it does not know',
    );
  }

  #redisAnswered(): void {
    if (!this.#outage) return;
    this.#outage = false;
    // warn, like the outage, so whoever saw that line sees this one.
    this.#opts.log.warn('persisted queries: Redis answers again; documents are shared across replicas');
  }
}
