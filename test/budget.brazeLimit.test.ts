import { describe, expect, it } from 'vitest';
import { bindsTighter, inferWindowSec } from '../src/budget/brazeLimit.js';

/** Which window a Braze `X-RateLimit-Limit` counts in, read from `X-RateLimit-Reset` (pure rules). */

// 2027-01-15T12:00:00Z: a day, hour and minute boundary alike.
const NOON = Date.UTC(2027, 0, 15, 12, 0, 0);
const s = (n: number) => n * 1_000;

describe('inferWindowSec', () => {
  it.each([
    // [what, reset, arrived, window in force, inferred]
    ['a reset ~60 s away on a minute boundary, group per minute', NOON + s(60), NOON + s(0.5), 60, 60],
    ['a reset 40 s away on a minute boundary, group per minute', NOON + s(60), NOON + s(20), 60, 60],
    ['a reset 1.8 s away on a 3 s boundary only, group per minute', NOON + s(3), NOON + s(1.2), 60, 3],
    ['a reset 2.5 s away on a 3 s boundary only, group per hour', NOON + s(3), NOON + s(0.5), 3_600, 3],
    ['a reset 40 s away on a minute boundary, group per 3 s', NOON + s(60), NOON + s(20), 3, 60],
    ['a reset 30 min away on an hour boundary, group per minute', NOON, NOON - s(1_800), 60, 3_600],
    ['a reset 2 s away on a minute boundary, group per 3 s (fits both: kept)', NOON, NOON - s(2), 3, 3],
    ['a reset 2 s away on a minute boundary, group per minute (fits both: kept)', NOON, NOON - s(2), 60, 60],
    ['a window configured off the list, still consistent', NOON + s(10), NOON + s(4), 10, 10],
  ])('%s', (_what, resetAtMs, receivedAtMs, inForce, expected) => {
    expect(inferWindowSec(resetAtMs, receivedAtMs, inForce)).toBe(expected);
  });

  it.each([
    ['no reset header', undefined, NOON, 60],
    ['a reset long past', NOON - s(30), NOON, 60],
    ['a reset 7 s away on no 3 s or minute boundary', NOON + s(7), NOON, 60],
    ['a reset 90 s away on a minute boundary that ends no hour', NOON + s(120), NOON + s(30), 60],
  ])('infers nothing from %s', (_what, resetAtMs, receivedAtMs, inForce) => {
    expect(inferWindowSec(resetAtMs, receivedAtMs, inForce)).toBeUndefined();
  });
});

describe('bindsTighter', () => {
  it('compares counts over the same window', () => {
    expect(bindsTighter({ limit: 50_000, windowSec: 60 }, { limit: 1_000, windowSec: 60 })).toBe(true);
    expect(bindsTighter({ limit: 1_000, windowSec: 60 }, { limit: 1_000, windowSec: 60 })).toBe(false);
    expect(bindsTighter({ limit: 1_000, windowSec: 60 }, { limit: 2_000, windowSec: 60 })).toBe(false);
  });

  it('counts the configured limit whole in a shorter Braze window (it could burst into it)', () => {
    expect(bindsTighter({ limit: 50_000, windowSec: 60 }, { limit: 3_000, windowSec: 3 })).toBe(true);
    expect(bindsTighter({ limit: 2_000, windowSec: 60 }, { limit: 3_000, windowSec: 3 })).toBe(false);
  });

  it('sums the configured rate over a longer Braze window', () => {
    // 3,000 per 3 s is 60,000 a minute.
    expect(bindsTighter({ limit: 3_000, windowSec: 3 }, { limit: 20_000, windowSec: 60 })).toBe(true);
    expect(bindsTighter({ limit: 3_000, windowSec: 3 }, { limit: 60_000, windowSec: 60 })).toBe(false);
  });
});
