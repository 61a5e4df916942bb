import { createHash } from 'node:crypto';
import type { Logger } from '../observability/log.js';
import type { Telemetry } from '../observability/metrics.js';
import { traceBudgetWait, tracingOn } from '../observability/spans.js';
import { bindsTighter, inferWindowSec } from './brazeLimit.js';
import type {
  AcquireOptions,
  AcquireResult,
  CallerDemand,
  Charge,
  ObserveOptions,
  RateBudget,
  RateHeaders,
} from './budget.js';
import { RATE_GROUP_NAMES, type RateGroupName, type RateLimit } from './groups.js';
import type { RedisStore } from './redisStore.js';
import type { Shares } from './shares.js';
import {
  MemoryStore,
  windowStart,
  type Bucket,
  type BudgetStore,
  type FairAsk,
  type FairCandidate,
  type PendingRaise,
  type TakeResult,
} from './store.js';

/**
 * The rate budget every Braze request draws from (DESIGN "Rate budget").
 *
 * - Limits: the configured limit and window per group, replaced by Braze's when Braze's headers
 *   show a tighter one (the limit with the window it counts in, inferred from the reset: see
 *   brazeLimit.ts), minus a headroom share left to other systems on the same workspace.
 * - Waiting: a caller that finds its bucket full waits, first come first served, for the next
 *   window if it opens before the caller's deadline; otherwise it gets `{ ok: false,
 *   retryAfterMs }` at once. Nobody waits past their deadline.
 * - Reconciliation: when Braze reports fewer remaining requests than we counted, the count moves
 *   up to match (never down). The raise rides along with the next take, so the shared budget
 *   still costs one Redis round trip per upstream request. A 429 spends the group's window,
 *   unless it was a broadcast's per-audience 429: then only that audience's window is spent.
 * - Shared mode: a RedisStore counts for every replica. When Redis fails, a local MemoryStore
 *   takes over with limit ÷ replicas; when Redis is back, the local count is added to the shared
 *   one and the shared store takes over again.
 * - Fair shares (when configured): a lane's acquire names the callers whose items it holds; the
 *   store grants each unit to a caller in proportion to the callers' weights (see store.ts
 *   `fairPick`), fleet-wide in the same round trip, and says whom it charged. The queue then
 *   serves the oldest waiter holding that caller's items, and the lane packs them first; a
 *   request carrying several callers' items is charged to them by items (`split`), the
 *   correction riding along with the next take like a reconciliation.
 */

export type BudgetMode = 'memory' | 'shared' | 'fallback';

export interface RateBudgetOptions {
  workspaceId: string;
  limits: Record<RateGroupName, RateLimit>;
  /** Per unique broadcast audience, on top of `messaging.broadcast` (docs/braze-facts.md §2 row 6). */
  perAudienceLimit: RateLimit;
  /** Share of each limit (0–0.9) left unused for other systems using the same workspace. */
  headroom: number;
  /** No unit is granted this close to a window's end (the request could land in the next one). */
  guardMs: number;
  /** Replicas assumed when Redis is down: each then takes limit ÷ replicas locally. */
  replicas: number;
  /** The shared store; without it the budget is in-process only. */
  redis?: RedisStore;
  log: Logger;
  now?: () => number;
  telemetry?: Telemetry;
  /** Fair shares per caller; without them units go first come, first served. */
  shares?: Shares;
}

/** One caller's part of a group's current window (fair shares on). */
export interface BudgetShareView {
  caller: string;
  weight: number;
  /** Units charged to the caller this window, fleet-wide (fractions: requests shared by callers). */
  used: number;
  /** Its share of the limit among the callers waiting now (itself included). */
  entitlement: number;
  /** Whether it has items waiting for this group somewhere in the fleet. */
  active: boolean;
  /** Its items waiting for this group's budget on this replica. */
  waiting: number;
}

export interface BudgetGroupView {
  group: RateGroupName;
  limit: number;
  windowSeconds: number;
  remaining: number;
  resetsAt: Date;
  waiting: number;
  mode: BudgetMode;
  /** Per caller, when fair shares are on (empty otherwise). */
  shares: BudgetShareView[];
}

