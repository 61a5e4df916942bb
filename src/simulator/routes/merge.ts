import type { SimUser } from '../profile.js';
import { isPlainObject, isValidAlias, prioritizationProblem, type Prioritization } from '../validate.js';
import { maxPerRequest, created, isResult, objectBody, type Obj } from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * POST /users/merge (docs/braze-facts.md §3.7): each `identifier_to_merge` profile is folded into its
 * `identifier_to_keep` profile and deleted. Asynchronous in Braze: 202, and merges that find no
 * profile (or the same one twice) are skipped silently.
 */

// Braze's messages (docs/braze-facts.md §3.7).
export const MSG_MERGE_ARRAY = "'merge_updates' must be an array of objects";
export const MSG_MERGE_MAX = 'a single request may not contain more than 50 merge updates';
export const MSG_MERGE_IDENTIFIERS =
  "identifiers must be objects with an 'external_id' property that is a string, 'user_alias' property that is an object, 'email' property that is a string, or 'phone' property that is a string";
export const MSG_MERGE_KEYS = "'merge_updates' must only have 'identifier_to_merge' and 'identifier_to_keep'";

const KEYS: readonly string[] = ['identifier_to_merge', 'identifier_to_keep'];
const ID_KEYS = ['external_id', 'user_alias', 'email', 'phone'] as const;

/** Finds the profile an identifier names, when the request is applied. */
type Finder = (ctx: RouteContext) => SimUser | undefined;

/** The finder for an identifier, or the message for a malformed one. */
function identifier(v: unknown): Finder | string {
  if (!isPlainObject(v)) return MSG_MERGE_IDENTIFIERS;
  const kinds = ID_KEYS.filter((k) => v[k] !== undefined);
  const kind = kinds[0];
  if (kind === undefined || kinds.length > 1) return MSG_MERGE_IDENTIFIERS;
  const value = v[kind];
  if (kind === 'user_alias') {
    if (!isPlainObject(value)) return MSG_MERGE_IDENTIFIERS;
    // An alias object missing a part names nobody; Braze only checks that it is an object.
    return (ctx) => (isValidAlias(value) ? ctx.store.byAlias(value) : undefined);
  }
  if (typeof value !== 'string') return MSG_MERGE_IDENTIFIERS;
  if (kind === 'external_id') return (ctx) => ctx.store.byExternalId(value);
  let prioritization: Prioritization[] = [];
  if (v.prioritization !== undefined) {
    const problem = prioritizationProblem(v.prioritization);
    if (problem !== undefined) return problem;
    prioritization = v.prioritization as Prioritization[];
  }
  return (ctx) =>
    ctx.store.pick(kind === 'email' ? ctx.store.byEmail(value) : ctx.store.byPhone(value), prioritization);
}

export function merge(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const list = body.merge_updates;
  if (!(Array.isArray(list) && list.every(isPlainObject))) return badRequest(MSG_MERGE_ARRAY);
  if (list.length > maxPerRequest(ctx)) return badRequest(MSG_MERGE_MAX);

  const pairs: Array<[Finder, Finder]> = [];
  for (const item of list as Obj[]) {
    if (Object.keys(item).some((k) => !KEYS.includes(k))) return badRequest(MSG_MERGE_KEYS);
    const from = identifier(item.identifier_to_merge);
    const into = identifier(item.identifier_to_keep);
    if (typeof from === 'string') return badRequest(from);
    if (typeof into === 'string') return badRequest(into);
    pairs.push([from, into]);
  }
  // In request order: a later update may name the profile an earlier one kept.
  for (const [findFrom, findInto] of pairs) {
    const from = findFrom(ctx);
    const into = findInto(ctx);
    if (from !== undefined && into !== undefined && from !== into) ctx.store.mergeInto(from, into);
  }
  return created({}, 202);
}
