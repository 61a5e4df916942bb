import { created, isResult, objectBody } from './common.js';
import { emailsOf, isList } from './lists.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * POST /email/blocklist (docs/braze-facts.md §3.18): unsubscribes each `email` (one, or up to 50)
 * and marks it hard-bounced, so it shows in both lists from now on.
 */
export function emailBlocklist(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const emails = emailsOf(ctx, body);
  if (!isList(emails)) return emails;
  const at = ctx.now();
  for (const email of emails) {
    ctx.store.setEmailSubscribe(email, 'unsubscribed');
    ctx.store.lists.unsubscribes.set(email, at);
    ctx.store.lists.hardBounces.set(email, at);
  }
  return created();
}
