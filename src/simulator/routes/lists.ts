import { isNonEmptyString, isValidEmail } from '../validate.js';
import {
  MSG_MAX_IDS,
  created,
  isResult,
  maxPerRequest,
  objectBody,
  pageSizeOf,
  present,
  type Obj,
} from './common.js';
import { badRequest, type RouteContext, type RouteHandler, type RouteResult } from './types.js';

/**
 * What the list hygiene routes share (docs/braze-facts.md §3.19): the `start_date`/`end_date`
 * range (YYYY-MM-DD, read as midnight UTC), `limit`/`offset` paging of a newest-first list, and
 * the "one address or up to 50" bodies of the writes.
 *
 * Braze documents none of these endpoints' error messages, so every wording here is the
 * simulator's own; the statuses (400 for a bad request) follow the general contract (§4.3).
 */

export const MSG_END_DATE_REQUIRED = "'end_date' is required";
export const MSG_START_OR_EMAIL = "Either 'start_date' or 'email' is required";
export const MSG_START_BEFORE_END = "'start_date' must be earlier than 'end_date'";
export const MSG_INVALID_EMAIL_PARAM = "'email' must be a valid email address";

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A `YYYY-MM-DD` query parameter as epoch ms of that day's midnight UTC; undefined when absent;
 * a 400 when it is not a real calendar date.
 */
export function dateParam(ctx: RouteContext, name: string): number | undefined | RouteResult {
  const raw = ctx.query.get(name);
  if (raw === null || raw === '') return undefined;
  const m = DATE_RE.exec(raw);
  const ms = m === null ? NaN : Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Date.UTC rolls 2026-02-30 over to March: a real date reads back the same.
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== raw) {
    return badRequest(`'${name}' must be a date in YYYY-MM-DD format`);
  }
  return ms;
}

/** A date, or its absence, as opposed to the 400 for a bad one. */
export const isDate = (v: number | undefined | RouteResult): v is number | undefined =>
  v === undefined || typeof v === 'number';

/** `limit` (1 to the endpoint's page size, 100 by default) and `offset` (0 by default). */
export function paging(ctx: RouteContext): { limit: number; offset: number } | RouteResult {
  const max = pageSizeOf(ctx);
  const int = (name: string, fallback: number, min: number, top: number): number | undefined => {
    const raw = ctx.query.get(name);
    if (raw === null || raw === '') return fallback;
    const n = Number(raw);
    return Number.isSafeInteger(n) && n >= min && n <= top ? n : undefined;
  };
  const limit = int('limit', 100, 1, max);
  if (limit === undefined) return badRequest(`'limit' must be an integer between 1 and ${max}`);
  const offset = int('offset', 0, 0, Number.MAX_SAFE_INTEGER);
  if (offset === undefined) return badRequest("'offset' must be a non-negative integer");
  return { limit, offset };
}

/** Entries in `[startMs, endMs)`, newest first unless `asc`; then the page. */
export function pageOfList<T extends { at: number }>(
  entries: readonly T[],
  page: { limit: number; offset: number },
  order: 'asc' | 'desc' = 'desc',
): T[] {
  const sign = order === 'asc' ? 1 : -1;
  return [...entries].sort((a, b) => sign * (a.at - b.at)).slice(page.offset, page.offset + page.limit);
}

/** `at` within the half-open day range `[start, end)`. */
export const inRange = (at: number, startMs: number, endMs: number): boolean => at >= startMs && at < endMs;

/**
 * The `email` query filter and date range of `/email/hard_bounces` and `/email/unsubscribes`:
 * `end_date` is required, and one of `start_date` or `email`. With an email, the range is
 * disregarded (as Braze documents) and only that address is looked up.
 */
export function emailRange(
  ctx: RouteContext,
): { email: string } | { startMs: number; endMs: number } | RouteResult {
  const end = dateParam(ctx, 'end_date');
  if (!isDate(end)) return end;
  const start = dateParam(ctx, 'start_date');
  if (!isDate(start)) return start;
  if (end === undefined) return badRequest(MSG_END_DATE_REQUIRED);
  const email = ctx.query.get('email');
  if (email !== null && email !== '') {
    return isValidEmail(email) ? { email } : badRequest(MSG_INVALID_EMAIL_PARAM);
  }
  if (start === undefined) return badRequest(MSG_START_OR_EMAIL);
  if (start >= end) return badRequest(MSG_START_BEFORE_END);
  return { startMs: start, endMs: end };
}

/** `[{email, at}]` of one address list, filtered by `emailRange`. */
export function emailEntries(
  list: ReadonlyMap<string, number>,
  filter: { email: string } | { startMs: number; endMs: number },
): Array<{ email: string; at: number }> {
  if ('email' in filter) {
    const at = list.get(filter.email);
    return at === undefined ? [] : [{ email: filter.email, at }];
  }
  return [...list].flatMap(([email, at]) =>
    inRange(at, filter.startMs, filter.endMs) ? [{ email, at }] : [],
  );
}

/** ISO-8601 to the second, as Braze's hard bounce and invalid-number times read. */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The POST bodies' `email`: one address, or an array of 1 to 50. */
export function emailsOf(ctx: RouteContext, body: Obj): string[] | RouteResult {
  if (!present(body, 'email')) return badRequest("'email' is required");
  const v = body.email;
  const list = isNonEmptyString(v) ? [v] : v;
  if (!(Array.isArray(list) && list.every(isNonEmptyString))) {
    return badRequest("'email' must be a string or an array of strings");
  }
  if (list.length === 0) return badRequest("'email' must not be empty");
  if (list.length > maxPerRequest(ctx)) return badRequest(MSG_MAX_IDS);
  const bad = list.find((e) => !isValidEmail(e));
  if (bad !== undefined) return badRequest(`'email' contains an invalid email address: ${bad}`);
  return list;
}

/**
 * A POST whose body is `email` (one address, or up to 50) and nothing else: `each` is applied to
 * every address, then 201. An address the list does not hold succeeds all the same.
 */
export function emailWrite(each: (ctx: RouteContext, email: string) => void): RouteHandler {
  return (ctx) => {
    const body = objectBody(ctx);
    if (isResult(body)) return body;
    const emails = emailsOf(ctx, body);
    if (!isList(emails)) return emails;
    for (const email of emails) each(ctx, email);
    return created();
  };
}

/** E.164, with or without the `+` (Braze's own examples omit it). */
const PHONE_RE = /^\+?[1-9]\d{1,14}$/;

/** A list of 1 to 50 phone numbers (a body field, or a repeated query parameter). */
export function phonesOf(ctx: RouteContext, field: string, v: unknown): string[] | RouteResult {
  if (!(Array.isArray(v) && v.every(isNonEmptyString))) {
    return badRequest(`'${field}' must be an array of phone numbers`);
  }
  if (v.length === 0) return badRequest(`'${field}' must not be empty`);
  if (v.length > maxPerRequest(ctx)) return badRequest(MSG_MAX_IDS);
  const bad = v.find((p) => !PHONE_RE.test(p));
  if (bad !== undefined) return badRequest(`'${field}' contains a number not in e.164 format: ${bad}`);
  return v;
}

export const isList = (v: string[] | RouteResult): v is string[] => Array.isArray(v);