interface Waiter {
  deadlineMs: number;
  settled: boolean;
  resolve: (r: AcquireResult) => void;
  timer: NodeJS.Timeout | undefined;
  queue: Queue;
  /** Removes the abort listener, when the caller passed a signal. */
  unlisten: (() => void) | undefined;
  /** Fair shares on: the callers whose items the unit may carry (a live view). */
  callers: CallerDemand | undefined;
}

/**
 * The callers waiting for one (group, audience), in arrival order. Invariant: while `live > 0`,
 * either a pump runs or a timer will start one — a queue with waiters is never left unwatched.
 */
interface Queue {
  key: string;
  group: RateGroupName;
  audience: string | undefined;
  waiters: Waiter[];
  /** Waiters not yet settled (settled ones are dropped from the head lazily). */
  live: number;
  pumping: boolean;
  timer: NodeJS.Timeout | undefined;
}

/** A reconciliation for one bucket: the group's, or one broadcast audience's within it. */
interface PendingBucketRaise {
  group: RateGroupName;
  audience: string | undefined;
  raise: PendingRaise;
}

/** The key of a (group, audience) queue, and of its pending per-audience raise. */
function queueKey(group: RateGroupName, audience: string | undefined): string {
  return audience === undefined ? group : `${group}\u0000${audience}`;
}

/** Braze's reset may differ from our window end by clock skew and rounding to the second. */
const RESET_TOLERANCE_MS = 2_000;
/** How often a budget in fallback checks whether its Redis connection is usable again. */
const RECOVERY_CHECK_MS = 1_000;
/** Windows up to this long are held back for the other replicas' local use at a hand-over. */
const SHORT_WINDOW_MS = 60_000;
/** A reconciliation not carried by a take within this time is written on its own. */
const RAISE_FLUSH_MS = 250;
/**
 * A caller named by a take counts as waiting, fleet-wide, this long (at most half a window): its
 * share is held for it meanwhile, and flows to the others once it stops asking.
 */
const ACTIVE_MS = 1_500;

export class RateBudgetService implements RateBudget {
  readonly #opts: RateBudgetOptions;
  readonly #now: () => number;
  readonly #local: MemoryStore;
  readonly #queues = new Map<string, Queue>();
  /** Limits (with their windows) Braze's headers showed tighter than configured. */
  readonly #adopted = new Map<RateGroupName, RateLimit>();
  /**
   * Counts Braze reported, waiting to ride along with the next take of their bucket: a group's
   * (keyed by group) or one broadcast audience's (keyed like its queue).
   */
  readonly #pendingRaises = new Map<string, PendingBucketRaise>();
  /** Fair shares: charge corrections per group (milli-units per caller), riding along with a take. */
  readonly #pendingSplits = new Map<RateGroupName, { resetAtMs: number; milli: Map<string, number> }>();
  #raiseTimer: NodeJS.Timeout | undefined;
  #mode: BudgetMode;
  #closed = false;
  /** The hand-over in flight, which later callers wait for rather than start another. */
  #recovering: Promise<void> | undefined;
  #recoveryTimer: NodeJS.Timeout | undefined;
  /** Whether the budget has been shared once (a first connection is not a recovery). */
  #everShared = false;
  /** Counters for logs, metrics and benchmarks. */
  readonly stats = { granted: 0, refused: 0, waited: 0, waitMsTotal: 0, reconciled: 0, fallbacks: 0 };

  constructor(opts: RateBudgetOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#local = new MemoryStore(this.#now);
    this.#mode = opts.redis === undefined ? 'memory' : opts.redis.ready ? 'shared' : 'fallback';
    this.#everShared = this.#mode === 'shared';
    opts.redis?.onReady(() => void this.redisReady());
    opts.redis?.onError((err) => this.redisFailed(err));
  }

  get mode(): BudgetMode {
    return this.#mode;
  }

  /** The Redis connection, for other shared state (the catalog cache); undefined in memory mode. */
  get redisClient(): RedisStore['redis'] | undefined {
    return this.#opts.redis?.redis;
  }

  /** Wait (bounded) for Redis at start-up, so the first requests already share the budget. */
  async ready(timeoutMs: number): Promise<void> {
    const redis = this.#opts.redis;
    if (redis === undefined) return;
    if (await redis.waitReady(timeoutMs)) await this.redisReady();
    else
      this.#opts.log.warn('rate budget: Redis is not answering at start-up; counting locally until it does');
  }

