import { isNonEmptyString, isPlainObject } from '../validate.js';
import {
  maxPerRequest,
  MSG_MAX_EXTERNAL_IDS,
  created,
  isAliasWithinLimits,
  isResult,
  objectBody,
} from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * POST /users/alias/new (docs/braze-facts.md §3.4): flat `{external_id?, alias_name, alias_label}` objects. With
 * `external_id` the alias is added to that user (nothing when it is unknown); without, a new
 * alias-only user is created. The nested `{"user_alias": {...}}` form braze_ruby sent (C-13) is
 * refused here: Braze answered it 201 without saying whether anything was created, and a gateway
 * sending it would be relying on undocumented behaviour.
 */

// Simulator-made wording.
export const MSG_ALIASES_ARRAY = "'user_aliases' must be an array of objects";

export function aliasNew(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const list = body.user_aliases;
  if (!(Array.isArray(list) && list.every(isPlainObject))) return badRequest(MSG_ALIASES_ARRAY);
  if (list.length > maxPerRequest(ctx)) return badRequest(MSG_MAX_EXTERNAL_IDS);
  for (const [i, item] of list.entries()) {
    const externalId = item.external_id;
    if (!isAliasWithinLimits(item)) {
      return badRequest(
        `user_aliases[${i}] must have 'alias_name' and 'alias_label' as non-empty strings of at most 236 bytes`,
      );
    }
    if (externalId !== undefined && !isNonEmptyString(externalId)) {
      return badRequest(`user_aliases[${i}].external_id must be a non-empty string`);
    }
  }

  for (const item of list) {
    const alias = { alias_name: item.alias_name as string, alias_label: item.alias_label as string };
    if (typeof item.external_id === 'string') {
      const user = ctx.store.byExternalId(item.external_id);
      if (user !== undefined) ctx.store.attachAlias(user, alias);
    } else {
      // An alias already in use names its user; it never creates a second profile.
      ctx.store.resolve({ kind: 'user_alias', value: alias }, true);
    }
  }
  return created({ aliases_processed: list.length });
}
