import { describe, expect, it } from 'vitest';
import { Line, type Packable } from '../src/delivery/pack.js';
import type { LaneCapacity } from '../src/delivery/spec.js';

/**
 * The lane's line packs in place from a head index and keeps its counts per class as items come
 * and go; the packing it does must stay exactly the one a plain array pass did (DESIGN "Lanes,
 * packed at the grant"). This checks it against that pass, written out plainly below, on random
 * lines and random sequences of arrivals, packs, refusals and put-backs.
 */

interface E extends Packable<number> {
  id: number;
}

/** The plain pass over the line, as the lane did it before the line kept its own counts. */
function referencePack(queue: readonly E[], cap: LaneCapacity, merging: boolean): { taken: E[]; rest: E[] } {
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
  const classesFull = (): boolean => {
    if (cap.perClass === undefined) return false;
    for (const [cls, n] of leftByClass) {
      if (n > 0 && (perClass.get(cls) ?? 0) < (cap.perClass[cls] ?? Infinity)) return false;
    }
    return true;
  };
  // Riders of a full request are looked for among the next 4 requests' worth of the line only.
  let fullAt: number | undefined;
  for (; i < queue.length; i++) {
    const full = slots >= limit || classesFull();
    if (full) fullAt ??= i;
    if (full && (!merging || i >= fullAt! + 4 * cap.total)) break;
    const e = queue[i]!;
    leftByClass.set(e.cls, leftByClass.get(e.cls)! - 1);
    if (e.mergeKey !== undefined && merged.has(e.mergeKey)) {
      taken.push(e);
      continue;
    }
    if (full) {
      kept.push(e);
      continue;
    }
    const classCount = perClass.get(e.cls) ?? 0;
    const fits =
      slots + 1 <= e.cap &&
      classCount < (cap.perClass?.[e.cls] ?? Infinity) &&
      (cap.maxBytes === undefined || slots === 0 || bytes + e.bytes <= cap.maxBytes) &&
      (e.distinctKey === undefined || !distinct.has(e.distinctKey));
    if (!fits) {
      kept.push(e);
      continue;
    }
    taken.push(e);
    slots += 1;
    limit = Math.min(limit, e.cap);
    bytes += e.bytes;
    perClass.set(e.cls, classCount + 1);
    if (e.distinctKey !== undefined) distinct.add(e.distinctKey);
    if (e.mergeKey !== undefined) merged.add(e.mergeKey);
  }
  return { taken, rest: kept.concat(queue.slice(i)) };
}

/** A small deterministic generator, so a failure names its seed and can be replayed. */
function random(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    return s % n;
  };
}

function contents(line: Line<E>): number[] {
  const ids: number[] = [];
  line.forEach((e) => ids.push(e.id));
  return ids;
}

