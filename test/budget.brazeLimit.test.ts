import { describe, expect, it } from 'vitest';
import { bindsTighter, inferWindowSec } from '../src/budget/brazeLimit.js';

/** Which window a Braze `X-RateLimit-Limit` counts in, read from `X-RateLimit-Reset` (pure rules). */

// 2027-01-15T12:00:00Z: a day, hour and minute boundary alike.
const NOON = Date.UTC(2027, 0, 15, 12, 0, 0);
const s = (n: number) => n * 1_000;

describe('inferWindowSec', () => {
  const configured = (configuredSec: number) => ({ configuredSec });
  it.each([
    // [what, reset, arrived, windows, inferred]
    [
      'a reset ~60 s away on a minute boundary, group per minute',
      NOON + s(60),
      NOON + s(0.5),
      configured(60),
      60,
    ],
    [
      'a reset 40 s away on a minute boundary, group per minute',
      NOON + s(60),
      NOON + s(20),
      configured(60),
      60,
    ],
    [
      'a reset 1.8 s away on a 3 s boundary only, group per minute',
      NOON + s(3),
      NOON + s(1.2),
      configured(60),
      3,
    ],
    [
      'a reset 2.5 s away on a 3 s boundary only, group per hour',
      NOON + s(3),
      NOON + s(0.5),
      configured(3_600),
      3,
    ],
    ['a reset 40 s away on a minute boundary, group per 3 s', NOON + s(60), NOON + s(20), configured(3), 60],
    [
      'a reset 30 min away on an hour boundary, group per minute',
      NOON,
      NOON - s(1_800),
      configured(60),
      3_600,
    ],
    [
      'a reset 2 s away on a minute boundary (3 s and 1 min fit), group per minute: the longer',
      NOON,
      NOON - s(2),
      configured(60),
      60,
    ],
    [
      'a reset 0.8 s away on a minute boundary (1 s, 3 s, 1 min fit), group per 3 s: 3 s, not 1 s',
      NOON,
      NOON - s(0.8),
      configured(3),
      3,
    ],
    [
      'a reset 1.2 s away on a 3 s boundary (1 s and 3 s fit), group per minute: 3 s',
      NOON + s(3),
      NOON + s(1.8),
      configured(60),
      3,
    ],
    [
      'a reset 0.8 s away, 3 s adopted earlier: kept',
      NOON + s(3),
      NOON + s(2.2),
      { adoptedSec: 3, configuredSec: 60 },
      3,
    ],
    [
      'a reset 2 s away, 1 min adopted earlier: kept',
      NOON,
      NOON - s(2),
      { adoptedSec: 60, configuredSec: 3 },
      60,
    ],
    [
      'a reset 40 s away, 3 s adopted earlier that no longer fits',
      NOON + s(60),
      NOON + s(20),
      { adoptedSec: 3, configuredSec: 60 },
      60,
    ],
    ['a configured window off the list that fits', NOON + s(10), NOON + s(6), configured(10), 10],
  ])('%s', (_what, resetAtMs, receivedAtMs, windows, expected) => {
    expect(inferWindowSec(resetAtMs, receivedAtMs, windows)).toBe(expected);
  });

  it.each([
    ['no reset header', undefined, NOON],
    ['a reset long past', NOON - s(30), NOON],
    ['a reset 7 s away on no 3 s or minute boundary', NOON + s(7), NOON],
    ['a reset 90 s away on a minute boundary that ends no hour', NOON + s(120), NOON + s(30)],
  ])('infers nothing from %s', (_what, resetAtMs, receivedAtMs) => {
    expect(inferWindowSec(resetAtMs, receivedAtMs, configured(60))).toBeUndefined();
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
