import type { StoreLimits } from './store.js';
import type { ContractName, RateGroup, RateLimit } from './brazeRules.js';
import type { CatalogSeed, SimulatorCatalog } from './catalog.js';
import type { Fault } from './faults.js';
import type { ListsSeed } from './lists.js';
import type { SimulatorSegmentExports } from './segmentExports.js';
import type { AudienceStats, WindowStats } from './rateLimits.js';
import type { SimulatorStore } from './store.js';

export interface SimulatorOptions {
  /** The only accepted key, sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** Contract profile; sets the /users/track per-request maxima and its rate limit. Default `legacy`. */
  contract?: ContractName;
  /** Limits per group, over the defaults and the contract's own limits (brazeRules.ts). */
  rateLimits?: Partial<Record<RateGroup, RateLimit>>;
  /** Delay added before answering each Braze request. Default 0. */
  latencyMs?: number;
  /** Interface to listen on. Default 127.0.0.1. */
  host?: string;
  /** Port to listen on. Default 0 (an ephemeral port; read it back from `Simulator.port`). */
  port?: number;
  /** Clock in epoch ms, for rate windows and timestamps. Default `Date.now`. */
  now?: () => number;
  /** Where the simulator reports start-up, shutdown and unexpected errors. Silent when absent. */
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  /**
   * How many requests `Simulator.requests` keeps (the oldest are dropped). Default 10,000. The
   * counters behind `count()` and `/_simulator/stats` are exact whatever this is.
   */
  maxRecordedRequests?: number;
  /**
   * Distinct writes `GET /_simulator/writes` counts per kind (aliases, identifications, trigger
   * property values); beyond, the oldest are forgotten and the kind reports `truncated`. Default 100,000.
   */
  writeLedgerMaxKeys?: number;
  /** How many users and how much history per user the store keeps (oldest first beyond). */
  storeLimits?: Partial<StoreLimits>;
  /**
   * Broadcast sends per unique audience (campaign or Canvas + segment + connected audience) per
   * window, on top of the `messaging.broadcast` group limit (docs/braze-facts.md §2 row 6). Default 10 per 60 s.
   */
  broadcastPerAudienceLimit?: RateLimit;
  /**
   * The workspace's campaigns, Canvases, segments, subscription groups and extra event names and
   * product ids. Each list given replaces that list of `DEFAULT_CATALOG`; lists left out keep it.
   */
  catalog?: CatalogSeed;
  /**
   * Hard bounces, unsubscribes, spam reports and invalid phone numbers to start with. Each list
   * given replaces that list of `defaultLists` (a few entries of the last days); lists left out
   * keep it.
   */
  lists?: ListsSeed;
  /**
   * How long a segment export runs before it completes and Braze's callback is POSTed
   * (docs/braze-facts.md §3.19). Default 5,000 ms; `Infinity` keeps every export running until
   * `segmentExports.complete()`.
   */
  segmentExportMs?: number;
  /** The workspace has its own S3/Azure/GCS bucket: segment exports answer without a `url`. */
  ownExportStorage?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string's parameters (a repeated key's values as a list); absent when there are none. */
  query?: Record<string, string | string[]>;
  /** The query string, without `?` (`''` when there is none). */
  queryString: string;
  /** The status answered; 0 when a fault reset the connection or left the request hanging. */
  status: number;
  /** The parsed JSON body; the raw text (first 1,000 characters) when it was not valid JSON. */
  body: unknown;
  /** The rate group the path belongs to (the broadcast group for broadcast bodies). */
  group?: RateGroup;
  /** Arrival time, from the simulator's clock. */
  at: number;
  /** The W3C `traceparent` header the request carried, if any (a traced gateway sends one). */
  traceparent?: string;
}

export interface Simulator {
  /** Base URL, e.g. `http://127.0.0.1:40123`: the REST endpoint to give the gateway. */
  url: string;
  port: number;
  /** Braze requests in arrival order, including rejected ones (admin routes excluded). */
  requests: RecordedRequest[];
  /** Braze requests answered so far, optionally only those to `path` and/or with `status`. */
  count(path?: string, status?: number): number;
  injectFault(f: Fault): void;
  clearFaults(): void;
  setLatency(ms: number): void;
  setRateLimit(group: RateGroup, limit: RateLimit): void;
  /** Usage by "another system" sharing the workspace, in the current window of `group`. */
  consume(group: RateGroup, n: number): void;
  windowStats(group: RateGroup): WindowStats;
  /** Changes the per-unique-audience broadcast limit (a new window length starts a new window). */
  setBroadcastPerAudienceLimit(limit: RateLimit): void;
  /** Statistics of the per-unique-audience broadcast limit. */
  broadcastAudienceStats(): AudienceStats;
  /** The in-memory users, plus what the messaging routes did (`dispatches`, `sendIds`). */
  store: SimulatorStore;
  /** Campaigns, Canvases, segments and subscription groups; add to it from tests. */
  catalog: SimulatorCatalog;
  /** Segment exports started; `complete()` ends one and calls its callback. */
  segmentExports: SimulatorSegmentExports;
  /**
   * Forgets requests, faults, usage, users and dispatches, and brings the catalog back to its
   * seed. Limits and latency stay as set.
   */
  reset(): void;
  /** Stops listening and ends every open connection, hanging requests included. */
  close(): Promise<void>;
}