  /**
   * The Redis store's `ready` event (or a recovery check that found the connection usable): hand
   * the local count over and share again.
   */
  async redisReady(): Promise<void> {
    const redis = this.#opts.redis;
    if (this.#mode !== 'fallback' || redis === undefined) return;
    this.#recovering ??= this.#handOver(redis).finally(() => (this.#recovering = undefined));
    return this.#recovering;
  }

  async #handOver(redis: RedisStore): Promise<void> {
    try {
      // A connection that is up does not prove this workspace's keys answer: in a Redis Cluster
      // the master of their slot may be the one that is down. Read a bucket first.
      await redis.read([this.#bucket(RATE_GROUP_NAMES[0], 'shared')]);
      // Requests sent while Redis was away count against this window at Braze too: this
      // replica's, and those of the replicas still counting locally, which the shared count cannot
      // show yet. For windows of a minute or less each of them is assumed to have used its whole
      // local share (the rest of that window goes unused rather than risk Braze's 429s); a longer
      // window (an hour, a day) is not held back that long on a guess: only this replica's count.
      for (const group of RATE_GROUP_NAMES) {
        const local = this.#bucket(group, 'fallback');
        let used = this.#local.usedNow(local);
        if (local.windowMs <= SHORT_WINDOW_MS) used += (this.#opts.replicas - 1) * local.limit;
        if (used > 0) await redis.add(this.#bucket(group, 'shared'), used);
      }
    } catch (err) {
      this.#opts.log.warn(
        { err: String(err) },
        'rate budget: Redis answered, then failed again; staying local',
      );
      return;
    }
    this.#mode = 'shared';
    clearInterval(this.#recoveryTimer);
    this.#recoveryTimer = undefined;
    if (!this.#everShared) this.#opts.log.info('rate budget: shared across replicas through Redis');
    else this.#opts.log.warn('rate budget: Redis is back; the budget is shared across replicas again');
    this.#everShared = true;
  }

  /** The Redis store failed: count locally until it is back. */
  redisFailed(err: unknown): void {
    if (this.#mode !== 'shared') return;
    this.#mode = 'fallback';
    this.stats.fallbacks += 1;
    this.#opts.log.warn(
      { err: String(err), replicas: this.#opts.replicas },
      'rate budget: Redis is unreachable; falling back to a local budget of limit ÷ RATE_BUDGET_REPLICAS',
    );
    // A command that timed out leaves the connection up: no `ready` event will come. Check now
    // and then whether the connection is usable, and share again when it is.
    this.#recoveryTimer ??= setInterval(() => {
      if (this.#mode !== 'fallback') {
        clearInterval(this.#recoveryTimer);
        this.#recoveryTimer = undefined;
      } else if (this.#opts.redis?.ready === true) void this.redisReady();
    }, RECOVERY_CHECK_MS);
    this.#recoveryTimer.unref();
  }

  /** One unit, traced as a `budget wait` span (from the ask to the grant) when tracing is on. */
  acquire(group: RateGroupName, deadlineMs: number, opts: AcquireOptions = {}): Promise<AcquireResult> {
    if (!tracingOn()) return this.#acquire(group, deadlineMs, opts);
    return traceBudgetWait(
      group,
      () => this.#acquire(group, deadlineMs, opts),
      (r) => ({
        outcome: r.ok ? 'granted' : opts.signal?.aborted === true ? 'abandoned' : 'refused',
        mode: this.#mode,
        retryAfterMs: r.ok ? undefined : r.retryAfterMs,
      }),
    );
  }

  async #acquire(group: RateGroupName, deadlineMs: number, opts: AcquireOptions): Promise<AcquireResult> {
    if (this.#closed) return { ok: false, retryAfterMs: 1_000 };
    if (opts.signal?.aborted === true) return { ok: false, retryAfterMs: 0 };
    const { audience } = opts;
    const key = queueKey(group, audience);
    const queued = this.#queues.get(key);
    // Whoever waits is served first: a newcomer never skips the queue.
    if (queued !== undefined && queued.live > 0)
      return this.#enqueue(queued, deadlineMs, opts.signal, 0, opts.callers);
    // Nobody is waiting ahead: try at once.
    const r = await this.#take(group, audience, this.#candidates(group, opts.callers, undefined));
    if (r.granted) {
      this.stats.granted += 1;
      return this.#granted(r);
    }
    const waitMs = Math.max(0, r.resetAtMs - r.nowMs);
    if (this.#now() + waitMs > deadlineMs) return this.#refuse(waitMs);
    let queue = this.#queues.get(key);
    if (queue === undefined) {
      queue = { key, group, audience, waiters: [], live: 0, pumping: false, timer: undefined };
      this.#queues.set(key, queue);
    }
    opts.onWait?.(this.#now() + waitMs);
    return this.#enqueue(queue, deadlineMs, opts.signal, waitMs, opts.callers);
  }

  retryHintMs(group: RateGroupName): number {
    return this.#untilWindowEnd(group);
  }

  observe(group: RateGroupName, headers: RateHeaders, status: number, opts: ObserveOptions = {}): void {
    this.#adoptLimit(group, headers);
    // A broadcast refused while Braze says its group still has room was refused for its unique
    // audience (10/min each, docs/braze-facts.md §2 row 6): Braze sends no per-audience headers,
    // so this is how it shows. That audience's window is spent; the group's count is reconciled
    // as for any answer. Without headers, the 429 cannot be told apart: the group is spent.
    const spentAudience = status === 429 && (headers.remaining ?? 0) > 0 ? opts.audience : undefined;
    if (spentAudience !== undefined) this.#spendAudience(group, spentAudience);
    // Otherwise a 429 means the window is spent, whatever the headers say (or if they are missing),
    // unless it was about one busy resource (the client decides that from the endpoint's row).
    const windowSpent = status === 429 && spentAudience === undefined && opts.resourceBusy !== true;
    const remaining = windowSpent ? 0 : headers.remaining;
    if (remaining === undefined) return;
    // Units Braze has counted in its window, by everyone using the workspace. Both sides count
    // requests, so our count (whose limit may sit lower, for headroom) moves up to it.
    const used = (headers.limit ?? this.#limitOf(group).limit) - remaining;
    const resetAtMs = headers.resetAtMs ?? this.#windowEnd(this.#limitOf(group).windowSec);
    this.#queueRaise(group, undefined, used, resetAtMs);
  }

  split(group: RateGroupName, charge: Charge, counts: CallerDemand): void {
    let items = 0;
    for (const n of counts.values()) items += n;
    const telemetry = this.#opts.telemetry;
    if (items === 0 || (counts.size === 1 && counts.has(charge.caller))) {
      telemetry?.budgetUnits?.(group, charge.caller, 1);
      return;
    }
    // By items, in milli-units; the charged caller keeps what rounding leaves, so they sum to 0.
    let pending = this.#pendingSplits.get(group);
    if (pending === undefined || pending.resetAtMs !== charge.resetAtMs) {
      pending = { resetAtMs: charge.resetAtMs, milli: new Map() };
      this.#pendingSplits.set(group, pending);
    }
    let others = 0;
    for (const [caller, n] of counts) {
      if (caller === charge.caller) continue;
      const milli = Math.round((1000 * n) / items);
      others += milli;
      pending.milli.set(caller, (pending.milli.get(caller) ?? 0) + milli);
      telemetry?.budgetUnits?.(group, caller, milli / 1000);
    }
    pending.milli.set(charge.caller, (pending.milli.get(charge.caller) ?? 0) - others);
    telemetry?.budgetUnits?.(group, charge.caller, (1000 - others) / 1000);
  }

  /**
   * Adopt Braze's limit, with the window it counts in, when it binds tighter than the configured
   * one; go back to the configured one when Braze's no longer does. A limit whose window cannot
   * be told changes nothing (the rule, with examples, is in brazeLimit.ts).
   */
  #adoptLimit(group: RateGroupName, headers: RateHeaders): void {
    if (headers.limit === undefined || headers.limit <= 0) return;
    const configured = this.#opts.limits[group];
    const current = this.#adopted.get(group);
    // The reset is on Braze's clock: measure the time left on it too, from the answer's Date
    // header (whole seconds: its middle), so a replica whose clock is off by seconds does not
    // read a 2 s window as a minute. Without the header, our own clock.
    const receivedAtMs = headers.serverDateMs !== undefined ? headers.serverDateMs + 500 : this.#now();
    const windowSec = inferWindowSec(headers.resetAtMs, receivedAtMs, {
      adoptedSec: current?.windowSec,
      configuredSec: configured.windowSec,
    });
    if (windowSec === undefined) return;
    const braze: RateLimit = { limit: headers.limit, windowSec };
    const next = bindsTighter(configured, braze) ? braze : undefined;
    if (next?.limit === current?.limit && next?.windowSec === current?.windowSec) return;
    if (next === undefined) {
      this.#adopted.delete(group);
      this.#opts.log.warn(
        { group, configured, braze },
        "rate budget: Braze's limit no longer binds tighter than the configured one; back to it",
      );
    } else {
      this.#adopted.set(group, next);
      this.#opts.log.warn(
        { group, configured, braze },
        'rate budget: Braze reports a lower limit than configured; adopting it with its window',
      );
    }
  }

  /** A per-audience 429: fill that audience's current window (its whole Braze limit is used). */
  #spendAudience(group: RateGroupName, audience: string): void {
    const { limit, windowSec } = this.#opts.perAudienceLimit;
    this.#queueRaise(group, audience, limit, this.#windowEnd(windowSec));
  }

  /** Keep the highest count reported for a bucket's window until a take (or the flush) carries it. */
  #queueRaise(group: RateGroupName, audience: string | undefined, used: number, resetAtMs: number): void {
    const key = queueKey(group, audience);
    const windowSec =
      audience === undefined ? this.#limitOf(group).windowSec : this.#opts.perAudienceLimit.windowSec;
    const pending = this.#pendingRaises.get(key)?.raise;
    if (pending === undefined || pending.resetAtMs !== resetAtMs || pending.used < used) {
      // The tolerance stays well under a window, or a count from the window just ended would be
      // applied to the one that just began.
      this.#pendingRaises.set(key, {
        group,
        audience,
        raise: { used, resetAtMs, toleranceMs: Math.min(RESET_TOLERANCE_MS, (windowSec * 1000) / 4) },
      });
    }
    this.#raiseTimer ??= setTimeout(() => void this.#flushRaises(), RAISE_FLUSH_MS);
  }

  /** Each group's limit, window, remaining units and reset, for `Query.rateBudget`. */
  async snapshot(): Promise<BudgetGroupView[]> {
    await this.#flushRaises();
    const read = async (scope: 'shared' | 'fallback') => {
      const buckets = RATE_GROUP_NAMES.map((g) => this.#bucket(g, scope));
      const store = scope === 'shared' && this.#opts.redis !== undefined ? this.#opts.redis : this.#local;
      return { buckets, readings: await store.read(buckets) };
    };
    let result;
    try {
      result = await read(this.#mode === 'fallback' ? 'fallback' : 'shared');
    } catch (err) {
      this.redisFailed(err);
      result = await read('fallback');
    }
    const { buckets, readings } = result;
    const shares = await this.#readShares(buckets);
    return RATE_GROUP_NAMES.map((group, i) => {
      const b = buckets[i]!;
      const r = readings[i]!;
      let waiting = 0;
      for (const q of this.#queues.values()) {
        if (q.group === group) waiting += q.live;
      }
      return {
        group,
        limit: b.limit,
        windowSeconds: b.windowMs / 1000,
        remaining: Math.max(0, b.limit - r.used),
        resetsAt: new Date(r.resetAtMs),
        waiting,
        mode: this.#mode,
        shares: shares[i] ?? [],
      };
    });
  }

  /** Each caller's part of each group's window (fair shares on), from the store in use. */
  async #readShares(buckets: Bucket[]): Promise<BudgetShareView[][]> {
    const shares = this.#opts.shares;
    if (shares === undefined) return [];
    const read = (store: BudgetStore, bucket: Bucket) => store.readShares(bucket);
    return Promise.all(
      RATE_GROUP_NAMES.map(async (group, i) => {
        const bucket = buckets[i]!;
        let reading;
        try {
          reading = await read(this.#mode === 'shared' ? this.#opts.redis! : this.#local, bucket);
        } catch (err) {
          this.redisFailed(err);
          reading = await read(this.#local, this.#bucket(group, 'fallback'));
        }
        const byCaller = new Map(reading.shares.map((r) => [r.caller, r]));
        const activeOf = (c: string) => (byCaller.get(c)?.activeUntilMs ?? 0) > reading.nowMs;
        let activeWeight = 0;
        for (const c of shares.callers) if (activeOf(c)) activeWeight += shares.weight(c, group);
        return shares.callers.map((caller) => {
          const weight = shares.weight(caller, group);
          const active = activeOf(caller);
          let waiting = 0;
          for (const q of this.#queues.values()) {
            if (q.group !== group) continue;
            for (const w of q.waiters) if (!w.settled) waiting += w.callers?.get(caller) ?? 0;
          }
          return {
            caller,
            weight,
            used: (byCaller.get(caller)?.usedMilli ?? 0) / 1000,
            entitlement: (bucket.limit * weight) / (activeWeight + (active ? 0 : weight)),
            active,
            waiting,
          };
        });
      }),
    );
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#raiseTimer);
    clearInterval(this.#recoveryTimer);
    for (const queue of this.#queues.values()) {
      clearTimeout(queue.timer);
      for (const w of queue.waiters) this.#settle(w, { ok: false, retryAfterMs: 1_000 });
    }
    this.#queues.clear();
    await this.#opts.redis?.close();
  }

  // --- internals ---

  /**
   * One take from the current store, carrying its buckets' pending reconciliations; with
   * `candidates` (fair shares on), a fair take carrying the group's charge corrections too.
   */
  async #take(
    group: RateGroupName,
    audience: string | undefined,
    candidates?: FairAsk['candidates'],
  ): Promise<TakeResult> {
    const raises = [group, ...(audience === undefined ? [] : [queueKey(group, audience)])].map((key) => {
      const pending = this.#pendingRaises.get(key);
      this.#pendingRaises.delete(key);
      return pending?.raise;
    });
    let fair: FairAsk | undefined;
    if (candidates !== undefined && candidates.length > 0) {
      const corrections = this.#pendingSplits.get(group);
      this.#pendingSplits.delete(group);
      const windowMs = this.#limitOf(group).windowSec * 1000;
      fair = { candidates, activeMs: Math.min(ACTIVE_MS, windowMs / 2), corrections };
    }
    if (this.#mode === 'shared') {
      const buckets = this.#buckets(group, audience, 'shared');
      try {
        return await this.#opts.redis!.take(buckets, this.#guardMs(buckets), raises, fair);
      } catch (err) {
        this.redisFailed(err);
      }
    }
    const buckets = this.#buckets(group, audience, this.#mode === 'memory' ? 'shared' : 'fallback');
    return this.#local.take(buckets, this.#guardMs(buckets), raises, fair);
  }

  /**
   * The callers a take is asked for, with their weights: those with items waiting in `one` (a
   * lone acquire) or in any live waiter of `queue`. Undefined when fair shares are off.
   */
  #candidates(
    group: RateGroupName,
    one: CallerDemand | undefined,
    queue: Queue | undefined,
  ): FairAsk['candidates'] | undefined {
    const shares = this.#opts.shares;
    if (shares === undefined) return undefined;
    const byCaller = new Map<string, FairCandidate>();
    const add = (demand: CallerDemand | undefined) => {
      if (demand === undefined) return;
      for (const [caller, n] of demand) {
        if (n <= 0) continue;
        const c = byCaller.get(caller);
        if (c === undefined) byCaller.set(caller, { caller, weight: shares.weight(caller, group), need: n });
        else c.need += n;
      }
    };
    add(one);
    if (queue !== undefined) for (const w of queue.waiters) if (!w.settled) add(w.callers);
    return [...byCaller.values()];
  }

  /** Write reconciliations that no take has carried. */
  async #flushRaises(): Promise<void> {
    clearTimeout(this.#raiseTimer);
    this.#raiseTimer = undefined;
    const pending = [...this.#pendingRaises.values()];
    this.#pendingRaises.clear();
    for (const { group, audience, raise } of pending) {
      const scope = this.#mode === 'fallback' ? 'fallback' : 'shared';
      const store = this.#mode === 'shared' ? this.#opts.redis! : this.#local;
      const bucket = this.#buckets(group, audience, scope).at(-1)!;
      try {
        await store.raise(bucket, raise);
        this.stats.reconciled += 1;
      } catch (err) {
        this.redisFailed(err);
      }
    }
  }

  /** The guard never takes more than a tenth of a window (3 s windows keep 2.7 s usable). */
  #guardMs(buckets: Bucket[]): number {
    return Math.min(this.#opts.guardMs, ...buckets.map((b) => Math.floor(b.windowMs / 10)));
  }

  #buckets(group: RateGroupName, audience: string | undefined, scope: 'shared' | 'fallback'): Bucket[] {
    const buckets = [this.#bucket(group, scope)];
    if (audience !== undefined) {
      const hash = createHash('sha256').update(audience).digest('hex').slice(0, 24);
      const { limit, windowSec } = this.#opts.perAudienceLimit;
      buckets.push(
        this.#sized(`bgw:{${this.#opts.workspaceId}}:${group}:aud:${hash}`, limit, windowSec, scope),
      );
    }
    return buckets;
  }

  /**
   * A group's bucket, sized by the limit in force. An adopted window other than the configured
   * one counts under its own key: a minute's count must not be read as a 3 s window's.
   */
  #bucket(group: RateGroupName, scope: 'shared' | 'fallback'): Bucket {
    const { limit, windowSec } = this.#limitOf(group);
    const base = `bgw:{${this.#opts.workspaceId}}:${group}`;
    const key = windowSec === this.#opts.limits[group].windowSec ? base : `${base}:w${windowSec}`;
    return this.#sized(key, limit, windowSec, scope);
  }

  /** A bucket's limit after headroom; a fallback bucket takes this replica's share only. */
  #sized(key: string, limit: number, windowSec: number, scope: 'shared' | 'fallback'): Bucket {
    const afterHeadroom = Math.max(1, Math.floor(limit * (1 - this.#opts.headroom)));
    return scope === 'shared'
      ? { key, limit: afterHeadroom, windowMs: windowSec * 1000 }
      : {
          key: `${key}:local`,
          limit: Math.max(1, Math.floor(afterHeadroom / this.#opts.replicas)),
          windowMs: windowSec * 1000,
        };
  }

  /** The group's limit and window in force: the configured ones, or Braze's if tighter. */
  #limitOf(group: RateGroupName): RateLimit {
    return this.#adopted.get(group) ?? this.#opts.limits[group];
  }

  /** End of the current clock-aligned window of `windowSec`, on this process's clock. */
  #windowEnd(windowSec: number): number {
    return windowStart(this.#now(), windowSec * 1000) + windowSec * 1000;
  }

  /** A grant, with the end of its window on this process's clock (the store's may be Redis's). */
  #granted(r: TakeResult): AcquireResult {
    const windowEndsAtMs = this.#now() + (r.resetAtMs - r.nowMs);
    return r.caller === undefined
      ? { ok: true, windowEndsAtMs }
      : { ok: true, windowEndsAtMs, charge: { caller: r.caller, resetAtMs: r.resetAtMs } };
  }

  #refuse(retryAfterMs: number): AcquireResult {
    this.stats.refused += 1;
    return { ok: false, retryAfterMs };
  }

  /**
   * Wait in `queue` for a unit, no later than `deadlineMs`; `firstWaitMs` is when the store says a
   * unit may free up. Makes sure the queue is watched (pumping, or a timer set).
   */
  #enqueue(
    queue: Queue,
    deadlineMs: number,
    signal: AbortSignal | undefined,
    firstWaitMs: number,
    callers: CallerDemand | undefined,
  ): Promise<AcquireResult> {
    // Aborted while the first take was on its way: not wanted any more.
    if (signal?.aborted === true) return Promise.resolve({ ok: false, retryAfterMs: 0 });
    const startedMs = this.#now();
    const group = queue.group;
    const promise = new Promise<AcquireResult>((resolve) => {
      const waiter: Waiter = {
        deadlineMs,
        settled: false,
        timer: undefined,
        queue,
        unlisten: undefined,
        callers,
        resolve: (r) => {
          if (r.ok) {
            const waitedMs = this.#now() - startedMs;
            this.stats.waited += 1;
            this.stats.waitMsTotal += waitedMs;
            this.#opts.telemetry?.budgetWait(group, waitedMs / 1000);
          }
          resolve(r);
        },
      };
      // Never wait past the deadline, whatever the queue does.
      waiter.timer = setTimeout(
        () => this.#settle(waiter, this.#refuse(this.#untilWindowEnd(queue.group))),
        Math.max(0, deadlineMs - this.#now()),
      );
      if (signal !== undefined) {
        const onAbort = () => this.#settle(waiter, { ok: false, retryAfterMs: 0 });
        signal.addEventListener('abort', onAbort, { once: true });
        waiter.unlisten = () => signal.removeEventListener('abort', onAbort);
      }
      queue.waiters.push(waiter);
      queue.live += 1;
    });
    if (!queue.pumping && queue.timer === undefined) this.#schedule(queue, firstWaitMs);
    return promise;
  }

  /** Time until the group's current (clock-aligned) window ends: a refusal's retry hint. */
  #untilWindowEnd(group: RateGroupName): number {
    const windowMs = this.#limitOf(group).windowSec * 1000;
    return Math.max(1, windowMs - (this.#now() % windowMs));
  }

  #settle(w: Waiter, r: AcquireResult): void {
    if (w.settled) return;
    w.settled = true;
    w.queue.live -= 1;
    clearTimeout(w.timer);
    w.unlisten?.();
    w.resolve(r);
    const queue = w.queue;
    // The last waiter left: nothing to watch any more.
    if (queue.live === 0 && !queue.pumping) this.#retire(queue);
  }

  /** Forget a queue nobody waits in (a later acquire starts afresh, at once). */
  #retire(queue: Queue): void {
    clearTimeout(queue.timer);
    queue.timer = undefined;
    queue.waiters.length = 0;
    if (this.#queues.get(queue.key) === queue) this.#queues.delete(queue.key);
  }

  #schedule(queue: Queue, waitMs: number): void {
    clearTimeout(queue.timer);
    // A little jitter, so replicas waiting for the same window don't all call Redis at once.
    queue.timer = setTimeout(
      () => {
        queue.timer = undefined;
        void this.#pump(queue);
      },
      waitMs + Math.floor(Math.random() * 15),
    );
  }

  /** Grant waiters in arrival order while the store says yes; then sleep until the next window. */
  async #pump(queue: Queue): Promise<void> {
    if (queue.pumping || this.#closed) return;
    queue.pumping = true;
    try {
      for (;;) {
        while (queue.waiters.length > 0 && queue.waiters[0]!.settled) queue.waiters.shift();
        if (queue.live === 0) return;
        const r = await this.#take(
          queue.group,
          queue.audience,
          this.#candidates(queue.group, undefined, queue),
        );
        if (r.granted) {
          this.stats.granted += 1;
          // The head may have left (deadline, abort) during the take: the unit goes to the next.
          while (queue.waiters.length > 0 && queue.waiters[0]!.settled) queue.waiters.shift();
          // A fair grant goes to the oldest waiter holding the charged caller's items.
          const at = r.caller === undefined ? 0 : queue.waiters.findIndex((w) => holds(w, r.caller!));
          const [next] = queue.waiters.splice(Math.max(0, at), 1);
          if (next !== undefined) this.#settle(next, this.#granted(r));
          continue;
        }
        const waitMs = Math.max(0, r.resetAtMs - r.nowMs);
        const now = this.#now();
        for (const w of queue.waiters) if (now + waitMs > w.deadlineMs) this.#settle(w, this.#refuse(waitMs));
        if (queue.live > 0) this.#schedule(queue, waitMs);
        return;
      }
    } catch (err) {
      // The stores fall back by themselves; this is a bug, but waiters must not hang on it.
      this.#opts.log.error({ err: String(err) }, 'rate budget: pump failed; retrying shortly');
      if (queue.live > 0) this.#schedule(queue, 50);
    } finally {
      queue.pumping = false;
      if (queue.live === 0) this.#retire(queue);
    }
  }
}

/** Whether a live waiter's unit may carry `caller`'s items. */
function holds(w: Waiter, caller: string): boolean {
  return !w.settled && (w.callers?.get(caller) ?? 0) > 0;
}
