import { isPlainObject } from '../validate.js';
import { created, isResult, objectBody } from './common.js';
import { applyUpdate, validateUpdate, type ValidUpdate } from './subscription.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * POST /v2/subscription/status/set (docs/braze-facts.md §3.15): `subscription_groups` entries, each a v1-like
 * update with plural `external_ids` / `emails` / `phones`. Email and SMS groups mix in one call
 * only when every entry uses `external_ids`. Nothing is applied unless every entry is valid.
 */

// Simulator-made wording.
export const MSG_V2_GROUPS = "'subscription_groups' must be a non-empty array of objects";
export const MSG_V2_MIXED_CHANNELS =
  "Email and SMS subscription groups can be updated in one request only with 'external_ids'";

export function subscriptionStatusSetV2(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const list = body.subscription_groups;
  if (!(Array.isArray(list) && list.length > 0 && list.every(isPlainObject)))
    return badRequest(MSG_V2_GROUPS);
  const updates: ValidUpdate[] = [];
  for (const entry of list) {
    const u = validateUpdate(ctx, entry, { externalIds: 'external_ids', emails: 'emails', phones: 'phones' });
    if (isResult(u)) return u;
    updates.push(u);
  }
  const channels = new Set(updates.map((u) => u.group.channel));
  if (channels.size > 1 && updates.some((u) => u.emails.length + u.phones.length > 0)) {
    return badRequest(MSG_V2_MIXED_CHANNELS);
  }
  for (const u of updates) applyUpdate(ctx, u);
  return created();
}
