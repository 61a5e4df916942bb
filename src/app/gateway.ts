import { AnalyticsService } from '../analytics/service.js';
import { BrazeClient } from '../braze/client.js';
import { CONTRACTS } from '../braze/contracts.js';
import { createBudget, type RateBudgetService } from '../budget/index.js';
import { ANONYMOUS_CALLER } from '../budget/shares.js';
import { SharedCache } from '../catalog/cache.js';
import { CatalogService } from '../catalog/service.js';
import type { Config } from '../config.js';
import { DeliveryEngine, type DeliveryView } from '../delivery/engine.js';
import { HygieneLanes, HygieneService } from '../hygiene/service.js';
import type { Delivery } from '../delivery/lane.js';
import type { Logger } from '../observability/log.js';
import { ScheduleService } from '../messaging/schedule.js';
import { MessagingLanes, MessagingService } from '../messaging/service.js';
import type { Telemetry } from '../observability/metrics.js';
import { PersistedQueryCache } from './persistedQueries.js';
import {
  createExportDelivery,
  createExportLoader,
  type ExportKey,
  type ProfileCache,
  type WireMatches,
} from '../users/exportLoader.js';
import { identityWriters, type IdentityWriters } from '../users/identity.js';
import { ExportRegistry } from '../segmentExports/registry.js';
import { SegmentExportService } from '../segmentExports/service.js';
import { UsersService } from '../users/service.js';
import { createTrackDelivery, type TrackItem } from '../users/trackLane.js';

/**
 * The composition root: builds the budget, the Braze client, the delivery engine with every
 * lane, the caches and the domain services, once per gateway; owns their shutdown. The HTTP side
 * asks it for a request's services and nothing else.
 */

export interface CoreOptions {
  config: Config & { upstream: { restEndpoint: string; apiKey: string } };
  log: Logger;
  telemetry: Telemetry;
  /** The rate budget; by default one built from the config (Redis when REDIS_URL is set). */
  budget?: RateBudgetService;
  /** Clock for the budget (tests skew it). */
  now?: () => number;
}

/** What one GraphQL request works with. */
export interface RequestServices {
  users: UsersService;
  messaging: MessagingService;
  schedules: ScheduleService;
  catalog: CatalogService;
  budget: RateBudgetService;
  hygiene: HygieneService;
  analytics: AnalyticsService;
  segmentExports: SegmentExportService;
}

/** How each per-request service is made (the gateway's lanes, client and caches bound in). */
interface ServiceFactory {
  users(deadlineMs: number, maxItems: number, caller: string): UsersService;
  messaging(deadlineMs: number, maxItems: number, caller: string): MessagingService;
  schedules(deadlineMs: number): ScheduleService;
  catalog(deadlineMs: number): CatalogService;
  hygiene(deadlineMs: number, maxItems: number, caller: string): HygieneService;
  analytics(deadlineMs: number): AnalyticsService;
  segmentExports(deadlineMs: number): SegmentExportService;
}

/** What a request's services are made from, and those made so far. */
interface ServiceState {
  readonly make: ServiceFactory;
  readonly deadlineMs: number;
  readonly maxItems: number;
  readonly caller: string;
  users?: UsersService;
  messaging?: MessagingService;
  schedules?: ScheduleService;
  catalog?: CatalogService;
  hygiene?: HygieneService;
  analytics?: AnalyticsService;
  segmentExports?: SegmentExportService;
}

/**
 * One request's services, each made on first use. Its state is one plain own property (no private
 * fields): Apollo copies the context's own properties onto an object with the same prototype, and
 * the copy must share what the original made.
 */
class LazyServices implements RequestServices {
  readonly budget: RateBudgetService;
  readonly serviceState: ServiceState;

  constructor(
    make: ServiceFactory,
    budget: RateBudgetService,
    deadlineMs: number,
    maxItems: number,
    caller: string,
  ) {
    this.budget = budget;
    this.serviceState = { make, deadlineMs, maxItems, caller };
  }

  get users(): UsersService {
    const s = this.serviceState;
    return (s.users ??= s.make.users(s.deadlineMs, s.maxItems, s.caller));
  }
  get messaging(): MessagingService {
    const s = this.serviceState;
    return (s.messaging ??= s.make.messaging(s.deadlineMs, s.maxItems, s.caller));
  }
  get schedules(): ScheduleService {
    const s = this.serviceState;
    return (s.schedules ??= s.make.schedules(s.deadlineMs));
  }
  get catalog(): CatalogService {
    const s = this.serviceState;
    return (s.catalog ??= s.make.catalog(s.deadlineMs));
  }
  get hygiene(): HygieneService {
    const s = this.serviceState;
    return (s.hygiene ??= s.make.hygiene(s.deadlineMs, s.maxItems, s.caller));
  }
  get analytics(): AnalyticsService {
    const s = this.serviceState;
    return (s.analytics ??= s.make.analytics(s.deadlineMs));
  }
  get segmentExports(): SegmentExportService {
    const s = this.serviceState;
    return (s.segmentExports ??= s.make.segmentExports(s.deadlineMs));
  }
}

