import { connectBackoffMs, type BrazeAnswer, type GrantCharge } from '../braze/client.js';
import { ENDPOINTS } from '../braze/endpoints.js';
import { ANONYMOUS_CALLER } from '../budget/shares.js';
import type { Context } from '@opentelemetry/api';
import { BadInputError, RateLimitedError, UpstreamError } from '../errors.js';
import { captureContext, recordLaneWait, runIn, tracingOn } from '../observability/spans.js';
import { Line, type Packable } from './pack.js';
import type { DeliveryStats, LaneCapacity, LaneClient, LaneSettings, LaneSpec } from './spec.js';
import { EarliestTimer } from './timer.js';

/**
 * The delivery engine (DESIGN "Lanes, packed at the grant").
 *
 * A lane is a FIFO of items bound for one Braze endpoint and partition (one identifier type per
 * /users/delete, one campaign and payload per trigger…), from every concurrent GraphQL request,
 * each item with its own deadline. The lane asks the budget for one unit at a time; what the
 * request carries is decided when the unit is granted: as many waiting items as Braze's maxima
 * allow, oldest first. So when the budget binds, items pile up while the lane waits and every
 * request leaves full, and the budget's wait queue holds lanes, never batches.
 *
 * When to ask (the flush policy), first match wins:
 *  - a full request's worth is waiting, or the lane is draining (shutdown) → now;
 *  - no item arrived for `idleMs` (default 0) and the event loop has finished its current turn
 *    (every caller whose HTTP request arrived meanwhile has joined) → now;
 *  - while the budget binds, a part-full request lingers at least BINDING_LINGER_MS from its
 *    oldest item or the lane's last grant, whichever is later (scarce units leave full);
 *  - the oldest item has waited `windowMs` (a steady trickle still leaves) → now;
 *  - a request that would leave part-full waits while another of its lane is out (or waiting for
 *    budget): items accumulate meanwhile and the next one leaves fuller ("smart batching"); full
 *    requests go in parallel, up to `maxInFlight` per lane.
 *
 * Promises kept:
 *  - `submit` resolves with that item's own result or rejects with its own error; every item is
 *    answered exactly once, and an item is never sent after its deadline has passed;
 *  - one caller's deadline never shortens its batch-mates': the acquire waits for the latest
 *    deadline in line, the HTTP request is bounded by the configured timeouts only, and an item
 *    whose own deadline passes while it waits is refused alone (`RATE_LIMITED` with
 *    `retryAfter` when it waited for budget);
 *  - one item's failure never fails its neighbours: Braze's per-item errors fail the items they
 *    name; a whole-request rejection fails the items it names and puts the rest back in line; one
 *    that names none halves the request (each half back in line) until the bad item stands
 *    alone; one about what all items share (the campaign id) fails the lane at once after one
 *    confirming request;
 *  - what Braze provably did not process (a 429, a refused connection) goes back to the head of
 *    the line and is tried again while its deadline allows.
 *
 * Fair shares (LaneSettings.shares): each item carries its caller. A lane counts its waiting
 * items per caller and tells the budget (a live view), which charges each unit to one caller; at
 * that grant the lane packs the charged caller's items first, fills the rest of the request with
 * the others', and has the unit spread over the callers by items. A caller holds at most its
 * share of an endpoint's queue (`maxQueued`), so a flood never locks a light caller out. Without
 * shares none of this runs: no per-caller counting, no per-item cost.
 */

interface Entry<I, R> extends Packable<I> {
  /** Whose item it is: a gateway key's name, or `anonymous`. */
  caller: string;
  deadlineMs: number;
  enqueuedMs: number;
  /** Tracing on: the context (the GraphQL operation's span) the item was queued in. */
  trace: Context | undefined;
  attempts: number;
  lastError: Error | undefined;
  /** Told the item's outcome once, with `slot`: one sink serves every item of a list. */
  sink: Sink<R>;
  slot: number;
  done: boolean;
}

/**
 * Where queued items' outcomes go: the item's result, or its own error. `submitEach` takes one
 * for a whole list (no promise per item); `submit` makes one per item around a promise.
 */
export type Sink<R> = (slot: number, outcome: R | Error) => void;

