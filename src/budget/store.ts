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
  /** A fair take's grant: the caller charged with the unit. */
  caller?: string;
}

/**
 * A take on behalf of callers (fair shares on): who waits for the unit, with their weights, and
 * the corrections of earlier grants' charges. The first bucket is the shared one.
 */
export interface FairAsk {
  /**
   * The callers whose items wait for this unit, each once, with its weight in the group and how
   * many of its items wait (on this replica: what it will at least ask for).
   */
  candidates: ReadonlyArray<FairCandidate>;
  /** A candidate counts as waiting (fleet-wide) this long after a take that names it. */
  activeMs: number;
  /**
   * Charges moved after earlier grants (milli-units per caller, summing to 0), applied if their
   * window (ending at `resetAtMs`, the store's clock) is the current one.
   */
  corrections?: { resetAtMs: number; milli: ReadonlyMap<string, number> };
}

export interface FairCandidate {
  caller: string;
  weight: number;
  /** Items of the caller waiting (≥ 1). */
  need: number;
}

/** One caller's part of a group's current window, as the store counts it. */
export interface ShareReading {
  caller: string;
  /** Milli-units charged to the caller in the current window. */
  usedMilli: number;
  /** Its weight as last reported, and until when (epoch ms, store clock) it counts as waiting. */
  weight: number;
  activeUntilMs: number;
}

/** Each caller's charge (milli-units) and waiting mark in one group's window. */
interface FairState {
  start: number;
  used: Map<string, number>;
  /** Charges of the window just before (milli-units): a caller's expected pace. */
  prev: Map<string, number>;
  active: Map<string, { untilMs: number; weight: number; need: number }>;
}

/**
 * The fair grant (Lua and MemoryStore alike, so they agree). Entitlement of a waiting caller =
 * limit × weight ÷ the weights of everyone waiting. Candidates are tried by lowest charge per
 * weight (ties by name): one is granted when it is under its entitlement, or when the room left
 * after this unit still covers what the other waiting callers may still claim this window: the
 * rest of their entitlement, but no more than they are likely to ask for, the most of their items
 * waiting, their pace in the window before over the time left, and their pace so far over the
 * time left. So a caller alone gets everything, a steady light caller keeps what it uses and no
 * more (unused share flows to whoever waits), a caller that saturates keeps its whole share, and
 * nobody waits while the group has room for everyone.
 */
function fairPick(
  state: FairState,
  candidates: FairAsk['candidates'],
  limit: number,
  used: number,
  nowMs: number,
  windowMs: number,
): string | undefined {
  let total = 0;
  for (const a of state.active.values()) if (a.untilMs > nowMs) total += a.weight;
  const elapsed = Math.max(1, nowMs - state.start);
  const left = state.start + windowMs - nowMs;
  const ratio = (c: FairCandidate) => (state.used.get(c.caller) ?? 0) / c.weight;
  const order = [...candidates].sort((x, y) => ratio(x) - ratio(y) || (x.caller < y.caller ? -1 : 1));
  for (const c of order) {
    const mine = state.used.get(c.caller) ?? 0;
    if (mine + 1000 <= (limit * c.weight * 1000) / total) return c.caller;
    let reserved = 0;
    for (const [d, a] of state.active) {
      if (d === c.caller || a.untilMs <= nowMs) continue;
      const theirs = state.used.get(d) ?? 0;
      const unclaimed = (limit * a.weight * 1000) / total - theirs;
      if (unclaimed <= 0) continue;
      const likely = Math.max(
        a.need * 1000,
        ((state.prev.get(d) ?? 0) * left) / windowMs,
        (theirs * left) / elapsed,
      );
      reserved += Math.min(unclaimed, likely);
    }
    if ((limit - used - 1) * 1000 >= reserved) return c.caller;
  }
  return undefined;
}

