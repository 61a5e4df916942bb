import { emailWrite } from './lists.js';

/**
 * POST /email/spam/remove (docs/braze-facts.md §3.19): `email` (one, or up to 50) leaves the spam
 * list. An address that is not on it succeeds all the same.
 */
export const emailSpamRemove = emailWrite((ctx, email) => ctx.store.lists.spam.delete(email));