describe('a lane line', () => {
  it('packs exactly as a plain pass over the whole line does, through arrivals, refusals and put-backs', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = random(seed);
      const merging = r(2) === 0;
      const distinctKeys = r(3) === 0;
      const classes = ['events', 'purchases', 'attributes'].slice(0, 1 + r(3));
      // Every tenth line is long and packs large requests: its head passes the compaction point.
      const long = seed % 10 === 0;
      let cap: LaneCapacity = {
        total: long ? 100 + r(300) : 1 + r(12),
        ...(r(3) > 0
          ? { perClass: Object.fromEntries(classes.map((c) => [c, long ? 50 + r(100) : 1 + r(6)])) }
          : {}),
        ...(r(2) === 0 ? { maxBytes: 20 + r(80) } : {}),
      };
      const line = new Line<E>();
      let reference: E[] = [];
      let next = 0;
      const fresh = (): E => ({
        id: next++,
        item: next,
        cls: classes[r(classes.length)]!,
        bytes: 1 + r(30),
        cap: r(6) === 0 ? 1 + r(4) : Infinity,
        mergeKey: merging && r(2) === 0 ? `u${r(8)}` : undefined,
        distinctKey: distinctKeys && r(2) === 0 ? `d${r(5)}` : undefined,
      });
      for (let step = 0; step < 60; step++) {
        const what = r(10);
        if (what < 4) {
          for (let n = long ? 1 + r(600) : 1 + r(8); n > 0; n--) {
            const e = fresh();
            line.push(e);
            reference.push(e);
          }
        } else if (what < 8) {
          const expected = referencePack(reference, cap, merging);
          const taken = line.pack(cap, merging);
          expect(
            taken.map((e) => e.id),
            `seed ${seed} step ${step}`,
          ).toEqual(expected.taken.map((e) => e.id));
          reference = expected.rest;
          if (r(4) === 0) {
            // Some go back to the head of the line (a 429, a split), in their order.
            const back = taken.filter(() => r(2) === 0);
            line.unshift(back);
            reference = back.concat(reference);
          }
        } else if (what < 9) {
          const pick = r(3);
          const removed = line.removeWhere((e) => e.id % 3 === pick);
          expect(removed.map((e) => e.id)).toEqual(
            reference.filter((e) => e.id % 3 === pick).map((e) => e.id),
          );
          reference = reference.filter((e) => e.id % 3 !== pick);
        } else if (reference.length > 0) {
          const e = reference[r(reference.length)]!;
          expect(line.remove(e)).toBe(true);
          reference = reference.filter((x) => x !== e);
          if (r(3) === 0) cap = { ...cap, total: Math.max(1, Math.floor(cap.total / 2)) };
        }
        expect(contents(line), `seed ${seed} step ${step}`).toEqual(reference.map((e) => e.id));
        expect(line.length).toBe(reference.length);
        expect(line.first()?.id).toBe(reference[0]?.id);
        if (cap.perClass !== undefined) {
          const counts = new Map<string, number>();
          for (const e of reference) counts.set(e.cls, (counts.get(e.cls) ?? 0) + 1);
          const reaches = [...counts].some(([cls, n]) => n >= (cap.perClass![cls] ?? Infinity));
          expect(line.someClassReaches(cap.perClass)).toBe(reaches);
        }
      }
    }
  });

  it('keeps its order while thousands wait and requests take from the front (the spent front is dropped)', () => {
    const line = new Line<E>();
    let reference: E[] = [];
    const entry = (id: number): E => ({
      id,
      item: id,
      cls: id % 4 === 0 ? 'purchases' : 'events',
      bytes: 1,
      cap: Infinity,
      mergeKey: undefined,
      distinctKey: undefined,
    });
    const cap: LaneCapacity = { total: 150, perClass: { events: 75, purchases: 75 } };
    for (let id = 0; id < 5_000; id++) {
      line.push(entry(id));
      reference.push(entry(id));
    }
    let id = 5_000;
    while (reference.length > 0) {
      const expected = referencePack(reference, cap, false);
      expect(line.pack(cap, false).map((e) => e.id)).toEqual(expected.taken.map((e) => e.id));
      reference = expected.rest;
      if (id < 8_000) {
        // Callers keep coming while requests leave.
        for (const e of [entry(id), entry(id + 1)]) {
          line.push(e);
          reference.push(e);
        }
        id += 2;
      }
      expect(contents(line)).toEqual(reference.map((e) => e.id));
    }
    expect(line.length).toBe(0);
  });

  it('looks for riders of a full request a few requests deep, not through the whole line', () => {
    const line = new Line<E>();
    const read = (id: number, user: string): E => ({
      id,
      item: id,
      cls: 'list',
      bytes: 1,
      cap: Infinity,
      mergeKey: user,
      distinctKey: undefined,
    });
    const cap: LaneCapacity = { total: 2 };
    // u1 and u2 fill the request; u1 again within 4 requests' worth (8 entries) rides along,
    // u2 again further back waits for its own turn, in order.
    const ids = ['u1', 'u2', 'x3', 'u1', 'x5', 'x6', 'x7', 'x8', 'x9', 'x10', 'u2', 'x12'];
    ids.forEach((user, id) => line.push(read(id, user)));
    expect(line.pack(cap, true).map((e) => e.id)).toEqual([0, 1, 3]);
    expect(contents(line)).toEqual([2, 4, 5, 6, 7, 8, 9, 10, 11]);
    // Without merging nothing past the full request is looked at.
    expect(line.pack(cap, false).map((e) => e.id)).toEqual([2, 4]);
  });
});
