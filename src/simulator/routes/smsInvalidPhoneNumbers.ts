import { INVALID_PHONE_REASONS } from '../lists.js';
import { isResult, ok } from './common.js';
import { dateParam, inRange, isDate, isList, isoSeconds, pageOfList, paging, phonesOf } from './lists.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * GET /sms/invalid_phone_numbers (docs/braze-facts.md §3.19): `start_date` and `end_date`, or
 * `phone_numbers[]` (which win over the range); `reason` (`provider_error` or `deactivated`);
 * `limit` (≤ 500, default 100) and `offset`. Newest first:
 * `{"sms": [{phone, invalid_detected_at, reason}], "message": "success"}`.
 */

// Simulator-made wording.
export const MSG_RANGE_OR_PHONES = "Either 'start_date' and 'end_date' or 'phone_numbers' are required";

export function smsInvalidPhoneNumbers(ctx: RouteContext): RouteResult {
  const start = dateParam(ctx, 'start_date');
  if (!isDate(start)) return start;
  const end = dateParam(ctx, 'end_date');
  if (!isDate(end)) return end;
  const given = [...ctx.query.getAll('phone_numbers[]'), ...ctx.query.getAll('phone_numbers')];
  const phones = given.length === 0 ? undefined : phonesOf(ctx, 'phone_numbers', given);
  if (phones !== undefined && !isList(phones)) return phones;
  if (phones === undefined && (start === undefined || end === undefined)) {
    return badRequest(MSG_RANGE_OR_PHONES);
  }
  if (phones === undefined && start! >= end!)
    return badRequest("'start_date' must be earlier than 'end_date'");
  const reason = ctx.query.get('reason');
  if (reason !== null && reason !== '' && !(INVALID_PHONE_REASONS as readonly string[]).includes(reason)) {
    return badRequest("'reason' must be 'provider_error' or 'deactivated'");
  }
  const page = paging(ctx);
  if (isResult(page)) return page;

  const all = [...ctx.store.lists.invalidPhones].map(([phone, p]) => ({ phone, ...p }));
  const matching = all.filter(
    (p) =>
      (phones === undefined ? inRange(p.at, start!, end!) : phones.includes(p.phone)) &&
      (reason === null || reason === '' || p.reason === reason),
  );
  const sms = pageOfList(matching, page).map((p) => ({
    phone: p.phone,
    invalid_detected_at: isoSeconds(p.at),
    reason: p.reason,
  }));
  return ok({ sms });
}
