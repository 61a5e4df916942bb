import type { EndpointRule, TrackCapacity } from '../brazeRules.js';
import type { SimulatorCatalog } from '../catalog.js';
import type { SimulatorSegmentExports } from '../segmentExports.js';
import type { SimulatorStore } from '../store.js';

/** What a simulated endpoint handler receives and returns. */

export interface RouteContext {
  /** The parsed JSON body (undefined for an empty body or a GET). */
  body: unknown;
  /** The routed endpoint's row of the simulator's rules: its per-request maximum, page size. */
  rule: EndpointRule;
  /** Query parameters, for GET endpoints. */
  query: URLSearchParams;
  store: SimulatorStore;
  /** Campaigns, Canvases, segments and subscription groups of the simulated workspace. */
  catalog: SimulatorCatalog;
  /** Segment exports started and running (POST /users/export/segment). */
  segmentExports: SimulatorSegmentExports;
  /** Per-request /users/track maxima of the simulated contract. */
  track: TrackCapacity;
  now: () => number;
}

export interface RouteResult {
  status: number;
  body: unknown;
}

export type RouteHandler = (ctx: RouteContext) => RouteResult;

/** A 400 with Braze's usual `{message}` body. */
export function badRequest(message: string, extra: Record<string, unknown> = {}): RouteResult {
  return { status: 400, body: { message, ...extra } };
}
