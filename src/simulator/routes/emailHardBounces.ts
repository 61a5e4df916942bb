import { isResult, ok } from './common.js';
import { emailEntries, emailRange, isoSeconds, pageOfList, paging } from './lists.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * GET /email/hard_bounces (docs/braze-facts.md §3.19): `end_date` and one of `start_date` or
 * `email` (which wins over the range); `limit` (≤ 500, default 100) and `offset`. Newest first:
 * `{"emails": [{email, hard_bounced_at}], "message": "success"}`.
 */
export function emailHardBounces(ctx: RouteContext): RouteResult {
  const filter = emailRange(ctx);
  if (isResult(filter)) return filter;
  const page = paging(ctx);
  if (isResult(page)) return page;
  const emails = pageOfList(emailEntries(ctx.store.lists.hardBounces, filter), page).map((e) => ({
    email: e.email,
    hard_bounced_at: isoSeconds(e.at),
  }));
  return ok({ emails });
}
