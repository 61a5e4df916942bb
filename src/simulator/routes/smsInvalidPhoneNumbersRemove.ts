import { created, isResult, objectBody } from './common.js';
import { isList, phonesOf } from './lists.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * POST /sms/invalid_phone_numbers/remove (docs/braze-facts.md §3.19): `phone_numbers`, an array
 * of up to 50 e.164 numbers, leave the invalid list. A number not on it succeeds all the same.
 */
export function smsInvalidPhoneNumbersRemove(ctx: RouteContext): RouteResult {
  const body = objectBody(ctx);
  if (isResult(body)) return body;
  const phones = phonesOf(ctx, 'phone_numbers', body.phone_numbers);
  if (!isList(phones)) return phones;
  for (const phone of phones) ctx.store.lists.invalidPhones.delete(phone);
  return created();
}
