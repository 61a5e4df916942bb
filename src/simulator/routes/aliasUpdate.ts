import { isPlainObject } from '../validate.js';
import {
  MAX_ALIAS_BYTES,
  maxPerRequest,
  MSG_MAX_EXTERNAL_IDS,
  created,
  isResult,
  objectBody,
} from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * POST /users/alias/update (docs/braze-facts.md §3.5): renames `old_alias_name` to `new_alias_name` under one
 * label. An unknown old alias or a new name already in use changes nothing; the answer is the
 * same `{"message":"success"}`.
 */

// Simulator-made wording.
export const MSG_ALIAS_UPDATES_ARRAY = "'alias_updates' must be an array of objects";

const FIELDS = ['alias_label', 'old_alias_name', 'new_alias_name'] as const;

const isAliasPart = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && Buffer.byteLength(v) <= MAX_ALIAS_BYTES;

export function aliasUpdate(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const list = body.alias_updates;
  if (!(Array.isArray(list) && list.every(isPlainObject))) return badRequest(MSG_ALIAS_UPDATES_ARRAY);
  if (list.length > maxPerRequest(ctx)) return badRequest(MSG_MAX_EXTERNAL_IDS);
  for (const [i, item] of list.entries()) {
    if (!FIELDS.every((f) => isAliasPart(item[f]))) {
      return badRequest(
        `alias_updates[${i}] must have 'alias_label', 'old_alias_name' and 'new_alias_name' as non-empty strings of at most 236 bytes`,
      );
    }
  }
  for (const item of list) {
    ctx.store.renameAlias(
      item.alias_label as string,
      item.old_alias_name as string,
      item.new_alias_name as string,
    );
  }
  return created();
}
