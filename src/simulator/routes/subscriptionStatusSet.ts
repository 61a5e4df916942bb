import { created, isResult, objectBody } from './common.js';
import { applyUpdate, validateUpdate } from './subscription.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * POST /subscription/status/set (docs/braze-facts.md §3.15, v1): `subscription_group_id`, `subscription_state`,
 * `external_id` and `email` or `phone` (each a string or ≤ 50 strings).
 */
export function subscriptionStatusSet(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const update = validateUpdate(ctx, body, { externalIds: 'external_id', emails: 'email', phones: 'phone' });
  if (isResult(update)) return update;
  applyUpdate(ctx, update);
  return created();
}