/** Least a part-full request lingers while the budget binds. */
const BINDING_LINGER_MS = 100;
/** How long after a wait for budget the budget is still taken to bind. */
const BINDING_MEMORY_MS = 5_000;
/** Fair shares: a caller may always queue this many items of an endpoint (if maxQueued allows). */
const MIN_CALLER_QUEUE = 10;

/** One endpoint's lanes, one per partition, created on demand and dropped when idle. */
export class Delivery<I, R> {
  readonly spec: LaneSpec<I, R>;
  readonly #client: LaneClient;
  readonly #settings: LaneSettings;
  readonly #now: () => number;
  readonly #lanes = new Map<string, Lane<I, R>>();
  /** The capacity in force: the spec's, or lower once Braze said a request was too large. */
  capacity: LaneCapacity;
  /** Set by `drain`: every item's deadline is cut to it, and lanes ask for budget at once. */
  drainUntilMs: number | undefined;
  queued = 0;
  readonly stats: DeliveryStats = {
    items: 0,
    requests: 0,
    delivered: 0,
    carried: 0,
    splits: 0,
    requeued: 0,
    expired: 0,
    refused: 0,
  };
  readonly #idleWaiters: Array<() => void> = [];
  /** Fair shares on: items waiting per caller across this endpoint's lanes, and each one's bound. */
  readonly held: Map<string, number> | undefined;
  readonly #bounds = new Map<string, number>();

  constructor(client: LaneClient, spec: LaneSpec<I, R>, settings: LaneSettings) {
    this.#client = client;
    this.spec = spec;
    this.#settings = settings;
    this.#now = settings.now ?? Date.now;
    this.capacity = spec.capacity;
    this.held = settings.shares === undefined ? undefined : new Map();
  }

  /** Queue one item; resolves with its result once Braze accepted it, rejects with its own error. */
  submit(item: I, deadlineMs: number, caller: string = ANONYMOUS_CALLER): Promise<R> {
    const refused = this.#refusal(caller);
    if (refused !== undefined) return Promise.reject(refused);
    return new Promise<R>((resolve, reject) => {
      const lane = this.#laneOf(item);
      this.stats.items += 1;
      lane.push(
        item,
        this.#until(deadlineMs),
        this.#now(),
        caller,
        (_, outcome) => {
          if (outcome instanceof Error) reject(outcome);
          else resolve(outcome);
        },
        0,
      );
      lane.kick();
    });
  }

