import type { BrazeAnswer, BrazeClient } from '../braze/client.js';
import type { EndpointName } from '../braze/endpoints.js';
import type { UpstreamError } from '../errors.js';
import type { Shares } from '../budget/shares.js';
import type { Logger } from '../observability/log.js';
import type { Telemetry } from '../observability/metrics.js';

/** What a delivery is configured with (per endpoint and per gateway), and what it reports. */

/** What a lane needs of the Braze client: the one upstream path, packed at the grant. */
export type LaneClient = Pick<BrazeClient, 'sendAtGrant' | 'retryHintMs'>;

/** How much one request may carry. */
export interface LaneCapacity {
  /** Most items (merged slots) in one request. */
  total: number;
  /** Most items of one class in one request (e.g. per /users/track array). */
  perClass?: Readonly<Record<string, number>>;
  /** Most bytes of items in one request (each item's size from `bytesOf`). */
  maxBytes?: number;
}

/** What differs per endpoint, as data and small functions. */
export interface LaneSpec<I, R> {
  /** Name for logs, stats and metrics (usually the endpoint). */
  name: string;
  endpoint: EndpointName;
  capacity: LaneCapacity;
  /** Items of different partitions travel in different lanes (never in one request). */
  partition?(item: I): string;
  /** The capacity class of an item (see `perClass`). */
  classOf?(item: I): string;
  bytesOf?(item: I): number;
  /** Items with equal keys never share a request (Braze would keep only one of them). */
  distinctBy?(item: I): string;
  /** Items with equal keys share one slot of a request (two callers reading the same user). */
  mergeBy?(item: I): string;
  /** The request body for the items packed at a grant. */
  body(items: readonly I[]): unknown;
  /** One outcome per item of a 2xx answer: its value, or its own Error. */
  results(answer: BrazeAnswer, items: readonly I[]): Array<R | Error>;
  /** Items a whole-request rejection names, by index in the request. */
  named?(err: UpstreamError, items: readonly I[]): Map<number, Error>;
  /**
   * Whether a whole-request rejection may concern what every item of the partition shares (a
   * campaign id, a subscription group): confirmed with one item alone, then fails them all.
   */
  sharedRejection?(err: UpstreamError): boolean;
  /** Braze said the request held too many items: the capacity to use from now on. */
  learnCapacity?(err: UpstreamError, sent: number, current: LaneCapacity): LaneCapacity | undefined;
  /** The error a lone item that Braze still rejects gets. */
  alone?(err: UpstreamError, item: I): Error;
}

/** The flush policy and bounds, the same for every lane of a gateway. */
export interface LaneSettings {
  /** Longest the oldest item lingers for company before its request is asked for. */
  windowMs: number;
  /** A part-full request is asked for once no item arrived for this long (and the turn ended). */
  idleMs: number;
  /** Full requests of one lane out (or waiting for budget) at once. */
  maxInFlight: number;
  /** Items waiting in one endpoint's lanes; past it a newcomer is refused at once. */
  maxQueued: number;
  /** Tries of an item Braze did not process (429, refused connection) before it fails. */
  maxAttempts: number;
  log: Logger;
  telemetry?: Telemetry;
  /** Fair shares of the budget per caller; undefined: items are not told apart by caller. */
  shares?: Shares;
  now?: () => number;
  /** Runs a callback at the end of this turn of the event loop; setImmediate unless a test says. */
  atTurnEnd?: (callback: () => void) => void;
}

/** Counters for tests, logs, benchmarks and /readyz. */
export interface DeliveryStats {
  items: number;
  requests: number;
  /** Requests answered 2xx and the items they carried (fill ratio = carried / requests). */
  delivered: number;
  carried: number;
  splits: number;
  requeued: number;
  expired: number;
  refused: number;
}
