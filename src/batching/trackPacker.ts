import type { TrackCapacity } from '../braze/contracts.js';
import type { TrackArray, WireAttributes, WireEvent, WirePurchase, WireTrackBody } from '../braze/wire.js';

/** One object bound for /users/track, tagged with the array it goes in. */
export type TrackObject =
  | { array: 'attributes'; object: WireAttributes }
  | { array: 'events'; object: WireEvent }
  | { array: 'purchases'; object: WirePurchase };

/** One planned /users/track request: its body and, per array position, the item it came from. */
export interface TrackRequestPlan<T> {
  body: WireTrackBody;
  /** `slots[array][i]` is the item whose object is `body[array][i]`. */
  slots: Record<TrackArray, T[]>;
  bytes: number;
}

/** Bytes of `{"attributes":[],"events":[],"purchases":[]}` and then some. */
const BODY_OVERHEAD_BYTES = 64;

/**
 * Pack objects into the fewest /users/track requests the contract allows.
 *
 * First fit, in input order: each object goes in the first request that still has room for its
 * array (`perArray`), in total (`total`) and in bytes (`maxBodyBytes`). Because every object
 * costs one slot, first fit reaches the lower bound: max over arrays of ceil(n / perArray) and
 * ceil(n_total / total). Only the byte cap, for very large objects, can add requests.
 */
export function packTrackObjects<T>(
  items: readonly T[],
  objectOf: (item: T) => TrackObject,
  capacity: TrackCapacity,
  maxBodyBytes: number,
): Array<TrackRequestPlan<T>> {
  const plans: Array<TrackRequestPlan<T> & { count: number }> = [];
  // Requests before this index have no room left for that array: skip them on the next search.
  const firstOpen: Record<TrackArray, number> = { attributes: 0, events: 0, purchases: 0 };
  for (const item of items) {
    const { array, object } = objectOf(item);
    const bytes = Buffer.byteLength(JSON.stringify(object)) + 1;
    let i = firstOpen[array];
    for (; i < plans.length; i++) {
      const p = plans[i]!;
      if (
        p.slots[array].length < capacity.perArray &&
        p.count < capacity.total &&
        p.bytes + bytes <= maxBodyBytes
      )
        break;
    }
    if (i === plans.length) {
      plans.push({
        body: {},
        slots: { attributes: [], events: [], purchases: [] },
        bytes: BODY_OVERHEAD_BYTES,
        count: 0,
      });
    }
    const plan = plans[i]!;
    ((plan.body[array] ??= []) as unknown[]).push(object);
    plan.slots[array].push(item);
    plan.bytes += bytes;
    plan.count += 1;
    while (
      firstOpen[array] < plans.length &&
      plans[firstOpen[array]]!.slots[array].length >= capacity.perArray
    ) {
      firstOpen[array] += 1;
    }
  }
  return plans.map(({ count: _count, ...plan }) => plan);
}

/** The fewest requests any packing could use, ignoring the byte cap (for tests and benches). */
export function trackLowerBound(counts: Record<TrackArray, number>, capacity: TrackCapacity): number {
  const total = counts.attributes + counts.events + counts.purchases;
  return Math.max(
    Math.ceil(counts.attributes / capacity.perArray),
    Math.ceil(counts.events / capacity.perArray),
    Math.ceil(counts.purchases / capacity.perArray),
    Math.ceil(total / capacity.total),
  );
}
