import type { LaneCapacity } from './spec.js';

/** What packing reads of a queued item. */
export interface Packable<I> {
  item: I;
  /** Capacity class (see `LaneCapacity.perClass`). */
  cls: string;
  bytes: number;
  /** Most items a request holding this item may carry (lowered by whole-request rejections). */
  cap: number;
  /** The spec's `mergeBy` key of the item, computed once when it is queued. */
  mergeKey: string | undefined;
  /** The spec's `distinctBy` key of the item, computed once when it is queued. */
  distinctKey: string | undefined;
}

/** Past this many spent slots at its front (and half its array), a line compacts its array. */
const COMPACT_AFTER = 1_024;
/**
 * Once a request is full, riders (items merging into a slot already taken) are looked for among
 * this many requests' worth of the entries after it, not the whole line: a rider further back
 * gets its turn at the front (thousands may wait, and every request would otherwise read them all).
 */
const RIDER_SCAN_REQUESTS = 4;

/**
 * A lane's line of waiting entries, oldest first. Thousands may wait while a request takes 75
 * from the front, so the work of taking is proportional to what is taken (and, when items merge,
 * to what is looked at), never to the whole line: an array read from a head index, and a count
 * of the waiting entries per capacity class kept as they come and go.
 */
export class Line<E extends Packable<unknown>> {
  #entries: E[] = [];
  #head = 0;
  readonly #perClass = new Map<string, number>();

  get length(): number {
    return this.#entries.length - this.#head;
  }

  /** The oldest waiting entry. */
  first(): E | undefined {
    return this.#entries[this.#head];
  }

  push(e: E): void {
    this.#entries.push(e);
    this.#count(e.cls, 1);
  }

  /** Back at the head of the line, in their order (a request that goes again). */
  unshift(entries: readonly E[]): void {
    if (entries.length === 0) return;
    this.#entries = entries.concat(this.#entries.slice(this.#head));
    this.#head = 0;
    for (const e of entries) this.#count(e.cls, 1);
  }

  forEach(fn: (e: E) => void): void {
    const entries = this.#entries;
    for (let i = this.#head; i < entries.length; i++) fn(entries[i]!);
  }

  /**
   * Moves the first `max` entries `pred` picks (a fair grant's caller: packed first) to the front
   * of the line, in place; the entries they pass keep their order behind them. Work and writes
   * reach no further than the last entry moved; run only at such a grant.
   */
  prefer(pred: (e: E) => boolean, max: number): void {
    const entries = this.#entries;
    const picked: E[] = [];
    let last = -1;
    for (let i = this.#head; i < entries.length && picked.length < max; i++) {
      if (pred(entries[i]!)) {
        picked.push(entries[i]!);
        last = i;
      }
    }
    if (picked.length === 0) return;
    // Between the head and the last one picked, every entry `pred` picks was picked: the others
    // move back, from the end, by as many as were picked before them.
    let write = last;
    for (let i = last; i >= this.#head; i--) {
      const e = entries[i]!;
      if (!pred(e)) entries[write--] = e;
    }
    for (let k = 0; k < picked.length; k++) entries[this.#head + k] = picked[k]!;
  }

  /** Whether some class has at least its share of a request waiting. */
  someClassReaches(perClass: Readonly<Record<string, number>>): boolean {
    for (const [cls, n] of this.#perClass) if (n >= (perClass[cls] ?? Infinity)) return true;
    return false;
  }

  /** Takes `e` out of the line; false when it is not in it. */
  remove(e: E): boolean {
    const at = this.#entries.indexOf(e, this.#head);
    if (at < 0) return false;
    this.#entries.splice(at, 1);
    this.#count(e.cls, -1);
    return true;
  }

  /** Takes the entries `pred` picks out of the line, in order (none taken: nothing allocated). */
  removeWhere(pred: (e: E) => boolean): E[] {
    const entries = this.#entries;
    let i = this.#head;
    while (i < entries.length && !pred(entries[i]!)) i++;
    if (i === entries.length) return [];
    const removed: E[] = [];
    let kept = i;
    for (; i < entries.length; i++) {
      const e = entries[i]!;
      if (pred(e)) {
        removed.push(e);
        this.#count(e.cls, -1);
      } else entries[kept++] = e;
    }
    entries.length = kept;
    this.#settle();
    return removed;
  }

  /**
   * One request's worth of the line, oldest first (DESIGN "Lanes, packed at the grant"): items
   * are taken while the request has room (total, per class, bytes, the item's own cap) and no
   * item with the same `distinctKey` is in it yet; an item that does not fit stays in line, in
   * order, and a younger one may still fit. Items with a `mergeKey` already taken ride in that
   * slot, even once the request is full (looked for a few requests' worth further on). What is
   * taken leaves the line.
   */
  pack(cap: LaneCapacity, merging: boolean): E[] {
    const entries = this.#entries;
    const taken: E[] = [];
    const kept: E[] = [];
    const perClass = new Map<string, number>();
    // What waits from the current position on, by class (a copy of the line's counts).
    const leftByClass = new Map(this.#perClass);
    const distinct = new Set<string>();
    const merged = new Set<string>();
    let slots = 0;
    let limit = cap.total;
    let bytes = 0;
    let i = this.#head;
    // Once full, always full: nothing more is taken into a slot, and what waits only shrinks.
    let full = false;
    let scanUntil = Infinity;
    for (; i < entries.length; i++) {
      if (!full && (slots >= limit || classesFull(perClass, leftByClass, cap))) {
        full = true;
        scanUntil = i + RIDER_SCAN_REQUESTS * cap.total;
      }
      // Full: only items riding in a slot already taken (reads of the same user) still join.
      if (full && (!merging || i >= scanUntil)) break;
      const e = entries[i]!;
      if (!full) leftByClass.set(e.cls, leftByClass.get(e.cls)! - 1);
      const mergeKey = e.mergeKey;
      if (mergeKey !== undefined && merged.has(mergeKey)) {
        taken.push(e); // rides in a slot already taken
        continue;
      }
      if (full) {
        kept.push(e);
        continue;
      }
      const classCount = perClass.get(e.cls) ?? 0;
      const key = e.distinctKey;
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
    // What stayed in line goes right before position i: the line now starts there.
    const start = i - kept.length;
    for (let k = 0; k < kept.length; k++) entries[start + k] = kept[k]!;
    // The spent front holds taken entries (items, promise callbacks): let them go now rather
    // than at the next compaction, so they do not outlive their request.
    const spent = entries as Array<E | undefined>;
    for (let k = this.#head; k < start; k++) spent[k] = undefined;
    this.#head = start;
    for (const e of taken) this.#count(e.cls, -1);
    this.#settle();
    return taken;
  }

  #count(cls: string, by: number): void {
    this.#perClass.set(cls, (this.#perClass.get(cls) ?? 0) + by);
  }

  /** Reuse the array once the line is empty; drop the spent front once it is large. */
  #settle(): void {
    if (this.#head === this.#entries.length) {
      this.#entries.length = 0;
      this.#head = 0;
    } else if (this.#head > COMPACT_AFTER && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }
}

/** Every class still waiting has filled its share of the request: nothing more can fit. */
function classesFull(perClass: Map<string, number>, left: Map<string, number>, cap: LaneCapacity): boolean {
  if (cap.perClass === undefined) return false;
  for (const [cls, n] of left) {
    if (n > 0 && (perClass.get(cls) ?? 0) < (cap.perClass[cls] ?? Infinity)) return false;
  }
  return true;
}