/** When a caller refused for fairness asks again (others' marks may lapse, or their reserve be used). */
export function fairRetryMs(activeMs: number): number {
  return Math.max(20, Math.floor(activeMs / 4));
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
    fair?: FairAsk,
  ): Promise<TakeResult>;
  /** Each caller's part of the first bucket's current window (fair shares). */
  readShares(bucket: Bucket): Promise<{ nowMs: number; shares: ShareReading[] }>;
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
  /** Fair-share state per group bucket key (only when a take names callers). */
  readonly #fair = new Map<string, FairState>();
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
    fair?: FairAsk,
  ): Promise<TakeResult> {
    const nowMs = this.#now();
    const counters = buckets.map((b) => this.#current(b, nowMs));
    raises.forEach((raise, i) => {
      if (raise !== undefined && i < buckets.length) this.#raise(buckets[i]!, counters[i]!, raise);
    });
    let refusedAt: number | undefined;
    for (let i = 0; i < buckets.length; i++) {
      const b = buckets[i]!;
      const c = counters[i]!;
      const resetAtMs = c.start + b.windowMs;
      if (c.used >= b.limit || nowMs >= resetAtMs - guardMs) {
        refusedAt = resetAtMs;
        break;
      }
    }
    const resetAtMs = counters[0]!.start + buckets[0]!.windowMs;
    let caller: string | undefined;
    if (fair !== undefined && fair.candidates.length > 0) {
      const state = this.#fairState(buckets[0]!, counters[0]!.start);
      const corr = fair.corrections;
      if (corr !== undefined && corr.resetAtMs === resetAtMs) {
        for (const [c, milli] of corr.milli) state.used.set(c, Math.max(0, (state.used.get(c) ?? 0) + milli));
      }
      // Refused for a full window: waiting still at the next window's start.
      const untilMs = refusedAt === undefined ? nowMs + fair.activeMs : refusedAt + fair.activeMs;
      for (const { caller: c, weight, need } of fair.candidates) {
        const until = Math.max(untilMs, state.active.get(c)?.untilMs ?? 0);
        state.active.set(c, { untilMs: until, weight, need });
      }
      if (refusedAt === undefined) {
        const b0 = buckets[0]!;
        caller = fairPick(state, fair.candidates, b0.limit, counters[0]!.used, nowMs, b0.windowMs);
        if (caller === undefined) {
          return {
            granted: false,
            resetAtMs: Math.min(resetAtMs, nowMs + fairRetryMs(fair.activeMs)),
            nowMs,
            used: counters[0]!.used,
          };
        }
        state.used.set(caller, (state.used.get(caller) ?? 0) + 1000);
      }
    }
    if (refusedAt !== undefined)
      return { granted: false, resetAtMs: refusedAt, nowMs, used: counters[0]!.used };
    for (const c of counters) c.used += 1;
    return {
      granted: true,
      resetAtMs,
      nowMs,
      used: counters[0]!.used,
      ...(caller === undefined ? {} : { caller }),
    };
  }

  async readShares(bucket: Bucket): Promise<{ nowMs: number; shares: ShareReading[] }> {
    const nowMs = this.#now();
    const state = this.#fairState(bucket, windowStart(nowMs, bucket.windowMs));
    return {
      nowMs,
      shares: [...state.active].map(([caller, a]) => ({
        caller,
        usedMilli: state.used.get(caller) ?? 0,
        weight: a.weight,
        activeUntilMs: a.untilMs,
      })),
    };
  }

  /**
   * A group's fair state for the window starting at `start`: charges reset with the window, the
   * last window's kept as the callers' pace if it was the one just before.
   */
  #fairState(bucket: Bucket, start: number): FairState {
    let state = this.#fair.get(bucket.key);
    if (state === undefined) {
      state = { start, used: new Map(), prev: new Map(), active: new Map() };
      this.#fair.set(bucket.key, state);
    } else if (state.start !== start) {
      state.prev = state.start === start - bucket.windowMs ? state.used : new Map();
      state.used = new Map();
      state.start = start;
    }
    return state;
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
    this.#fair.clear();
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
