import { isResult, ok, sortParam } from './common.js';
import { emailEntries, emailRange, pageOfList, paging } from './lists.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * GET /email/unsubscribes (docs/braze-facts.md §3.19): the parameters of /email/hard_bounces plus
 * `sort_direction` (`desc`, newest first, by default; or `asc`). Times read as in Braze's
 * recorded answer, `2020-06-17 19:27:44 +0000`.
 */
export function emailUnsubscribes(ctx: RouteContext): RouteResult {
  const filter = emailRange(ctx);
  if (isResult(filter)) return filter;
  const page = paging(ctx);
  if (isResult(page)) return page;
  const raw = ctx.query.get('sort_direction');
  const order = raw === null || raw === '' ? 'desc' : sortParam(ctx);
  if (isResult(order)) return order;
  const entries = pageOfList(emailEntries(ctx.store.lists.unsubscribes, filter), page, order);
  return ok({ emails: entries.map((e) => ({ email: e.email, unsubscribed_at: recordedTime(e.at) })) });
}

/** `YYYY-MM-DD HH:MM:SS +0000`. */
function recordedTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')} +0000`;
}
