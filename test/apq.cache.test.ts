import { createHash, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PersistedQueryCache } from '../src/app/persistedQueries.js';
import { memoryLogger, useStacks } from './helpers.js';
import { startTestRedis, type TestRedis } from './redisServer.js';

/**
 * The APQ store (src/app/persistedQueries.ts) on a real Redis of its own: TTLs, the bound on one
 * entry and on memory, and Redis errors turned into misses; then APQ on one gateway without
 * Redis, and APQ turned off.
 */

let server: TestRedis | undefined;
let redis: Redis | undefined;
beforeAll(async () => {
  server = await startTestRedis();
  redis = new Redis(server.url);
  await redis.ping();
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});
afterEach(async () => {
  await redis!.config('SET', 'maxmemory', '0');
});

/** A cache on the test Redis under a fresh prefix, and its log lines. */
function cacheFor(opts: { ttlSeconds?: number; shared?: () => boolean; maxMemoryChars?: number } = {}) {
  const { log, lines } = memoryLogger();
  const prefix = `bgw:{ws-${randomUUID()}}`;
  const cache = new PersistedQueryCache({
    prefix,
    redis: redis!,
    log,
    ttlSeconds: opts.ttlSeconds ?? 86_400,
    ...(opts.shared === undefined ? {} : { shared: opts.shared }),
    ...(opts.maxMemoryChars === undefined ? {} : { maxMemoryChars: opts.maxMemoryChars }),
  });
  /** The same prefix on a fresh instance: reads only what Redis holds. */
  const sibling = () => new PersistedQueryCache({ prefix, redis: redis!, log, ttlSeconds: 86_400 });
  return { cache, sibling, lines, key: (k: string) => `${prefix}:apollo:${k}` };
}

const logged = (lines: string[], text: string) => lines.filter((l) => l.includes(text)).length;

