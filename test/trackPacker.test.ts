import { describe, expect, it } from 'vitest';
import { packTrackObjects, trackLowerBound, type TrackObject } from '../src/batching/trackPacker.js';
import { CONTRACTS } from '../src/braze/contracts.js';
import { TRACK_ARRAYS, type TrackArray } from '../src/braze/wire.js';

const event = (i: number): TrackObject => ({
  array: 'events',
  object: { external_id: `u-${i}`, name: 'e', time: '2026-01-01T00:00:00.000Z' },
});
const purchase = (i: number): TrackObject => ({
  array: 'purchases',
  object: {
    external_id: `u-${i}`,
    product_id: 'p',
    currency: 'EUR',
    price: 1,
    time: '2026-01-01T00:00:00.000Z',
  },
});
const attrs = (i: number): TrackObject => ({
  array: 'attributes',
  object: { external_id: `u-${i}`, plan: 'pro' },
});

function mix(counts: Record<TrackArray, number>): TrackObject[] {
  const out: TrackObject[] = [];
  for (let i = 0; i < counts.attributes; i++) out.push(attrs(i));
  for (let i = 0; i < counts.events; i++) out.push(event(i));
  for (let i = 0; i < counts.purchases; i++) out.push(purchase(i));
  // Interleave deterministically so the packer cannot rely on grouped input.
  return out.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

describe('packTrackObjects', () => {
  const cases: Array<[keyof typeof CONTRACTS, Record<TrackArray, number>, number]> = [
    ['legacy', { attributes: 0, events: 1000, purchases: 0 }, 14],
    ['legacy', { attributes: 75, events: 75, purchases: 75 }, 1],
    ['legacy', { attributes: 76, events: 10, purchases: 150 }, 2],
    ['legacy', { attributes: 1, events: 1, purchases: 1 }, 1],
    ['current', { attributes: 75, events: 75, purchases: 75 }, 3],
    ['current', { attributes: 0, events: 1000, purchases: 0 }, 14],
    ['current', { attributes: 30, events: 30, purchases: 16 }, 2],
    ['mau', { attributes: 20, events: 20, purchases: 10 }, 1],
    ['mau', { attributes: 20, events: 20, purchases: 11 }, 2],
    ['mau', { attributes: 0, events: 1000, purchases: 0 }, 20],
  ];
  it.each(cases)('%s contract, %o → %i requests, each within the maxima', (contract, counts, expected) => {
    const capacity = CONTRACTS[contract].track;
    const items = mix(counts);
    const plans = packTrackObjects(items, (x) => x, capacity, 4_000_000);
    expect(plans).toHaveLength(expected);
    expect(trackLowerBound(counts, capacity)).toBe(expected);
    const seen = new Set<TrackObject>();
    for (const plan of plans) {
      let total = 0;
      for (const array of TRACK_ARRAYS) {
        const objects = plan.body[array] ?? [];
        expect(objects.length).toBeLessThanOrEqual(capacity.perArray);
        expect(plan.slots[array]).toHaveLength(objects.length);
        plan.slots[array].forEach((item, i) => {
          expect(item.object).toBe(objects[i]);
          seen.add(item);
        });
        total += objects.length;
      }
      expect(total).toBeLessThanOrEqual(capacity.total);
    }
    expect(seen.size).toBe(items.length);
  });

  it('keeps every request under the byte cap, even if that costs requests', () => {
    const big = (i: number): TrackObject => ({
      array: 'events',
      object: {
        external_id: `u-${i}`,
        name: 'e',
        time: '2026-01-01T00:00:00.000Z',
        properties: { blob: 'x'.repeat(250), a: 'y'.repeat(250) },
      },
    });
    const items = Array.from({ length: 75 }, (_, i) => big(i));
    const plans = packTrackObjects(items, (x) => x, CONTRACTS.legacy.track, 10_000);
    expect(plans.length).toBeGreaterThan(1);
    for (const plan of plans)
      expect(Buffer.byteLength(JSON.stringify(plan.body))).toBeLessThanOrEqual(10_000);
    expect(plans.reduce((n, p) => n + (p.body.events?.length ?? 0), 0)).toBe(75);
  });
});
