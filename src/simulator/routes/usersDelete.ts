import type { SimUser } from '../profile.js';
import {
  isNonEmptyString,
  isPlainObject,
  isValidEmail,
  prioritizationProblem,
  type Prioritization,
} from '../validate.js';
import {
  maxPerRequest,
  MSG_MAX_EXTERNAL_IDS,
  MSG_MAX_IDS,
  created,
  isAliasWithinLimits,
  isResult,
  objectBody,
  present,
} from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/** POST /users/delete (docs/braze-facts.md §3.3): one identifier type per request, at most 50 ids. */

const KINDS = ['external_ids', 'user_aliases', 'braze_ids', 'email_addresses', 'phone_numbers'] as const;
type Kind = (typeof KINDS)[number];

// Simulator-made: Braze documents the rules (docs/braze-facts.md §2.1, C-6) but not their messages.
export const MSG_DELETE_ONE_KIND =
  "Only one of 'external_ids', 'user_aliases', 'braze_ids', 'email_addresses' or 'phone_numbers' may be provided per request";
export const MSG_DELETE_NO_IDS =
  "One of 'external_ids', 'user_aliases', 'braze_ids', 'email_addresses' or 'phone_numbers' is required";

const ITEM_PROBLEM: Record<Kind, string> = {
  external_ids: "'external_ids' must be an array of non-empty strings",
  braze_ids: "'braze_ids' must be an array of non-empty strings",
  user_aliases: "'user_aliases' must be an array of user alias objects",
  email_addresses: "'email_addresses' must be an array of email addresses or {email, prioritization} objects",
  phone_numbers: "'phone_numbers' must be an array of phone numbers or {phone, prioritization} objects",
};

/**
 * An email or phone entry: the documented `{email|phone, prioritization}` object, or a bare
 * string (the table of the docs says "array of strings").
 */
function contactOf(
  item: unknown,
  field: 'email' | 'phone',
): { value: string; prioritization: Prioritization[] } | string | undefined {
  if (typeof item === 'string') return { value: item, prioritization: [] };
  if (!isPlainObject(item) || typeof item[field] !== 'string') return undefined;
  if (item.prioritization === undefined) return { value: item[field], prioritization: [] };
  const problem = prioritizationProblem(item.prioritization);
  return problem ?? { value: item[field], prioritization: item.prioritization as Prioritization[] };
}

/** The user one entry names (undefined when none or, for email/phone, several), or what is wrong. */
function resolveEntry(ctx: RouteContext, kind: Kind, item: unknown): { user?: SimUser } | string {
  switch (kind) {
    case 'external_ids':
      return isNonEmptyString(item) ? { user: ctx.store.byExternalId(item) } : ITEM_PROBLEM[kind];
    case 'braze_ids':
      return isNonEmptyString(item) ? { user: ctx.store.byBraze(item) } : ITEM_PROBLEM[kind];
    case 'user_aliases':
      return isAliasWithinLimits(item) ? { user: ctx.store.byAlias(item) } : ITEM_PROBLEM[kind];
    case 'email_addresses': {
      const c = contactOf(item, 'email');
      if (typeof c === 'string') return c;
      if (c === undefined || !isValidEmail(c.value)) return ITEM_PROBLEM[kind];
      return { user: ctx.store.pick(ctx.store.byEmail(c.value), c.prioritization) };
    }
    case 'phone_numbers': {
      const c = contactOf(item, 'phone');
      if (typeof c === 'string') return c;
      if (c === undefined || c.value.length === 0) return ITEM_PROBLEM[kind];
      return { user: ctx.store.pick(ctx.store.byPhone(c.value), c.prioritization) };
    }
  }
}

export function usersDelete(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const kinds = KINDS.filter((k) => present(body, k));
  const kind = kinds[0];
  if (kind === undefined) return badRequest(MSG_DELETE_NO_IDS);
  if (kinds.length > 1) return badRequest(MSG_DELETE_ONE_KIND);
  const list = body[kind];
  if (!Array.isArray(list)) return badRequest(ITEM_PROBLEM[kind]);
  if (list.length > maxPerRequest(ctx)) {
    return badRequest(
      kind === 'external_ids' || kind === 'user_aliases' ? MSG_MAX_EXTERNAL_IDS : MSG_MAX_IDS,
    );
  }

  // Every entry is checked before anything is deleted: a bad entry fails the whole request.
  const users: SimUser[] = [];
  for (const item of list) {
    const r = resolveEntry(ctx, kind, item);
    if (typeof r === 'string') return badRequest(r);
    if (r.user !== undefined) users.push(r.user);
  }
  for (const u of users) ctx.store.deleteUser(u);
  // `deleted` counts the ids queued, known or not (docs/braze-facts.md §3.3): Braze deletes asynchronously.
  return created({ deleted: list.length });
}