describe('PersistedQueryCache on Redis', () => {
  it('stores with its TTL unless Apollo passes one, and a sibling reads it from Redis', async () => {
    const { cache, sibling, key } = cacheFor({ ttlSeconds: 7_200 });
    await cache.set('apq:a', '{ a }');
    await cache.set('apq:b', '{ b }', { ttl: 60 });
    await cache.set('apq:c', '{ c }', { ttl: null });
    expect(await redis!.ttl(key('apq:a'))).toBeGreaterThan(7_100);
    expect(await redis!.ttl(key('apq:b'))).toBeLessThanOrEqual(60);
    expect(await redis!.ttl(key('apq:b'))).toBeGreaterThan(0);
    // "Forever" is not an option: the configured TTL bounds every entry.
    expect(await redis!.ttl(key('apq:c'))).toBeGreaterThan(7_100);
    const other = sibling();
    expect(await other.get('apq:a')).toBe('{ a }');
    expect(await other.get('apq:a')).toBe('{ a }');
    expect(other.stats).toMatchObject({ redisHits: 1, localHits: 1, misses: 0 });
    expect(await other.get('apq:never')).toBeUndefined();
    expect(await cache.delete('apq:a')).toBe(true);
    expect(await redis!.exists(key('apq:a'))).toBe(0);
  });

  it('does not store a document longer than the entry bound', async () => {
    const { log } = memoryLogger();
    const prefix = `bgw:{ws-${randomUUID()}}`;
    const cache = new PersistedQueryCache({ prefix, redis: redis!, log, ttlSeconds: 60, maxEntryChars: 100 });
    await cache.set('apq:long', `{ ${'a'.repeat(200)} }`);
    await cache.set('apq:short', '{ a }');
    expect(await cache.get('apq:long')).toBeUndefined();
    expect(await redis!.exists(`${prefix}:apollo:apq:long`)).toBe(0);
    expect(await cache.get('apq:short')).toBe('{ a }');
  });

  it('keeps its memory within bounds', async () => {
    const { cache } = cacheFor({ shared: () => false, maxMemoryChars: 1_000 });
    for (let i = 0; i < 50; i++) await cache.set(`apq:${i}`, `${i}`.padEnd(100, ' '));
    let kept = 0;
    for (let i = 0; i < 50; i++) if ((await cache.get(`apq:${i}`)) !== undefined) kept += 1;
    expect(kept).toBeLessThanOrEqual(10);
    expect(await cache.get('apq:49')).toBeDefined();
  });

  it('turns a failing read into a miss and a refused write into a local entry, logging once until Redis answers again', async () => {
    const { cache, lines, key } = cacheFor();
    // A real Redis error on GET: the key holds a hash, not a string.
    await redis!.hset(key('apq:wrongtype'), 'f', 'v');
    expect(await cache.get('apq:wrongtype')).toBeUndefined();
    expect(await cache.get('apq:wrongtype')).toBeUndefined();
    // A real Redis error on SET: out of memory with eviction off.
    await redis!.config('SET', 'maxmemory-policy', 'noeviction');
    await redis!.config('SET', 'maxmemory', '1');
    await expect(cache.set('apq:oom', '{ oom }')).resolves.toBeUndefined();
    await redis!.config('SET', 'maxmemory', '0');
    expect(await redis!.exists(key('apq:oom'))).toBe(0);
    expect(await cache.get('apq:oom')).toBe('{ oom }');
    expect(cache.stats.redisErrors).toBe(3);
    expect(logged(lines, 'persisted queries: Redis is unavailable')).toBe(1);
    expect(logged(lines, 'WRONGTYPE')).toBe(1);
    expect(logged(lines, 'persisted queries: Redis answers again')).toBe(0);
    await cache.set('apq:after', '{ after }');
    expect(await redis!.get(key('apq:after'))).toBe('{ after }');
    expect(logged(lines, 'persisted queries: Redis answers again')).toBe(1);
  });

  it('leaves Redis alone while the budget says it is unusable', async () => {
    let shared = false;
    const { cache, sibling, lines, key } = cacheFor({ shared: () => shared });
    await cache.set('apq:local', '{ local }');
    expect(await redis!.exists(key('apq:local'))).toBe(0);
    expect(await cache.get('apq:local')).toBe('{ local }');
    expect(await sibling().get('apq:local')).toBeUndefined();
    expect(logged(lines, 'persisted queries: Redis is unavailable')).toBe(1);
    shared = true;
    await cache.set('apq:shared', '{ shared }');
    expect(await sibling().get('apq:shared')).toBe('{ shared }');
    expect(logged(lines, 'persisted queries: Redis answers again')).toBe(1);
  });
});

describe('APQ on one gateway', () => {
  const startStack = useStacks();
  const post = async (url: string, body: unknown) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return (await res.json()) as { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> };
  };
  const query = '{ rateBudget { group } }';
  const extensions = {
    persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') },
  };

  it('works in memory without REDIS_URL', async () => {
    const stack = await startStack();
    expect(stack.gw.core.persistedQueries).toBeDefined();
    expect((await post(stack.gw.url, { extensions })).errors![0]!.extensions!.code).toBe(
      'PERSISTED_QUERY_NOT_FOUND',
    );
    const registered = await post(stack.gw.url, { query, extensions });
    expect(registered.errors).toBeUndefined();
    expect(await post(stack.gw.url, { extensions })).toEqual(registered);
  });

  it('is refused with PERSISTED_QUERY_NOT_SUPPORTED when APQ_TTL_SECONDS=0, and full queries still run', async () => {
    const stack = await startStack({ env: { APQ_TTL_SECONDS: '0' } });
    expect(stack.gw.core.persistedQueries).toBeUndefined();
    for (const body of [{ extensions }, { query, extensions }]) {
      expect((await post(stack.gw.url, body)).errors![0]!.extensions!.code).toBe(
        'PERSISTED_QUERY_NOT_SUPPORTED',
      );
    }
    expect((await post(stack.gw.url, { query })).errors).toBeUndefined();
  });
});
