import { describe, expect, it } from 'vitest';
import { SharedCache } from '../src/catalog/cache.js';
import { memoryLogger } from './helpers.js';

/** The catalog cache's memory side: bounded, and able to answer without storing. */

function cache(maxMemoryEntries: number, clock: { t: number }): SharedCache {
  return new SharedCache({ prefix: 't', log: memoryLogger().log, now: () => clock.t, maxMemoryEntries });
}

describe('SharedCache in memory', () => {
  it('keeps at most maxMemoryEntries: expired entries go first, then the oldest written', async () => {
    const clock = { t: 0 };
    const c = cache(3, clock);
    const loads: string[] = [];
    const get = (key: string, ttlMs = 1_000) =>
      c.getOrLoad(key, ttlMs, async () => {
        loads.push(key);
        return key.toUpperCase();
      });
    await get('short', 10);
    await get('a');
    await get('b');
    clock.t = 20; // `short` has expired: it makes room, `a` stays.
    await get('c');
    expect(await get('a')).toBe('A');
    await get('d'); // full of live entries: the oldest written (`a`) goes.
    await get('b');
    await get('a');
    expect(loads).toEqual(['short', 'a', 'b', 'c', 'd', 'a']);
  });

  it('answers a value `keep` refuses without storing it, so the next call loads again', async () => {
    const c = cache(10, { t: 0 });
    let loads = 0;
    const get = () =>
      c.getOrLoad(
        'missing',
        1_000,
        async () => {
          loads += 1;
          return null;
        },
        { keep: (v) => v !== null },
      );
    // Concurrent callers still share the one load in flight.
    expect(await Promise.all([get(), get()])).toEqual([null, null]);
    expect(loads).toBe(1);
    await get();
    expect(loads).toBe(2);
  });
});
