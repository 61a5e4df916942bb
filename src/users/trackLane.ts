import { JsonText } from '../braze/client.js';
import type { TrackCapacity } from '../braze/contracts.js';
import {
  TRACK_ARRAYS,
  type TrackArray,
  type WireAttributes,
  type WireErrorEntry,
  type WireEvent,
  type WirePurchase,
  type WireTrackResponse,
} from '../braze/wire.js';
import type { DeliveryEngine } from '../delivery/engine.js';
import type { Delivery } from '../delivery/lane.js';
import type { LaneCapacity } from '../delivery/spec.js';
import { BadInputError, type UpstreamError } from '../errors.js';

/**
 * The /users/track lane: attribute, event and purchase objects from every concurrent GraphQL
 * request share requests, up to the contract's maxima per array and in total, and the upstream
 * body-size cap. Each object is serialized once, when it is queued; a request's body joins them.
 */

/** One object bound for /users/track, tagged with the array it goes in. */
export type TrackObject =
  | { array: 'attributes'; object: WireAttributes }
  | { array: 'events'; object: WireEvent }
  | { array: 'purchases'; object: WirePurchase };

/** A queued object: its array and its JSON, made once, and the JSON's size in UTF-8 bytes. */
export interface TrackItem {
  array: TrackArray;
  json: string;
  bytes: number;
}

/** `{"attributes":[],"events":[],"purchases":[]}` and then some. */
const BODY_OVERHEAD_BYTES = 64;
const MAX_INPUT = 'Max Input Length Exceeded';

export function trackItem(object: TrackObject): TrackItem {
  const json = JSON.stringify(object.object);
  return { array: object.array, json, bytes: Buffer.byteLength(json) };
}

export function trackCapacity(track: TrackCapacity, maxBodyBytes: number): LaneCapacity {
  return {
    total: track.total,
    perClass: { attributes: track.perArray, events: track.perArray, purchases: track.perArray },
    maxBytes: maxBodyBytes - BODY_OVERHEAD_BYTES,
  };
}

export function createTrackDelivery(
  engine: DeliveryEngine,
  track: TrackCapacity,
  maxBodyBytes: number,
): Delivery<TrackItem, void> {
  return engine.create<TrackItem, void>({
    name: 'users.track',
    endpoint: 'users.track',
    capacity: trackCapacity(track, maxBodyBytes),
    classOf: (item) => item.array,
    bytesOf: (item) => item.bytes + 1, // and its comma
    body: (items) => {
      const parts: string[] = [];
      for (const array of TRACK_ARRAYS) {
        const json = items.filter((i) => i.array === array).map((i) => i.json);
        if (json.length > 0) parts.push(`"${array}":[${json.join(',')}]`);
      }
      return new JsonText(`{${parts.join(',')}}`);
    },
    results: (answer, items) => {
      const failed = itemErrors((answer.body as WireTrackResponse).errors, items);
      return items.map((_, i) => failed.get(i));
    },
    named: (err, items) => itemErrors(err.brazeErrors as WireErrorEntry[] | undefined, items),
    learnCapacity: (err, sent, current) => learnTrackCapacity(err, sent, current),
    alone: (err) =>
      new BadInputError(
        `Braze rejected this object: ${err.brazeMessage ?? `status ${err.status ?? 'unknown'}`}`,
      ),
  });
}

/**
 * `Max Input Length Exceeded`: the workspace takes fewer objects per request than configured
 * (docs/braze-facts.md §2.1: legacy 75 per array, current 75 in total, MAU 50 in total). Step down to the next
 * documented profile below what was sent, or halve below those.
 */
export function learnTrackCapacity(
  err: UpstreamError,
  sent: number,
  current: LaneCapacity,
): LaneCapacity | undefined {
  if (err.brazeMessage !== MAX_INPUT) return undefined;
  const total = sent > 75 ? 75 : sent > 50 ? 50 : Math.max(1, Math.floor(sent / 2));
  if (total >= current.total) return undefined;
  const perClass: Record<string, number> = {};
  for (const [cls, n] of Object.entries(current.perClass ?? {})) perClass[cls] = Math.min(n, total);
  return { ...current, total, perClass };
}

/** Map Braze's `errors[]` entries (`input_array`, `index`) to the items they name, by index. */
function itemErrors(
  errors: readonly WireErrorEntry[] | undefined,
  items: readonly TrackItem[],
): Map<number, Error> {
  const out = new Map<number, Error>();
  if (errors === undefined || errors.length === 0) return out;
  // Position of each item within its array, as Braze counts.
  const slots: Record<TrackArray, number[]> = { attributes: [], events: [], purchases: [] };
  items.forEach((item, i) => slots[item.array].push(i));
  for (const entry of errors) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { input_array: array, index, type } = entry;
    if (
      array === undefined ||
      typeof index !== 'number' ||
      !(TRACK_ARRAYS as readonly string[]).includes(array)
    )
      continue;
    const at = slots[array as TrackArray][index];
    if (at !== undefined && !out.has(at))
      out.set(at, new BadInputError(`Braze rejected this object: ${String(type)}`));
  }
  return out;
}
