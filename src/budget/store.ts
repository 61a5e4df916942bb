/**
 * Counting stores for the rate budget. A store only counts: it takes units from fixed,
 * clock-aligned windows atomically, raises a count to match what Braze reports, and reads the
 * counts back. Waiting, limits, fallback and reconciliation policy live in RateBudgetService.
 *
 * Two stores share this contract: MemoryStore (one process, the embedded default and the
 * fallback) and RedisStore (every replica, one Lua script per call, Redis's clock).
 */

/** One counter: a group's window, or (for broadcasts) one audience's window within a group. */
export interface Bucket {
  /** Store key, unique per workspace and bucket. */
  key: string;
  /** Most units one window may hold (after headroom). */
  limit: number;
  windowMs: number;
}

export interface TakeResult {
  granted: boolean;
  /** When the bucket that refused (or, if granted, the first bucket) resets, epoch ms. */
  resetAtMs: number;
  /** The store's clock at the time of the take, epoch ms (Redis's own clock for RedisStore). */
  nowMs: number;
  /** Units used in the first bucket's window after the take. */
  used: number;
}

/** A count Braze reported for a bucket, applied (raise only) before taking. */
export interface PendingRaise {
  used: number;
  /** Braze's reset for that count: applied only if it is the current window's end. */
  resetAtMs: number;
  toleranceMs: number;
}

export interface BucketReading {
  used: number;
  resetAtMs: number;
  nowMs: number;
}

export interface BudgetStore {
  /**
   * Take one unit from every bucket, or from none. Refused when any bucket is full, or when the
   * window ends within `guardMs` (a request sent then could reach Braze in the next window).
   * `raises[i]`, if given, first raises bucket i's count (reconciliation rides along with the
   * take, so it costs no extra round trip).
   */
  take(
    buckets: readonly Bucket[],
    guardMs: number,
    raises?: ReadonlyArray<PendingRaise | undefined>,
  ): Promise<TakeResult>;
  /** Raise a bucket's count in the window ending at `raise.resetAtMs` to `raise.used`, never lower it. */
  raise(bucket: Bucket, raise: PendingRaise): Promise<void>;
  /** Add units to the current window (usage counted elsewhere while this store was away). */
  add(bucket: Bucket, units: number): Promise<void>;
  read(buckets: readonly Bucket[]): Promise<BucketReading[]>;
  close(): Promise<void>;
}

/** Start of the clock-aligned window holding `nowMs`. */
export function windowStart(nowMs: number, windowMs: number): number {
  return nowMs - (nowMs % windowMs);
}

/** Past this many counters, finished windows are pruned. */
const MAX_COUNTERS = 10_000;
/** A counter older than a day (the longest Braze window) is certainly finished. */
const PRUNE_AFTER_MS = 86_400_000 + 60_000;

interface Counter {
  start: number;
  used: number;
}

/** A store in this process's memory. Synchronous underneath, so every call is atomic. */
export class MemoryStore implements BudgetStore {
  readonly #counters = new Map<string, Counter>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Units used in the current window, for fallback hand-over. */
  usedNow(bucket: Bucket): number {
    return this.#current(bucket, this.#now()).used;
  }

  async take(
    buckets: readonly Bucket[],
    guardMs: number,
    raises: ReadonlyArray<PendingRaise | undefined> = [],
  ): Promise<TakeResult> {
    const nowMs = this.#now();
    const counters = buckets.map((b) => this.#current(b, nowMs));
    raises.forEach((raise, i) => {
      if (raise !== undefined && i < buckets.length) this.#raise(buckets[i]!, counters[i]!, raise);
    });
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!;
      const c = counters[i]!;
      const resetAtMs = c.start + b.windowMs;
      if (c.used >= b.limit || nowMs >= resetAtMs - guardMs) {
        return { granted: false, resetAtMs, nowMs, used: counters[0]!.used };
      }
    }
    for (const c of counters) c.used += 1;
    return {
      granted: true,
      resetAtMs: counters[0]!.start + buckets[0]!.windowMs,
      nowMs,
      used: counters[0]!.used,
    };
  }

  async raise(bucket: Bucket, raise: PendingRaise): Promise<void> {
    this.#raise(bucket, this.#current(bucket, this.#now()), raise);
  }

  #raise(bucket: Bucket, c: Counter, raise: PendingRaise): void {
    if (Math.abs(c.start + bucket.windowMs - raise.resetAtMs) > raise.toleranceMs) return;
    if (raise.used > c.used) c.used = raise.used;
  }

  async add(bucket: Bucket, units: number): Promise<void> {
    this.#current(bucket, this.#now()).used += units;
  }

  async read(buckets: readonly Bucket[]): Promise<BucketReading[]> {
    const nowMs = this.#now();
    return buckets.map((b) => {
      const c = this.#current(b, nowMs);
      return { used: c.used, resetAtMs: c.start + b.windowMs, nowMs };
    });
  }

  async close(): Promise<void> {
    this.#counters.clear();
  }

  /** Drop counters of windows long gone (per-audience buckets come and go). */
  #prune(nowMs: number): void {
    for (const [key, c] of this.#counters) if (nowMs - c.start > PRUNE_AFTER_MS) this.#counters.delete(key);
  }

  /** The bucket's counter for the window holding `nowMs`; an older window's counter is dropped. */
  #current(bucket: Bucket, nowMs: number): Counter {
    const start = windowStart(nowMs, bucket.windowMs);
    let c = this.#counters.get(bucket.key);
    if (c === undefined || c.start !== start) {
      if (c === undefined && this.#counters.size >= MAX_COUNTERS) this.#prune(nowMs);
      c = { start, used: 0 };
      this.#counters.set(bucket.key, c);
    }
    return c;
  }
}
