import type { LaneCapacity, LaneSpec } from './spec.js';

/** What packing reads of a queued item. */
export interface Packable<I> {
  item: I;
  /** Capacity class (see `LaneCapacity.perClass`). */
  cls: string;
  bytes: number;
  /** Most items a request holding this item may carry (lowered by whole-request rejections). */
  cap: number;
}

/**
 * One request's worth of `queue`, oldest first (DESIGN "Lanes, packed at the grant"): items
 * are taken while the request has room (total, per class, bytes, the item's own cap) and no
 * item with the same `distinctBy` key is in it yet; an item that does not fit stays in line, in
 * order, and a younger one may still fit. Items with a `mergeBy` key already taken ride in that
 * slot, even once the request is full. `rest` is the line without what was taken.
 */
export function packRequest<I, E extends Packable<I>>(
  queue: readonly E[],
  spec: Pick<LaneSpec<I, unknown>, 'distinctBy' | 'mergeBy'>,
  cap: LaneCapacity,
): { taken: E[]; rest: E[] } {
  const taken: E[] = [];
  const kept: E[] = [];
  const perClass = new Map<string, number>();
  const leftByClass = new Map<string, number>();
  for (const e of queue) leftByClass.set(e.cls, (leftByClass.get(e.cls) ?? 0) + 1);
  const distinct = new Set<string>();
  const merged = new Set<string>();
  let slots = 0;
  let limit = cap.total;
  let bytes = 0;
  let i = 0;
  for (; i < queue.length; i++) {
    const full = slots >= limit || classesFull(perClass, leftByClass, cap);
    // Full: only items riding in a slot already taken (reads of the same user) still join.
    if (full && spec.mergeBy === undefined) break;
    const e = queue[i]!;
    leftByClass.set(e.cls, leftByClass.get(e.cls)! - 1);
    const mergeKey = spec.mergeBy?.(e.item);
    if (mergeKey !== undefined && merged.has(mergeKey)) {
      taken.push(e); // rides in a slot already taken
      continue;
    }
    if (full) {
      kept.push(e);
      continue;
    }
    const classCount = perClass.get(e.cls) ?? 0;
    const key = spec.distinctBy?.(e.item);
    const fits =
      slots + 1 <= e.cap &&
      classCount < (cap.perClass?.[e.cls] ?? Infinity) &&
      (cap.maxBytes === undefined || slots === 0 || bytes + e.bytes <= cap.maxBytes) &&
      (key === undefined || !distinct.has(key));
    if (!fits) {
      kept.push(e);
      continue;
    }
    taken.push(e);
    slots += 1;
    limit = Math.min(limit, e.cap);
    bytes += e.bytes;
    perClass.set(e.cls, classCount + 1);
    if (key !== undefined) distinct.add(key);
    if (mergeKey !== undefined) merged.add(mergeKey);
  }
  return { taken, rest: i === queue.length ? kept : kept.concat(queue.slice(i)) };
}

/** Every class still waiting has filled its share of the request: nothing more can fit. */
function classesFull(perClass: Map<string, number>, left: Map<string, number>, cap: LaneCapacity): boolean {
  if (cap.perClass === undefined) return false;
  for (const [cls, n] of left) {
    if (n > 0 && (perClass.get(cls) ?? 0) < (cap.perClass[cls] ?? Infinity)) return false;
  }
  return true;
}
