import { created, isResult, objectBody } from './common.js';
import { emailsOf, isList } from './lists.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * POST /email/spam/remove (docs/braze-facts.md §3.18): `email` (one, or up to 50) leaves the spam
 * list. An address that is not on it succeeds all the same.
 */
export function emailSpamRemove(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const emails = emailsOf(ctx, body);
  if (!isList(emails)) return emails;
  for (const email of emails) ctx.store.lists.spam.delete(email);
  return created();
}
