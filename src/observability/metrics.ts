import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What the gateway measures, as one small interface the components call. Labels are endpoint
 * paths, group and batcher names, statuses: never keys, ids or personal data.
 */
export interface Telemetry {
  /** One upstream answer (status) or failure ('network', 'timeout', 'circuit_open'). */
  upstream(endpoint: string, status: number | string, seconds: number): void;
  /**
   * One upstream request sent by a batcher, with how many items it carried and the per-request
   * maximum in force then (for the fill ratio; Infinity when the lane has no count limit).
   */
  batchRequest(batcher: string, items: number, maxItems: number): void;
  /** How long a batch stayed open before it was sent. */
  batchWait(batcher: string, seconds: number): void;
  /** A caller that waited for rate budget, and how long. */
  budgetWait(group: string, seconds: number): void;
  /**
   * Fair shares on: budget units a caller used (fractions when a request carried several
   * callers' items). `caller` is a gateway key's name or `anonymous`, never a key or its hash.
   */
  budgetUnits?(group: string, caller: string, units: number): void;
  cache(result: 'hit' | 'miss'): void;
  graphql(operation: string, outcome: 'ok' | 'error', seconds: number): void;
}

/**
 * What the metrics read from the rate budget when Prometheus scrapes: a narrow view, so metrics
 * depend on no budget class (and the budget, which reports to Telemetry, on no metrics class).
 */
export interface BudgetReadings {
  readonly mode: string;
  readonly stats: { readonly refused: number };
  snapshot(): Promise<ReadonlyArray<{ group: string; remaining: number }>>;
}

/** What the metrics read from the Braze client's circuit breaker when Prometheus scrapes. */
export interface BreakerReadings {
  readonly breakerState: string;
}

/**
 * What the metrics read from the delivery engine when Prometheus scrapes: per lane, items waiting
 * and items refused so far (RATE_LIMITED: queue full, or no budget before their deadline).
 */
export interface LaneReadings {
  lanes(): ReadonlyArray<{ readonly endpoint: string; readonly queued: number; readonly refused: number }>;
}

/** What the metrics read of the APQ store (src/app/persistedQueries.ts): its running counts. */
export interface ApqReadings {
  readonly stats: { localHits: number; redisHits: number; misses: number; redisErrors: number };
}

/** bgw_upstream_breaker_state's values: 0 closed, 1 half-open, 2 open. */
export const BREAKER_STATE_VALUES: Readonly<Record<string, number>> = { closed: 0, 'half-open': 1, open: 2 };

export const NO_TELEMETRY: Telemetry = {
  upstream() {},
  batchRequest() {},
  batchWait() {},
  budgetWait() {},
  cache() {},
  graphql() {},
};

/** Prometheus metrics on a registry of the gateway's own (several gateways can share a process). */
export class PromMetrics implements Telemetry {
  readonly registry = new Registry();
  readonly #upstreamTotal: Counter<'endpoint' | 'status'>;
  readonly #upstreamSeconds: Histogram<'endpoint'>;
  readonly #batchItems: Histogram<'batcher'>;
  readonly #batchWait: Histogram<'batcher'>;
  readonly #budgetWait: Histogram<'group'>;
  readonly #budgetUnits: Counter<'group' | 'caller'>;
  readonly #cache: Counter<'result'>;
  readonly #graphqlTotal: Counter<'operation' | 'outcome'>;
  readonly #graphqlSeconds: Histogram<'operation'>;
  readonly #fillRatio: Histogram<'endpoint'>;

  /** The budget to read at scrape time; set once it exists (it reports to these metrics). */
  #budget: BudgetReadings | undefined;

  #breaker: BreakerReadings | undefined;
  #lanes: LaneReadings | undefined;
  #apq: ApqReadings | undefined;

  /** Read `budget` when scraped. */
  readBudget(budget: BudgetReadings): void {
    this.#budget = budget;
  }
  /** Read the circuit breaker's state when scraped. */
  readBreaker(breaker: BreakerReadings): void {
    this.#breaker = breaker;
  }
  /** Read the lanes' queues when scraped. */
  readLanes(lanes: LaneReadings): void {
    this.#lanes = lanes;
  }
  /** Read the persisted-query store's counts when scraped. */
  readApq(apq: ApqReadings): void {
    this.#apq = apq;
  }

