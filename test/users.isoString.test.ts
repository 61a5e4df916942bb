import { describe, expect, it } from 'vitest';
import { isoString } from '../src/users/track.js';

/** Track objects' times are written by hand for speed (track.ts): always as toISOString writes them. */
describe('isoString', () => {
  it('writes what toISOString writes, for every kind of date', () => {
    const fixed = [
      '1000-01-01T00:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
      '1999-12-31T23:59:59.999Z',
      '2024-02-29T12:05:09.007Z',
      '2026-12-03T08:00:00.010Z',
      '9999-12-31T23:59:59.999Z',
    ].map((s) => new Date(s));
    const outside = [
      new Date('0999-12-31T23:59:59.999Z'),
      new Date(Date.UTC(10_000, 0, 1)),
      new Date(-1e15),
      new Date(8.64e15),
    ];
    // A deterministic spread over four millennia, milliseconds included.
    const spread = Array.from(
      { length: 5_000 },
      (_, i) => new Date(Date.UTC(1000, 0, 1) + ((i * 2_654_435_761) % 1e5) * 1_262_304_000 + i * 37),
    );
    for (const d of [...fixed, ...outside, ...spread]) expect(isoString(d)).toBe(d.toISOString());
  });
});
