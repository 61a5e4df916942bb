import { isNonEmptyString } from '../validate.js';
import { maxPerRequest, MSG_MAX_IDS, created, isResult, objectBody } from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * POST /users/external_ids/remove (docs/braze-facts.md §3.9): removes deprecated external ids only. A primary
 * (or unknown) id is reported in `removal_errors` as `[index, message]`; the others are removed.
 */

// Simulator-made wording: Braze's per-item messages were not captured.
export const MSG_REMOVE_ARRAY = "'external_ids' must be an array of non-empty strings";
export const MSG_REMOVE_EMPTY = "'external_ids' must not be empty";
export const MSG_REMOVE_PRIMARY = 'Primary external IDs cannot be removed, only deprecated ones';
export const MSG_REMOVE_UNKNOWN = 'No user has this deprecated external ID';

export function externalIdsRemove(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const list = body.external_ids;
  if (!(Array.isArray(list) && list.every(isNonEmptyString))) return badRequest(MSG_REMOVE_ARRAY);
  if (list.length === 0) return badRequest(MSG_REMOVE_EMPTY);
  if (list.length > maxPerRequest(ctx)) return badRequest(MSG_MAX_IDS);

  const removed: string[] = [];
  const errors: Array<[number, string]> = [];
  list.forEach((id, i) => {
    if (ctx.store.removeDeprecatedExternalId(id)) removed.push(id);
    else
      errors.push([
        i,
        ctx.store.externalIdStatus(id) === 'primary' ? MSG_REMOVE_PRIMARY : MSG_REMOVE_UNKNOWN,
      ]);
  });
  return created({ removed_ids: removed, removal_errors: errors });
}