  constructor() {
    const budget = (): BudgetReadings | undefined => this.#budget;
    const breaker = (): BreakerReadings | undefined => this.#breaker;
    const lanes = (): LaneReadings | undefined => this.#lanes;
    const apq = (): ApqReadings | undefined => this.#apq;
    const registers = [this.registry];
    // Node's process metrics under their standard names (process_*, nodejs_*), as stock
    // dashboards expect them; only the gateway's own metrics carry the bgw_ prefix.
    collectDefaultMetrics({ register: this.registry });
    /** One labelled histogram on this registry. */
    const histogram = <L extends string>(name: string, help: string, label: L, buckets: number[]) =>
      new Histogram<L>({ name, help, labelNames: [label], buckets, registers });
    /** Seconds, from 5 ms to 10 s: upstream calls and GraphQL operations. */
    const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    this.#upstreamTotal = new Counter({
      name: 'bgw_upstream_requests_total',
      help: 'Braze requests by endpoint and status (or network, timeout, circuit_open).',
      labelNames: ['endpoint', 'status'],
      registers,
    });
    this.#upstreamSeconds = histogram(
      'bgw_upstream_request_duration_seconds',
      'Braze request duration, budget wait excluded.',
      'endpoint',
      SECONDS,
    );
    this.#batchItems = histogram(
      'bgw_batch_items_per_request',
      'Items carried by one upstream request, per batcher.',
      'batcher',
      [1, 2, 5, 10, 25, 50, 75, 100, 150, 225],
    );
    this.#batchWait = histogram(
      'bgw_batch_wait_seconds',
      'How long a batch stayed open before it was sent.',
      'batcher',
      [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
    );
    this.#budgetWait = histogram(
      'bgw_budget_wait_seconds',
      'Time callers waited for rate budget, per group.',
      'group',
      [0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60],
    );
    // Labelled by key name: configured keys and `anonymous` only, so the label set is bounded.
    this.#budgetUnits = new Counter({
      name: 'bgw_budget_units_total',
      help: 'Rate budget units used per group and caller (gateway key name), with fair shares on.',
      labelNames: ['group', 'caller'],
      registers,
    });
    this.#cache = new Counter({
      name: 'bgw_cache_requests_total',
      help: 'Catalog cache lookups by result.',
      labelNames: ['result'],
      registers,
    });
    this.#graphqlTotal = new Counter({
      name: 'bgw_graphql_requests_total',
      help: 'GraphQL operations by root field and outcome.',
      labelNames: ['operation', 'outcome'],
      registers,
    });
    this.#graphqlSeconds = histogram(
      'bgw_graphql_request_duration_seconds',
      'GraphQL operation duration.',
      'operation',
      SECONDS,
    );
    // Budget state is read when Prometheus scrapes, not pushed on every acquire.
    new Gauge({
      name: 'bgw_budget_remaining',
      help: 'Requests left in the current window, per rate group.',
      labelNames: ['group'],
      registers,
      async collect() {
        const b = budget();
        if (b === undefined) return;
        for (const g of await b.snapshot()) this.set({ group: g.group }, g.remaining);
      },
    });
    new Gauge({
      name: 'bgw_budget_fallback',
      help: '1 while Redis is unreachable and this replica counts a local share of each limit.',
      registers,
      collect() {
        this.set(budget()?.mode === 'fallback' ? 1 : 0);
      },
    });
    // A total only grows: a Counter, advanced at scrape time by what the budget counted since.
    let refusedSeen = 0;
    new Counter({
      name: 'bgw_budget_refused_total',
      help: 'Acquires refused because no window opened before the deadline (callers get RATE_LIMITED).',
      registers,
      collect() {
        const refused = budget()?.stats.refused ?? 0;
        if (refused > refusedSeen) this.inc(refused - refusedSeen);
        refusedSeen = Math.max(refusedSeen, refused);
      },
    });
    new Gauge({
      name: 'bgw_upstream_breaker_state',
      help: 'Circuit breaker to Braze: 0 closed, 1 half-open (one trial call), 2 open (calls fail fast).',
      registers,
      collect() {
        const state = breaker()?.breakerState;
        this.set(state === undefined ? 0 : (BREAKER_STATE_VALUES[state] ?? 0));
      },
    });
    new Gauge({
      name: 'bgw_lane_queued_items',
      help: 'Items waiting in the delivery lanes, per endpoint.',
      labelNames: ['endpoint'],
      registers,
      collect() {
        const views = lanes()?.lanes() ?? [];
        const queued = new Map<string, number>();
        for (const v of views) queued.set(v.endpoint, (queued.get(v.endpoint) ?? 0) + v.queued);
        for (const [endpoint, n] of queued) this.set({ endpoint }, n);
      },
    });
    const refusedItemsSeen = new Map<string, number>();
    new Counter({
      name: 'bgw_lane_refused_items_total',
      help: 'Items the lanes answered RATE_LIMITED (queue full, or no rate budget before their deadline), per endpoint.',
      labelNames: ['endpoint'],
      registers,
      collect() {
        const refused = new Map<string, number>();
        for (const v of lanes()?.lanes() ?? [])
          refused.set(v.endpoint, (refused.get(v.endpoint) ?? 0) + v.refused);
        for (const [endpoint, n] of refused) {
          const seen = refusedItemsSeen.get(endpoint) ?? 0;
          // inc(0) still shows the series, so a rate() has a zero to start from.
          this.inc({ endpoint }, Math.max(0, n - seen));
          refusedItemsSeen.set(endpoint, Math.max(seen, n));
        }
      },
    });
    // Counts the APQ store keeps; each scrape adds what it counted since the last one.
    const apqSeen = { local_hit: 0, redis_hit: 0, miss: 0 };
    new Counter({
      name: 'bgw_apq_lookups_total',
      help: 'Automatic persisted query lookups by result: local_hit, redis_hit (registered on another replica) or miss.',
      labelNames: ['result'],
      registers,
      collect() {
        const stats = apq()?.stats;
        if (stats === undefined) return;
        const now = { local_hit: stats.localHits, redis_hit: stats.redisHits, miss: stats.misses };
        for (const result of ['local_hit', 'redis_hit', 'miss'] as const) {
          this.inc({ result }, Math.max(0, now[result] - apqSeen[result]));
          apqSeen[result] = Math.max(apqSeen[result], now[result]);
        }
      },
    });
    let apqErrorsSeen = 0;
    new Counter({
      name: 'bgw_apq_redis_errors_total',
      help: 'Redis faults met by the APQ store (each lookup then counts as a miss; the client resends its query).',
      registers,
      collect() {
        const errors = apq()?.stats.redisErrors;
        if (errors === undefined) return;
        this.inc(Math.max(0, errors - apqErrorsSeen));
        apqErrorsSeen = Math.max(apqErrorsSeen, errors);
      },
    });
    this.#fillRatio = histogram(
      'bgw_lane_request_fill_ratio',
      "Items carried by one upstream request over the per-request maximum in force, per lane's endpoint.",
      'endpoint',
      [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1],
    );
  }

  upstream(endpoint: string, status: number | string, seconds: number): void {
    this.#upstreamTotal.inc({ endpoint, status: String(status) });
    this.#upstreamSeconds.observe({ endpoint }, seconds);
  }
  batchRequest(batcher: string, items: number, maxItems: number): void {
    this.#batchItems.observe({ batcher }, items);
    if (Number.isFinite(maxItems) && maxItems > 0)
      this.#fillRatio.observe({ endpoint: batcher }, Math.min(1, items / maxItems));
  }
  batchWait(batcher: string, seconds: number): void {
    this.#batchWait.observe({ batcher }, seconds);
  }
  budgetWait(group: string, seconds: number): void {
    this.#budgetWait.observe({ group }, seconds);
  }
  budgetUnits(group: string, caller: string, units: number): void {
    this.#budgetUnits.inc({ group, caller }, units);
  }
  cache(result: 'hit' | 'miss'): void {
    this.#cache.inc({ result });
  }
  graphql(operation: string, outcome: 'ok' | 'error', seconds: number): void {
    this.#graphqlTotal.inc({ operation, outcome });
    this.#graphqlSeconds.observe({ operation }, seconds);
  }
}
