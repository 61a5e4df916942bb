import type { SimSubscriptionGroup } from '../catalog.js';
import type { SubscriptionState } from '../profile.js';
import { isNonEmptyString, isValidEmail } from '../validate.js';
import { maxPerRequest, MSG_MAX_IDS, present, type Obj } from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * One subscription-group update, as v1 and each entry of v2 carry it (docs/braze-facts.md §3.15): a known group,
 * a state, and ≤ 50 ids of each kind, email or phone but not both. Unknown external ids are
 * ignored; an email or phone without a profile keeps its state for a profile to inherit.
 */

/** Braze's messages (docs/braze-facts.md §3.15). */
export const MSG_INVALID_GROUP = 'Invalid subscription group ID';
export const MSG_EMAIL_AND_PHONE =
  'Either an email address or a phone number should be provided, but not both.';

/** The body field names of one update: v1 uses singular names, v2 plural ones. */
export interface UpdateFields {
  externalIds: string;
  emails: string;
  phones: string;
}

export interface ValidUpdate {
  group: SimSubscriptionGroup;
  state: SubscriptionState;
  externalIds: string[];
  emails: string[];
  phones: string[];
}

/** A string or an array of strings as a list (a single string was accepted in recordings). */
function idList(o: Obj, field: string): string[] | RouteResult {
  const v = o[field];
  if (!present(o, field)) return [];
  if (isNonEmptyString(v)) return [v];
  if (Array.isArray(v) && v.every(isNonEmptyString)) return v;
  return badRequest(`'${field}' must be a string or an array of strings`);
}

const isList = (v: string[] | RouteResult): v is string[] => Array.isArray(v);

export function validateUpdate(ctx: RouteContext, u: Obj, f: UpdateFields): ValidUpdate | RouteResult {
  if (!isNonEmptyString(u.subscription_group_id)) return badRequest("'subscription_group_id' is required");
  const group = ctx.catalog.subscriptionGroup(u.subscription_group_id);
  if (group === undefined) return badRequest(MSG_INVALID_GROUP);
  const state = u.subscription_state;
  if (state !== 'subscribed' && state !== 'unsubscribed') {
    return badRequest("'subscription_state' must be 'subscribed' or 'unsubscribed'");
  }
  const externalIds = idList(u, f.externalIds);
  if (!isList(externalIds)) return externalIds;
  const emails = idList(u, f.emails);
  if (!isList(emails)) return emails;
  const phones = idList(u, f.phones);
  if (!isList(phones)) return phones;
  if (emails.length > 0 && phones.length > 0) return badRequest(MSG_EMAIL_AND_PHONE);
  if ([externalIds, emails, phones].some((l) => l.length > maxPerRequest(ctx)))
    return badRequest(MSG_MAX_IDS);
  if (externalIds.length + emails.length + phones.length === 0) {
    return badRequest(`One of '${f.externalIds}', '${f.emails}' or '${f.phones}' is required`);
  }
  const bad = emails.find((e) => !isValidEmail(e));
  if (bad !== undefined) return badRequest(`'${f.emails}' contains an invalid email address: ${bad}`);
  if (emails.length > 0 && group.channel !== 'email') {
    return badRequest(`'${f.emails}' can only be used with an email subscription group`);
  }
  if (phones.length > 0 && group.channel !== 'sms') {
    return badRequest(`'${f.phones}' can only be used with an SMS subscription group`);
  }
  if (present(u, 'use_double_opt_in_logic') && typeof u.use_double_opt_in_logic !== 'boolean') {
    return badRequest("'use_double_opt_in_logic' must be a boolean");
  }
  return { group, state, externalIds, emails, phones };
}

export function applyUpdate(ctx: RouteContext, u: ValidUpdate): void {
  for (const id of u.externalIds) {
    const user = ctx.store.byExternalId(id);
    if (user !== undefined) ctx.store.setSubscription(user, u.group.id, u.state);
  }
  for (const e of u.emails) ctx.store.setContactSubscription('email', e, u.group.id, u.state);
  for (const p of u.phones) ctx.store.setContactSubscription('phone', p, u.group.id, u.state);
}
