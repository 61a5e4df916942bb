import type { EmailSubscribeState } from '../store.js';
import { created, isResult, objectBody } from './common.js';
import { emailsOf, isList } from './lists.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * POST /email/status (docs/braze-facts.md §3.19): `email` (one, or up to 50) and
 * `subscription_state`. An address no profile has still succeeds: its state waits for the
 * profile that gets the address. `unsubscribed` puts the address on the unsubscribe list;
 * `subscribed` and `opted_in` take it off.
 */
const STATES: readonly EmailSubscribeState[] = ['subscribed', 'unsubscribed', 'opted_in'];

export function emailStatus(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const emails = emailsOf(ctx, body);
  if (!isList(emails)) return emails;
  const state = body.subscription_state;
  if (!(STATES as readonly unknown[]).includes(state)) {
    return badRequest("'subscription_state' must be 'subscribed', 'unsubscribed' or 'opted_in'");
  }
  const { lists } = ctx.store;
  for (const email of emails) {
    ctx.store.setEmailSubscribe(email, state as EmailSubscribeState);
    if (state === 'unsubscribed') lists.unsubscribes.set(email, ctx.now());
    else lists.unsubscribes.delete(email);
  }
  return created();
}