  /**
   * Queue a list's items at once: `sink(i, outcome)` is told each item's result or error, once,
   * with its index in `items` (`undefined` entries are skipped: items refused before queueing).
   * Items over the queue's bound (or the caller's share of it) are refused through the sink,
   * before this returns. One sink and one kick per lane for the whole list, rather than a promise
   * and a kick per item.
   */
  submitEach(
    items: ReadonlyArray<I | undefined>,
    deadlineMs: number,
    sink: Sink<R>,
    caller: string = ANONYMOUS_CALLER,
  ): void {
    const now = this.#now();
    const until = this.#until(deadlineMs);
    let first: Lane<I, R> | undefined;
    let others: Set<Lane<I, R>> | undefined;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (item === undefined) continue;
      const refused = this.#refusal(caller);
      if (refused !== undefined) {
        sink(i, refused);
        continue;
      }
      const lane = this.#laneOf(item);
      this.stats.items += 1;
      lane.push(item, until, now, caller, sink, i);
      if (first === undefined) first = lane;
      else if (lane !== first) (others ??= new Set()).add(lane);
    }
    first?.kick();
    others?.forEach((lane) => lane.kick());
  }

  /** Refused at once, with a retry hint: the queue's bound is reached, or the caller's share of it. */
  #refusal(caller: string): RateLimitedError | undefined {
    let message: string | undefined;
    if (this.queued >= this.#settings.maxQueued) {
      message = `The gateway already holds ${this.queued} items waiting for ${this.spec.name}: retry later.`;
    } else if (this.held !== undefined && (this.held.get(caller) ?? 0) >= this.#boundOf(caller)) {
      message = `This caller already has ${this.held.get(caller)} items waiting for ${this.spec.name}, its share of the queue: retry later.`;
    }
    if (message === undefined) return undefined;
    this.stats.refused += 1;
    return new RateLimitedError(this.#client.retryHintMs(this.spec.endpoint), message);
  }

  #laneOf(item: I): Lane<I, R> {
    const partition = this.spec.partition?.(item) ?? '';
    let lane = this.#lanes.get(partition);
    if (lane === undefined) {
      lane = new Lane(this, partition, this.#client, this.#settings);
      this.#lanes.set(partition, lane);
    }
    return lane;
  }

  #until(deadlineMs: number): number {
    return this.drainUntilMs === undefined ? deadlineMs : Math.min(deadlineMs, this.drainUntilMs);
  }

  /** Most items `caller` may have waiting: its weight's share of `maxQueued`, at least a minimum. */
  #boundOf(caller: string): number {
    let bound = this.#bounds.get(caller);
    if (bound === undefined) {
      const { maxQueued, shares } = this.#settings;
      const share = shares?.queueShare(caller, ENDPOINTS[this.spec.endpoint].group) ?? 1;
      bound = Math.min(maxQueued, Math.max(MIN_CALLER_QUEUE, Math.floor(maxQueued * share)));
      this.#bounds.set(caller, bound);
    }
    return bound;
  }

  /** Send what waits now; items that cannot leave by `untilMs` are refused. */
  drain(untilMs: number): Promise<void> {
    this.drainUntilMs = untilMs;
    for (const lane of this.#lanes.values()) lane.drain(untilMs);
    return this.whenIdle();
  }

  /** Resolves once no item waits and no request is out. */
  whenIdle(): Promise<void> {
    if (this.#lanes.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** A lane with nothing queued and nothing out is forgotten (partitions come and go). */
  laneIdle(lane: Lane<I, R>): void {
    if (this.#lanes.get(lane.partition) === lane) this.#lanes.delete(lane.partition);
    if (this.#lanes.size === 0) for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  /** Lanes that exist now (for tests and metrics). */
  get laneCount(): number {
    return this.#lanes.size;
  }

  /** Adopt a lower capacity for the rest of the process, and say so once. */
  learn(next: LaneCapacity): boolean {
    if (next.total >= this.capacity.total) return false;
    this.#settings.log.warn(
      { endpoint: this.spec.name, before: this.capacity.total, after: next.total },
      'Braze says requests are too large for this workspace: adopting the lower per-request maximum (check BRAZE_CONTRACT)',
    );
    this.capacity = next;
    return true;
  }
}

/** One lane: the FIFO of one partition of one endpoint, and its requests. */
class Lane<I, R> {
  readonly partition: string;
  readonly #owner: Delivery<I, R>;
  readonly #client: LaneClient;
  readonly #settings: LaneSettings;
  readonly #now: () => number;
  readonly #queue = new Line<Entry<I, R>>();
  /** No waiting item's deadline is earlier (a bound: kept as items come, made exact by `#expire`). */
  #earliestDeadlineMs = Infinity;
  /**
   * The latest deadline in line, exact unless `#latestStale` (an item holding it left, or a
   * drain cut deadlines): then worked out again when a request asks for budget.
   */
  #latestDeadlineMs = 0;
  #latestStale = false;
  /** Requests of this lane out or waiting for budget. */
  #inFlight = 0;
  /** The pending budget wait, if any: at most one per lane. */
  #acquiring: { controller: AbortController; deadlineMs: number } | undefined;
  #lastArrivalMs = 0;
  /** An item arrived since the last turn-end check (see `#kick`). */
  #arrivedThisTurn = false;
  #turnEndArmed = false;
  /** When this lane's last unit was granted. */
  #lastGrantMs = 0;
  /** Kicks the lane when its part-full request is due (window, idle gap, backoff). */
  readonly #flush: EarliestTimer;
  /** Refuses the waiting items whose deadline has come. */
  readonly #expiry: EarliestTimer;
  /** After a refused connection: no request before then (backoff). */
  #retryAtMs = 0;
  /** A shared-payload rejection is being confirmed with this entry alone. */
  #probe: { entry: Entry<I, R>; message: string | undefined } | undefined;
  #probing = false;
  /** Until then the budget is taken to bind for this lane (see `#readyAtMs`). */
  #bindingUntilMs = 0;
  /** Fair shares on: waiting items per caller (callers with none are dropped); the budget reads it. */
  readonly #callers: Map<string, number> | undefined;

  constructor(owner: Delivery<I, R>, partition: string, client: LaneClient, settings: LaneSettings) {
    this.#owner = owner;
    this.partition = partition;
    this.#client = client;
    this.#settings = settings;
    this.#now = settings.now ?? Date.now;
    this.#callers = owner.held === undefined ? undefined : new Map();
    this.#flush = new EarliestTimer(this.#now, () => this.#kick());
    this.#expiry = new EarliestTimer(this.#now, () => {
      this.#expire(this.#now());
      this.#kick();
    });
  }

  get #spec(): LaneSpec<I, R> {
    return this.#owner.spec;
  }

  /** Queue one item (its outcome goes to `sink` with `slot`); the caller kicks once it is done. */
  push(item: I, deadlineMs: number, now: number, caller: string, sink: Sink<R>, slot: number): void {
    const spec = this.#spec;
    const entry: Entry<I, R> = {
      item,
      caller,
      deadlineMs,
      enqueuedMs: now,
      trace: captureContext(),
      cls: spec.classOf?.(item) ?? '',
      bytes: spec.bytesOf?.(item) ?? 0,
      cap: Infinity,
      mergeKey: spec.mergeBy?.(item),
      distinctKey: spec.distinctBy?.(item),
      attempts: 0,
      lastError: undefined,
      sink,
      slot,
      done: false,
    };
    this.#queue.push(entry);
    this.#owner.queued += 1;
    if (this.#callers !== undefined) this.#countCaller(caller, 1);
    if (deadlineMs < this.#earliestDeadlineMs) this.#earliestDeadlineMs = deadlineMs;
    if (deadlineMs > this.#latestDeadlineMs) this.#latestDeadlineMs = deadlineMs;
    this.#lastArrivalMs = now;
    this.#arrivedThisTurn = true;
    this.#expiry.at(deadlineMs);
  }

  /** Items were pushed: decide whether to ask for a request now. */
  kick(): void {
    this.#kick();
  }

  drain(untilMs: number): void {
    this.#queue.forEach((e) => {
      if (e.deadlineMs > untilMs) e.deadlineMs = untilMs;
    });
    if (untilMs < this.#earliestDeadlineMs) this.#earliestDeadlineMs = untilMs;
    this.#latestStale = true;
    this.#expiry.at(untilMs);
    // A wait for budget longer than the drain allows is asked again with the shorter deadline.
    if (this.#acquiring !== undefined && this.#acquiring.deadlineMs > untilMs) {
      this.#acquiring.controller.abort();
    }
    this.#kick();
  }

  // --- when to ask for a request ---

  #kick(): void {
    if (this.#acquiring !== undefined || this.#queue.length === 0) return this.#checkIdle();
    if (this.#inFlight >= this.#settings.maxInFlight) return; // a completion kicks again
    if (this.#probing) return; // a confirming request is out: its answer decides for everyone
    const now = this.#now();
    if (now < this.#retryAtMs) return this.#flush.at(this.#retryAtMs);
    const full = this.#urgent() || this.#fullWorth();
    // Smart batching: a request that would leave part-empty waits while another of this lane is
    // out; its items keep accumulating, and the completion kicks again.
    if (!full && this.#inFlight > 0) return;
    const at = full ? now : this.#readyAtMs(now);
    if (at > now) return this.#flush.at(at);
    // A part-full request leaves at the end of this turn of the event loop at the earliest:
    // callers whose HTTP requests arrived in the same turn join it.
    if (!full && this.#arrivedThisTurn) return this.#armTurnEnd();
    this.#startRequest();
  }

  /** Kick again once this turn of the event loop has run its I/O callbacks (setImmediate). */
  #armTurnEnd(): void {
    if (this.#turnEndArmed) return;
    this.#turnEndArmed = true;
    (this.#settings.atTurnEnd ?? setImmediate)(() => {
      this.#turnEndArmed = false;
      this.#arrivedThisTurn = false;
      this.#kick();
    });
  }

  /** Items that go without lingering: a drain, a probe, split halves. */
  #urgent(): boolean {
    return (
      this.#owner.drainUntilMs !== undefined ||
      this.#probe !== undefined ||
      this.#queue.first()!.cap !== Infinity
    );
  }

  /**
   * When a part-full request is worth asking for: the earliest of window and idle gap. While the
   * budget binds (this lane was told to wait for a unit lately), the idle gap no longer counts
   * and the linger is at least BINDING_LINGER_MS: a unit is scarce, so a part-full lane leaves
   * the window's first units to fuller ones (on other replicas too) and fills up meanwhile.
   */
  #readyAtMs(now: number): number {
    const oldest = this.#queue.first()!;
    if (now < this.#bindingUntilMs) {
      // Counted from the last grant too: leftovers of a full request, old as they are, wait for
      // the callers it answers to come back rather than leave part-full with a scarce unit.
      const since = Math.max(oldest.enqueuedMs, this.#lastGrantMs);
      return Math.max(now, since + Math.max(this.#settings.windowMs, BINDING_LINGER_MS));
    }
    return Math.max(
      now,
      Math.min(oldest.enqueuedMs + this.#settings.windowMs, this.#lastArrivalMs + this.#settings.idleMs),
    );
  }

  /** One request's worth is waiting: the next item would need another request anyway. */
  #fullWorth(): boolean {
    const cap = this.#owner.capacity;
    if (this.#queue.length >= cap.total) return true;
    if (cap.perClass === undefined) return false;
    return this.#queue.someClassReaches(cap.perClass);
  }

  #checkIdle(): void {
    if (this.#queue.length > 0 || this.#inFlight > 0) return;
    this.#flush.clear();
    this.#expiry.clear();
    this.#owner.laneIdle(this);
  }

  // --- one request ---

  #startRequest(): void {
    this.#flush.clear();
    const controller = new AbortController();
    // The unit may serve any item in line, so the wait lasts as long as the latest deadline.
    const deadlineMs = this.#latestDeadline();
    const acquiring = { controller, deadlineMs };
    this.#acquiring = acquiring;
    this.#inFlight += 1;
    let taken: Array<Entry<I, R>> | undefined;
    const spec = this.#spec;
    // Tracing on: the budget wait and the Braze call belong to the operation whose item is oldest
    // in line (it leaves in this request but for a deadline); the others are linked at the grant.
    runIn(this.#queue.first()!.trace, () =>
      this.#client.sendAtGrant(
        spec.endpoint,
        (charge) => {
          // Granted: from now on another request may wait for budget.
          if (this.#acquiring === acquiring) this.#acquiring = undefined;
          this.#lastGrantMs = this.#now();
          taken = this.#pack(charge);
          queueMicrotask(() => this.#kick());
          if (taken.length === 0) return undefined;
          this.#owner.stats.requests += 1;
          let oldestMs = Infinity;
          for (const e of taken) if (e.enqueuedMs < oldestMs) oldestMs = e.enqueuedMs;
          this.#settings.telemetry?.batchWait(spec.name, (this.#now() - oldestMs) / 1000);
          this.#settings.telemetry?.batchRequest(spec.name, taken.length, this.#owner.capacity.total);
          if (tracingOn()) recordLaneWait({ lane: spec.name, items: taken, nowMs: this.#now() });
          return spec.body(taken.map((e) => e.item));
        },
        {
          deadlineMs,
          signal: controller.signal,
          // The budget says no unit before `untilMs`: whoever cannot wait that long is told now.
          onBudgetWait: (untilMs) => this.#refuseBefore(untilMs),
          callers: this.#callers,
        },
      ),
    )
      .then(
        (answer) => {
          if (taken !== undefined && taken.length > 0 && answer !== undefined) this.#delivered(taken, answer);
        },
        (err: unknown) => {
          if (taken === undefined) this.#notGranted(err, controller.signal.aborted);
          else this.#failed(taken, err);
        },
      )
      .catch((err: unknown) => {
        // A bug in a spec's result mapping: answer the items rather than leave them hanging.
        this.#settings.log.error({ err: String(err), endpoint: spec.name }, 'delivery: unexpected failure');
        for (const e of taken ?? [])
          this.#settle(e, new UpstreamError('network', 'Internal delivery failure.'));
      })
      .finally(() => {
        if (this.#acquiring === acquiring) this.#acquiring = undefined;
        this.#inFlight -= 1;
        this.#kick();
      });
  }

  /**
   * At the grant: drop what expired, then take as many waiting items as one request holds (a fair
   * grant's caller first, the unit then spread over the callers by items).
   */
  #pack(charge?: GrantCharge): Array<Entry<I, R>> {
    this.#expire(this.#now());
    if (this.#probe !== undefined) {
      const { entry } = this.#probe;
      if (!entry.done && this.#queue.remove(entry)) {
        this.#left([entry]);
        this.#owner.queued -= 1;
        this.#probing = true;
        return [entry];
      }
      if (!this.#probing) this.#probe = undefined; // the probe expired meanwhile: pack as usual
    }
    if (charge !== undefined && this.#callers !== undefined && this.#callers.size > 1) {
      const caller = charge.caller;
      const theirs = this.#callers.get(caller) ?? 0;
      if (theirs > 0 && this.#queue.first()?.caller !== caller) {
        this.#queue.prefer((e) => e.caller === caller, Math.min(theirs, this.#owner.capacity.total));
      }
    }
    const taken = this.#queue.pack(this.#owner.capacity, this.#spec.mergeBy !== undefined);
    this.#left(taken);
    this.#owner.queued -= taken.length;
    if (charge !== undefined) {
      const counts = new Map<string, number>();
      for (const e of taken) counts.set(e.caller, (counts.get(e.caller) ?? 0) + 1);
      charge.split(counts);
    }
    return taken;
  }

  // --- outcomes ---

  #delivered(taken: Array<Entry<I, R>>, answer: BrazeAnswer): void {
    const stats = this.#owner.stats;
    stats.delivered += 1;
    stats.carried += taken.length;
    if (this.#probe !== undefined && this.#probing) {
      // The probe went through: the rejection was about some other item. Split as usual.
      this.#probe = undefined;
      this.#probing = false;
    }
    const outcomes = this.#spec.results(
      answer,
      taken.map((e) => e.item),
    );
    taken.forEach((e, i) => {
      const outcome =
        i < outcomes.length ? outcomes[i] : new UpstreamError('network', 'No outcome recorded.');
      this.#settle(e, outcome as R | Error);
    });
  }

  /** The wait for budget ended without a unit: refused, aborted, or the circuit is open. */
  #notGranted(err: unknown, aborted: boolean): void {
    if (aborted) return; // the lane let go on purpose (everyone expired, or a drain)
    const now = this.#now();
    if (err instanceof RateLimitedError) {
      // No unit before the latest deadline in line: every item that was waiting then is refused.
      const refused = this.#failWhere(
        (e) => e.deadlineMs <= now + err.retryAfterMs,
        (e) => e.lastError ?? err,
      );
      this.#owner.stats.expired += refused;
      // Refused although someone could have waited (the budget is closing): don't spin.
      if (refused === 0) this.#retryAtMs = Math.max(this.#retryAtMs, now + Math.max(10, err.retryAfterMs));
      return;
    }
    // The circuit is open (or the path failed before sending): fail fast, everyone in line.
    const error = err instanceof Error ? err : new UpstreamError('network', 'Braze request failed.');
    this.#failWhere(
      () => true,
      () => error,
    );
  }

  /** Refuse at once the waiting items whose deadlines end before the budget's next unit. */
  #refuseBefore(untilMs: number): void {
    const now = this.#now();
    // The budget binds: until a while after that unit frees up, part-full requests linger.
    this.#bindingUntilMs = Math.max(this.#bindingUntilMs, untilMs + BINDING_MEMORY_MS);
    const retryAfterMs = Math.max(1, untilMs - now);
    const refused = this.#failWhere(
      (e) => e.deadlineMs < untilMs,
      (e) => e.lastError ?? new RateLimitedError(retryAfterMs),
    );
    this.#owner.stats.expired += refused;
    if (this.#queue.length === 0 && this.#acquiring !== undefined) this.#acquiring.controller.abort();
  }

  #failed(taken: Array<Entry<I, R>>, err: unknown): void {
    const spec = this.#spec;
    const probe = this.#probing ? this.#probe : undefined;
    this.#probing = false;
    // Braze did not process it (429): back to the head of the line, not before Braze's reset
    // (the budget also knows the window is spent), unless tried enough.
    if (err instanceof RateLimitedError) return this.#requeue(taken, err, err.retryAfterMs);
    if (!(err instanceof UpstreamError)) {
      const error = err instanceof Error ? err : new UpstreamError('network', 'Braze request failed.');
      for (const e of taken) this.#settle(e, error);
      return;
    }
    if (!err.mayHaveBeenProcessed && err.kind !== 'circuit_open') {
      // Never reached Braze (refused connection): back in line after a jittered backoff.
      const attempt = Math.max(...taken.map((e) => e.attempts)) + 1;
      const backoffMs = connectBackoffMs(attempt);
      if (attempt < this.#settings.maxAttempts)
        this.#settings.log.warn({ endpoint: spec.name, attempt, backoffMs }, 'Braze unreachable; retrying');
      this.#requeue(taken, err, backoffMs);
      return;
    }
    if (err.kind !== 'rejected') {
      // About the request, not its content (401, 403, 5xx, timeout, reset): the same for all.
      for (const e of taken) this.#settle(e, err);
      return;
    }
    const items = taken.map((e) => e.item);
    // Too many items for this workspace: adopt its real maximum, and everything goes again.
    const learned = spec.learnCapacity?.(err, taken.length, this.#owner.capacity);
    if (learned !== undefined && this.#owner.learn(learned)) return this.#putBack(taken);
    if (probe !== undefined) {
      this.#probe = undefined;
      if (err.brazeMessage === probe.message) {
        // The item alone meets the same refusal: it is about what they all share.
        const error = this.#aloneError(err, probe.entry.item);
        this.#settle(probe.entry, error);
        this.#failWhere(
          () => true,
          () => error,
        );
        return;
      }
    }
    const named = spec.named?.(err, items) ?? new Map<number, Error>();
    if (named.size > 0) {
      const rest: Array<Entry<I, R>> = [];
      taken.forEach((e, i) => {
        const error = named.get(i);
        if (error !== undefined) this.#settle(e, error);
        else rest.push(e);
      });
      return this.#putBack(rest);
    }
    if (taken.length === 1) return this.#settle(taken[0]!, this.#aloneError(err, items[0]!));
    if (probe === undefined && taken[0]!.cap === Infinity && spec.sharedRejection?.(err) === true) {
      // Confirm with one item alone before failing the whole lane; should the item go through,
      // the others are halved as below.
      this.#probe = { entry: taken[0]!, message: err.brazeMessage };
      this.#owner.stats.splits += 1;
      const half = Math.ceil((taken.length - 1) / 2);
      for (const e of taken.slice(1)) e.cap = Math.min(e.cap, half);
      return this.#putBack(taken);
    }
    // Names none: halve it, each half back at the head, until the bad item stands alone.
    this.#owner.stats.splits += 1;
    const half = Math.ceil(taken.length / 2);
    for (const e of taken) e.cap = Math.min(e.cap, half);
    this.#putBack(taken);
  }

  #aloneError(err: UpstreamError, item: I): Error {
    return (
      this.#spec.alone?.(err, item) ??
      new BadInputError(
        `Braze rejected this item: ${err.brazeMessage ?? `status ${err.status ?? 'unknown'}`}`,
      )
    );
  }

  /** Not processed by Braze: back at the head, tried again after `delayMs` while deadlines allow. */
  #requeue(taken: Array<Entry<I, R>>, err: Error, delayMs: number): void {
    const again: Array<Entry<I, R>> = [];
    for (const e of taken) {
      e.attempts += 1;
      e.lastError = err;
      if (e.attempts >= this.#settings.maxAttempts) this.#settle(e, err);
      else again.push(e);
    }
    if (delayMs > 0) this.#retryAtMs = Math.max(this.#retryAtMs, this.#now() + delayMs);
    this.#putBack(again);
  }

  #putBack(entries: Array<Entry<I, R>>): void {
    const live = entries.filter((e) => !e.done);
    if (live.length === 0) return;
    this.#owner.stats.requeued += live.length;
    this.#queue.unshift(live);
    this.#owner.queued += live.length;
    for (const e of live) {
      if (this.#callers !== undefined) this.#countCaller(e.caller, 1);
      this.#expiry.at(e.deadlineMs);
      if (e.deadlineMs < this.#earliestDeadlineMs) this.#earliestDeadlineMs = e.deadlineMs;
      if (e.deadlineMs > this.#latestDeadlineMs) this.#latestDeadlineMs = e.deadlineMs;
    }
  }

  // --- deadlines ---

  /** Refuse every waiting item whose deadline has passed; re-arm for the next one. */
  #expire(now: number): void {
    if (now < this.#earliestDeadlineMs) {
      // Nothing can have expired: no pass over the line (thousands may wait at a grant). The
      // timer may have fired a little early: it is asked again for the bound.
      if (this.#earliestDeadlineMs !== Infinity) this.#expiry.at(this.#earliestDeadlineMs);
    } else {
      const expired = this.#failWhere(
        (e) => e.deadlineMs <= now,
        (e) => e.lastError ?? this.#expiryError(),
      );
      this.#owner.stats.expired += expired;
      let next = Infinity;
      this.#queue.forEach((e) => {
        if (e.deadlineMs < next) next = e.deadlineMs;
      });
      this.#earliestDeadlineMs = next;
      if (next !== Infinity) this.#expiry.at(next);
    }
    // Nobody left to use a unit: stop waiting for one.
    if (this.#queue.length === 0 && this.#acquiring !== undefined) this.#acquiring.controller.abort();
  }

  /** The latest deadline of the items in line (0 when none): exact, without a pass when it can. */
  #latestDeadline(): number {
    if (this.#latestStale) {
      let latest = 0;
      this.#queue.forEach((e) => {
        if (e.deadlineMs > latest) latest = e.deadlineMs;
      });
      this.#latestDeadlineMs = latest;
      this.#latestStale = false;
    }
    return this.#latestDeadlineMs;
  }

  /** Items left the line: if one of them held the latest deadline, it is worked out again. */
  #left(entries: ReadonlyArray<Entry<I, R>>): void {
    if (this.#callers !== undefined) for (const e of entries) this.#countCaller(e.caller, -1);
    if (this.#latestStale) return;
    for (const e of entries) {
      if (e.deadlineMs >= this.#latestDeadlineMs) {
        this.#latestStale = true;
        return;
      }
    }
  }

  /** Fair shares: one caller's waiting items in this lane and across the endpoint, by `by`. */
  #countCaller(caller: string, by: number): void {
    const callers = this.#callers!;
    const held = this.#owner.held!;
    const n = (callers.get(caller) ?? 0) + by;
    if (n > 0) callers.set(caller, n);
    else callers.delete(caller);
    const h = (held.get(caller) ?? 0) + by;
    if (h > 0) held.set(caller, h);
    else held.delete(caller);
  }

  /**
   * An item never sent whose deadline passed: it waited for budget, or behind its lane's requests
   * to a slow Braze. Either way it is safe to send again later: RATE_LIMITED with a retry hint.
   */
  #expiryError(): Error {
    return new RateLimitedError(this.#client.retryHintMs(this.#spec.endpoint));
  }

  /** Take the waiting entries `pred` picks out of the line and fail each; returns how many. */
  #failWhere(pred: (e: Entry<I, R>) => boolean, errorOf: (e: Entry<I, R>) => Error): number {
    const failed = this.#queue.removeWhere(pred);
    if (failed.length === 0) return 0;
    this.#left(failed);
    this.#owner.queued -= failed.length;
    for (const e of failed) this.#settle(e, errorOf(e));
    return failed.length;
  }

  #settle(e: Entry<I, R>, outcome: R | Error): void {
    if (e.done) return;
    e.done = true;
    e.sink(e.slot, outcome);
  }
}
