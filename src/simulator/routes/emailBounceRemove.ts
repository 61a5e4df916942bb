import { emailWrite } from './lists.js';

/**
 * POST /email/bounce/remove (docs/braze-facts.md §3.19): `email` (one, or up to 50) leaves the
 * hard bounce list. An address that is not on it succeeds all the same.
 */
export const emailBounceRemove = emailWrite((ctx, email) => ctx.store.lists.hardBounces.delete(email));
