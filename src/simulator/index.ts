/**
 * The embedded Braze REST simulator (DESIGN.md "Embedded Braze simulator"): real HTTP, in-memory
 * users, Braze's response and error shapes, per-request maxima, rate-limit groups with
 * `X-RateLimit-*` headers and 429s, and injectable latency and faults.
 *
 * It holds its own copy of Braze's rules (brazeRules.ts: paths and rate groups, default limits
 * and windows, contracts, per-request maxima, the broadcast rule and the per-audience key),
 * written from docs/braze-facts.md. It never imports a runtime value from the gateway's src/braze,
 * src/budget or src/security (type-only imports of wire shapes are allowed): the simulator is
 * the checker the gateway is tested against, and a checker that shares the code it checks lets
 * a wrong row pass. test/simulator.rules.test.ts enforces the separation and compares the two
 * copies wherever they must agree.
 */
export { startSimulator, ADMIN_PREFIX } from './server.js';
export { MAX_BODY_BYTES } from './brazeRules.js';
export type { ContractName, RateGroup, RateLimit, TrackCapacity } from './brazeRules.js';
export type { RecordedRequest, Simulator, SimulatorOptions } from './types.js';
export type { Fault } from './faults.js';
export type { AudienceStats, WindowStats } from './rateLimits.js';
export { SimulatorStore, DISPATCH_HISTORY_CAP, PENDING_SUBSCRIPTION_MS } from './store.js';
export { EXPORT_FIELDS, STANDARD_FIELDS, RAW_HISTORY_CAP } from './profile.js';
export type { Dispatch, DispatchEndpoint, DispatchRecipient, SendIdRecord } from './store.js';
export type {
  OccurrenceSummary,
  RawEvent,
  RawPurchase,
  SimUser,
  StandardField,
  SubscriptionState,
} from './profile.js';
export { SimulatorCatalog, DEFAULT_CATALOG } from './catalog.js';
export { DEFAULT_BROADCAST_PER_AUDIENCE_LIMIT } from './rateLimits.js';
export type {
  CampaignSeed,
  CanvasSeed,
  CatalogSeed,
  SegmentSeed,
  SimCampaign,
  SimCanvas,
  SimSegment,
  SimSubscriptionGroup,
  SubscriptionChannel,
  SubscriptionGroupSeed,
} from './catalog.js';
export { ContactLists, INVALID_PHONE_REASONS, defaultLists } from './lists.js';
export type { InvalidPhone, InvalidPhoneReason, ListsSeed } from './lists.js';
export type { EmailSubscribeState } from './store.js';
export { SimulatorSegmentExports, MAX_RUNNING_EXPORTS } from './segmentExports.js';
export type { SimSegmentExport } from './segmentExports.js';
export { ROUTES } from './routes/index.js';
export type { RouteContext, RouteHandler, RouteResult } from './routes/index.js';
