import type { WireUserAlias } from '../../braze/wire.js';
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
  type Obj,
} from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * POST /users/identify (docs/braze-facts.md §3.6): an alias-only (or email-only, phone-only) profile is merged
 * into the profile with `external_id`, then removed. When no user has that external id yet, the
 * anonymous profile itself becomes that user. If the identified user already has an alias with
 * the same label, the profiles are not combined. Success never says whether anything matched.
 */

const LISTS = ['aliases_to_identify', 'emails_to_identify', 'phone_numbers_to_identify'] as const;

// Simulator-made wording.
export const MSG_IDENTIFY_REQUIRED =
  "One of 'aliases_to_identify', 'emails_to_identify' or 'phone_numbers_to_identify' is required";

type Identification =
  | { externalId: string; alias: WireUserAlias }
  | { externalId: string; contact: 'email' | 'phone'; value: string; prioritization: Prioritization[] };

function parseItem(list: (typeof LISTS)[number], item: Obj, i: number): Identification | string {
  if (!isNonEmptyString(item.external_id)) return `${list}[${i}].external_id must be a non-empty string`;
  if (list === 'aliases_to_identify') {
    return isAliasWithinLimits(item.user_alias)
      ? { externalId: item.external_id, alias: item.user_alias }
      : `${list}[${i}].user_alias must be an object with non-empty 'alias_name' and 'alias_label'`;
  }
  const contact = list === 'emails_to_identify' ? 'email' : 'phone';
  const value = item[contact];
  if (contact === 'email' ? !isValidEmail(value) : !isNonEmptyString(value)) {
    return `${list}[${i}].${contact} must be ${contact === 'email' ? 'an email address' : 'a phone number'}`;
  }
  const problem = prioritizationProblem(item.prioritization);
  if (problem !== undefined) return `${list}[${i}]: ${problem}`;
  return {
    externalId: item.external_id,
    contact,
    value: value as string,
    prioritization: item.prioritization as Prioritization[],
  };
}

/** The anonymous profile an identification names, if exactly one does. */
function anonymousOf(ctx: RouteContext, id: Identification): SimUser | undefined {
  if ('alias' in id) {
    const user = ctx.store.byAlias(id.alias);
    return user?.externalId === undefined ? user : undefined;
  }
  const candidates = (
    id.contact === 'email' ? ctx.store.byEmail(id.value) : ctx.store.byPhone(id.value)
  ).filter((u) => u.externalId === undefined);
  return ctx.store.pick(candidates, id.prioritization);
}

export function identify(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const lists = LISTS.filter((k) => present(body, k));
  if (lists.length === 0) return badRequest(MSG_IDENTIFY_REQUIRED);

  const ids: Identification[] = [];
  for (const list of lists) {
    const items = body[list];
    if (!(Array.isArray(items) && items.every(isPlainObject))) {
      return badRequest(`'${list}' must be an array of objects`);
    }
    if (items.length > maxPerRequest(ctx)) {
      return badRequest(list === 'aliases_to_identify' ? MSG_MAX_EXTERNAL_IDS : MSG_MAX_IDS);
    }
    for (const [i, item] of items.entries()) {
      const parsed = parseItem(list, item, i);
      if (typeof parsed === 'string') return badRequest(parsed);
      ids.push(parsed);
    }
  }

  for (const id of ids) {
    const anonymous = anonymousOf(ctx, id);
    if (anonymous === undefined) continue;
    const target = ctx.store.byExternalId(id.externalId);
    const label = 'alias' in id ? id.alias.alias_label : undefined;
    if (target !== undefined && label !== undefined && target.aliases.some((a) => a.alias_label === label)) {
      continue;
    }
    ctx.store.identify(anonymous, id.externalId);
  }
  return created({ aliases_processed: ids.length });
}
