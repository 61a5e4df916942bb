import { isNonEmptyString, isPlainObject } from '../validate.js';
import { maxPerRequest, MSG_MAX_IDS, created, isResult, objectBody } from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * POST /users/external_ids/rename (docs/braze-facts.md §3.8). Renames are applied in order; one that breaks a
 * rule is reported in `rename_errors` as `[index, message]` (the docs' "array of arrays", C-5) and
 * the others still happen. The old id stays valid as a deprecated id until removed.
 */

// Simulator-made wording: Braze's per-item messages were not captured.
export const MSG_RENAMES_ARRAY = "'external_id_renames' must be an array of objects";
export const MSG_RENAMES_EMPTY = "'external_id_renames' must not be empty";
export const MSG_RENAME_SAME = "'current_external_id' and 'new_external_id' must differ";
export const MSG_RENAME_UNKNOWN = "'current_external_id' does not exist";
export const MSG_RENAME_DEPRECATED =
  "'current_external_id' must be a primary external ID, not a deprecated one";
export const MSG_RENAME_TAKEN = "'new_external_id' is already in use";

export function externalIdsRename(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const list = body.external_id_renames;
  if (!(Array.isArray(list) && list.every(isPlainObject))) return badRequest(MSG_RENAMES_ARRAY);
  if (list.length === 0) return badRequest(MSG_RENAMES_EMPTY);
  if (list.length > maxPerRequest(ctx)) return badRequest(MSG_MAX_IDS);
  for (const [i, item] of list.entries()) {
    if (!isNonEmptyString(item.current_external_id) || !isNonEmptyString(item.new_external_id)) {
      return badRequest(
        `external_id_renames[${i}] must have 'current_external_id' and 'new_external_id' as non-empty strings`,
      );
    }
  }

  const done: Array<{ current_external_id: string; new_external_id: string }> = [];
  const errors: Array<[number, string]> = [];
  list.forEach((item, i) => {
    const current = item.current_external_id as string;
    const next = item.new_external_id as string;
    const status = ctx.store.externalIdStatus(current);
    const problem =
      current === next
        ? MSG_RENAME_SAME
        : status === undefined
          ? MSG_RENAME_UNKNOWN
          : status === 'deprecated'
            ? MSG_RENAME_DEPRECATED
            : ctx.store.externalIdStatus(next) !== undefined
              ? MSG_RENAME_TAKEN
              : undefined;
    const user = ctx.store.byExternalId(current);
    if (problem !== undefined || user === undefined) {
      errors.push([i, problem ?? MSG_RENAME_UNKNOWN]);
      return;
    }
    ctx.store.renameExternalId(user, next);
    done.push({ current_external_id: current, new_external_id: next });
  });
  // `external_ids` holds objects, as recorded (C-5), not the strings the docs describe.
  return created({ external_ids: done, rename_errors: errors });
}
