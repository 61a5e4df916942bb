import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * What the gateway measures, as one small interface the components call. Labels are endpoint
 * paths, group and batcher names, statuses: never keys, ids or personal data.
 */
export interface Telemetry {
  /** One upstream answer (status) or failure ('network', 'timeout', 'circuit_open'). */
  upstream(endpoint: string, status: number | string, seconds: number): void;
  /** One upstream request sent by a batcher, with how many items it carried. */
  batchRequest(batcher: string, items: number): void;
  /** How long a batch stayed open before it was sent. */
  batchWait(batcher: string, seconds: number): void;
  /** A caller that waited for rate budget, and how long. */
  budgetWait(group: string, seconds: number): void;
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
  readonly #cache: Counter<'result'>;
  readonly #graphqlTotal: Counter<'operation' | 'outcome'>;
  readonly #graphqlSeconds: Histogram<'operation'>;

  /** The budget to read at scrape time; set once it exists (it reports to these metrics). */
  #budget: BudgetReadings | undefined;

  /** Read `budget` when scraped. */
  readBudget(budget: BudgetReadings): void {
    this.#budget = budget;
  }

  constructor() {
    const budget = (): BudgetReadings | undefined => this.#budget;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'bgw_' });
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
    new Gauge({
      name: 'bgw_budget_refused_total',
      help: 'Acquires refused because no window opened before the deadline.',
      registers,
      collect() {
        this.set(budget()?.stats.refused ?? 0);
      },
    });
  }

  upstream(endpoint: string, status: number | string, seconds: number): void {
    this.#upstreamTotal.inc({ endpoint, status: String(status) });
    this.#upstreamSeconds.observe({ endpoint }, seconds);
  }
  batchRequest(batcher: string, items: number): void {
    this.#batchItems.observe({ batcher }, items);
  }
  batchWait(batcher: string, seconds: number): void {
    this.#batchWait.observe({ batcher }, seconds);
  }
  budgetWait(group: string, seconds: number): void {
    this.#budgetWait.observe({ group }, seconds);
  }
  cache(result: 'hit' | 'miss'): void {
    this.#cache.inc({ result });
  }
  graphql(operation: string, outcome: 'ok' | 'error', seconds: number): void {
    this.#graphqlTotal.inc({ operation, outcome });
    this.#graphqlSeconds.observe({ operation }, seconds);
  }
}
