/**
 * The embedded Braze REST simulator (DESIGN.md "Embedded Braze simulator"): real HTTP, in-memory
 * users, Braze's response and error shapes, per-request maxima, rate-limit groups with
 * `X-RateLimit-*` headers and 429s, and injectable latency and faults.
 */
export { startSimulator, ADMIN_PREFIX, MAX_BODY_BYTES } from './server.js';
export type { RecordedRequest, Simulator, SimulatorOptions } from './types.js';
export type { Fault } from './faults.js';
export type { WindowStats } from './rateLimits.js';
export { SimulatorStore, EXPORT_FIELDS, STANDARD_FIELDS, RAW_HISTORY_CAP } from './store.js';
export type { OccurrenceSummary, RawEvent, RawPurchase, SimUser, StandardField } from './store.js';
export { ROUTES } from './routes/index.js';
export type { RouteContext, RouteHandler, RouteResult } from './routes/index.js';
