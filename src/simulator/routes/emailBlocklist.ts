import { emailWrite } from './lists.js';

/**
 * POST /email/blocklist (docs/braze-facts.md §3.19): unsubscribes each `email` (one, or up to 50)
 * and marks it hard-bounced, so it shows in both lists from now on.
 */
export const emailBlocklist = emailWrite((ctx, email) => {
  ctx.store.setEmailSubscribe(email, 'unsubscribed');
  ctx.store.lists.unsubscribes.set(email, ctx.now());
  ctx.store.lists.hardBounces.set(email, ctx.now());
});
