import type { EndpointName } from '../../braze/endpoints.js';
import { exportIds } from './exportIds.js';
import { track } from './track.js';
import type { RouteHandler } from './types.js';

export type { RouteContext, RouteHandler, RouteResult } from './types.js';

/**
 * The simulated Braze endpoints, keyed by their row in `ENDPOINTS`. Adding an endpoint means
 * writing one handler and adding one line here; auth, faults, rate limits, Content-Type and JSON
 * parsing are done before a handler runs.
 */
export const ROUTES: Partial<Record<EndpointName, RouteHandler>> = {
  'users.track': track,
  'users.export.ids': exportIds,
};