export class GatewayCore {
  readonly budget: RateBudgetService;
  readonly client: BrazeClient;
  readonly engine: DeliveryEngine;
  readonly track: Delivery<TrackItem, void>;
  readonly exports: Delivery<ExportKey, WireMatches>;
  readonly identity: IdentityWriters;
  readonly messaging: MessagingLanes;
  readonly hygiene: HygieneLanes;
  /** The segment exports this gateway started (shared through Redis), for the callback route. */
  readonly segmentExports: ExportRegistry;
  /** Apollo's automatic persisted queries, shared through Redis; undefined when APQ is off. */
  readonly persistedQueries: PersistedQueryCache | undefined;
  readonly #catalogCache: SharedCache;
  readonly #analyticsTtlMs: number;
  readonly #publicUrl: string | undefined;
  readonly #catalogTtlMs: number;
  readonly #profiles: ProfileCache | undefined;
  readonly #maxListItems: number;
  readonly #factory: ServiceFactory = {
    users: (deadlineMs, maxItems, caller) =>
      new UsersService(
        { track: this.track, identity: this.identity },
        createExportLoader(this.exports, deadlineMs, this.#profiles, caller),
        deadlineMs,
        maxItems,
        caller,
      ),
    messaging: (deadlineMs, maxItems, caller) =>
      new MessagingService(this.client, this.messaging, deadlineMs, maxItems, caller),
    schedules: (deadlineMs) => new ScheduleService(this.client, deadlineMs),
    catalog: (deadlineMs) =>
      new CatalogService(this.client, this.#catalogCache, this.#catalogTtlMs, deadlineMs),
    hygiene: (deadlineMs, maxItems, caller) =>
      new HygieneService(this.client, this.hygiene, deadlineMs, maxItems, caller),
    analytics: (deadlineMs) =>
      new AnalyticsService(this.client, this.#catalogCache, this.#analyticsTtlMs, deadlineMs),
    segmentExports: (deadlineMs) =>
      new SegmentExportService(this.client, this.segmentExports, this.#publicUrl, deadlineMs),
  };

  private constructor(opts: CoreOptions, budget: RateBudgetService) {
    const { config, log, telemetry } = opts;
    this.budget = budget;
    this.client = new BrazeClient({
      ...config.upstream,
      budget,
      log,
      telemetry,
      breakerThreshold: config.breaker.threshold,
      breakerCooldownMs: config.breaker.cooldownMs,
    });
    // BATCHING=off: one item per Braze request, the baseline batching is measured against.
    const unbatched = config.batching === 'off';
    this.engine = new DeliveryEngine(
      this.client,
      {
        windowMs: config.batchWindowMs,
        idleMs: config.batchIdleMs,
        maxInFlight: unbatched ? 1_000 : config.batchMaxInFlight,
        maxQueued: config.laneMaxItems,
        maxAttempts: 3,
        log,
        telemetry,
        shares: config.shares,
      },
      unbatched ? { maxItems: 1 } : {},
    );
    this.track = createTrackDelivery(
      this.engine,
      unbatched ? { perArray: 1, total: 1 } : CONTRACTS[config.contract].track,
      config.maxUpstreamBodyBytes,
    );
    this.exports = createExportDelivery(this.engine);
    this.identity = identityWriters(this.engine);
    this.messaging = new MessagingLanes(this.engine);
    this.hygiene = new HygieneLanes(this.engine);
    const cache = new SharedCache({
      prefix: `bgw:{${config.workspaceId}}`,
      redis: budget.redisClient,
      log,
      telemetry,
    });
    this.#catalogCache = cache;
    this.#catalogTtlMs = config.catalogCacheTtlMs;
    this.#analyticsTtlMs = config.analyticsCacheTtlMs;
    this.#publicUrl = config.publicUrl;
    this.segmentExports = new ExportRegistry({
      prefix: `bgw:{${config.workspaceId}}`,
      redis: budget.redisClient,
      log,
    });
    this.persistedQueries =
      config.apqTtlSeconds === 0
        ? undefined
        : new PersistedQueryCache({
            prefix: `bgw:{${config.workspaceId}}`,
            redis: budget.redisClient,
            // The budget's fallback is the one signal that Redis is unusable for this workspace.
            shared: () => budget.mode === 'shared',
            ttlSeconds: config.apqTtlSeconds,
            log,
          });
    this.#profiles =
      config.userCacheTtlSeconds > 0 ? { cache, ttlMs: config.userCacheTtlSeconds * 1000 } : undefined;
    this.#maxListItems = config.limits.maxListItems;
  }

  /** Build the core; waits (bounded) for Redis so the first requests already share the budget. */
  static async create(opts: CoreOptions): Promise<GatewayCore> {
    const { config, log } = opts;
    // Braze counts per workspace, not per key (docs/braze-facts.md §2). Without BRAZE_WORKSPACE
    // the shared budget's keys derive from the API key, so replicas given different keys of one
    // workspace would each count apart and together overrun Braze's limits. Neither the key nor
    // the id derived from it is logged.
    if (config.redisUrl !== undefined && config.workspaceFromKey) {
      log.warn(
        'rate budget: REDIS_URL is set but BRAZE_WORKSPACE is not, so the shared budget is keyed by the API key: replicas using other keys of the same Braze workspace count apart and together can exceed its limits. Set BRAZE_WORKSPACE to one name per Braze workspace on every replica.',
      );
    }
    const budget = opts.budget ?? createBudget(config, log, opts.now, opts.telemetry);
    await budget.ready(2_000);
    return new GatewayCore(opts, budget);
  }

  /**
   * The services of one GraphQL request, bound to its deadline and caller (a key's name). Each is
   * made when a resolver first asks for it: an operation touches one or two of them.
   */
  services(deadlineMs: number, maxItems = this.#maxListItems, caller = ANONYMOUS_CALLER): RequestServices {
    return new LazyServices(this.#factory, this.budget, deadlineMs, maxItems, caller);
  }

  /** Every lane's state, for /readyz. */
  lanes(): DeliveryView[] {
    return this.engine.view();
  }

  /** Send what the lanes hold now; refuse what cannot leave by `untilMs`. */
  drain(untilMs: number): Promise<void> {
    return this.engine.drain(untilMs);
  }

  /** After the HTTP side has answered everything: close upstream connections and the budget. */
  async close(): Promise<void> {
    await this.client.close();
    await this.budget.close();
  }
}
