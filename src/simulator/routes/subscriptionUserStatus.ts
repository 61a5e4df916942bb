import type { SimUser } from '../profile.js';
import { MSG_MAX_IDS, maxPerRequest, pageSizeOf } from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * GET /subscription/user/status (docs/braze-facts.md §3.16): users by `external_id` (repeatable, also written
 * `external_id[]`), `email` or `phone`, 1–50 ids; `limit` (default and max 100) and `offset` page
 * the users. Only groups in a user's history are listed; unknown ids are left out.
 */

// Simulator-made wording.
export const MSG_STATUS_IDS_REQUIRED = "One of 'external_id', 'email' or 'phone' is required";

function all(ctx: RouteContext, name: string): string[] {
  return [...ctx.query.getAll(`${name}[]`), ...ctx.query.getAll(name)].filter((v) => v.length > 0);
}

function intParam(
  ctx: RouteContext,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number | undefined {
  const raw = ctx.query.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

export function subscriptionUserStatus(ctx: RouteContext): RouteResult {
  const ids = all(ctx, 'external_id');
  const emails = all(ctx, 'email');
  const phones = all(ctx, 'phone');
  if (ids.length + emails.length + phones.length === 0) return badRequest(MSG_STATUS_IDS_REQUIRED);
  if ([ids, emails, phones].some((l) => l.length > maxPerRequest(ctx))) return badRequest(MSG_MAX_IDS);
  // `limit` users a page: at most (and by default) the rules' page size.
  const maxLimit = pageSizeOf(ctx);
  const limit = intParam(ctx, 'limit', maxLimit, 1, maxLimit);
  if (limit === undefined) return badRequest(`'limit' must be an integer between 1 and ${maxLimit}`);
  const offset = intParam(ctx, 'offset', 0, 0, Number.MAX_SAFE_INTEGER);
  if (offset === undefined) return badRequest("'offset' must be a non-negative integer");

  const found: SimUser[] = [];
  const note = (u: SimUser | undefined): void => {
    if (u !== undefined && !found.includes(u)) found.push(u);
  };
  for (const id of ids) note(ctx.store.byExternalId(id));
  for (const e of emails) ctx.store.byEmail(e).forEach(note);
  for (const p of phones) ctx.store.byPhone(p).forEach(note);

  const users = found.slice(offset, offset + limit).map((u) => ({
    email: typeof u.profile.email === 'string' ? u.profile.email : null,
    phone: typeof u.profile.phone === 'string' ? u.profile.phone : null,
    external_id: u.externalId ?? null,
    subscription_groups: [...u.subscriptions].flatMap(([groupId, state]) => {
      const group = ctx.catalog.subscriptionGroup(groupId);
      // A group id the workspace does not know (set through /users/track) has nothing to show.
      if (group === undefined) return [];
      return [
        {
          id: group.id,
          name: group.name,
          channel: group.channel,
          status: state === 'subscribed' ? 'Subscribed' : 'Unsubscribed',
        },
      ];
    }),
  }));
  return { status: 200, body: { users, total_count: found.length, message: 'success' } };
}
