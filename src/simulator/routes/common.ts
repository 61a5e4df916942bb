import { randomBytes } from 'node:crypto';
import { isPlainObject, isValidAlias } from '../validate.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/** What several simulated endpoints share: Braze's cap messages, body and query parsing, paging. */

/** Braze's 50-cap messages (docs/braze-facts.md §2.1): the first for external ids and aliases, the second otherwise. */
export const MSG_MAX_EXTERNAL_IDS = 'The max number of external_ids and aliases per request was exceeded';
export const MSG_MAX_IDS = 'The max number of ids per request was exceeded';
/** Alias names and labels are at most 236 bytes each (docs/braze-facts.md §1.3). */
export const MAX_ALIAS_BYTES = 236;

// Simulator-made: Braze's wording for a body that is valid JSON but not an object is not captured.
export const MSG_BODY_NOT_OBJECT = 'The request body must be a JSON object';

export type Obj = Record<string, unknown>;

/** The parsed body as an object (an empty body is `{}`), or the 400 for anything else. */
export function objectBody(ctx: RouteContext): Obj | RouteResult {
  if (ctx.body === undefined) return {};
  return isPlainObject(ctx.body) ? ctx.body : badRequest(MSG_BODY_NOT_OBJECT);
}

export function isResult(v: unknown): v is RouteResult {
  return isPlainObject(v) && typeof v.status === 'number' && 'body' in v;
}

export const created = (fields: Obj = {}, status = 201): RouteResult => ({
  status,
  body: { ...fields, message: 'success' },
});

export const ok = (fields: Obj): RouteResult => ({ status: 200, body: { message: 'success', ...fields } });

export const present = (o: Obj, key: string): boolean => o[key] !== undefined && o[key] !== null;

/** An alias object within the documented limits: both parts non-empty and at most 236 bytes. */
export function isAliasWithinLimits(v: unknown): v is { alias_name: string; alias_label: string } {
  return (
    isValidAlias(v) &&
    Buffer.byteLength(v.alias_name) <= MAX_ALIAS_BYTES &&
    Buffer.byteLength(v.alias_label) <= MAX_ALIAS_BYTES
  );
}

/** `page`: 0-based (docs/braze-facts.md §3.17); absent means the first page. */
export function pageParam(ctx: RouteContext): number | RouteResult {
  const raw = ctx.query.get('page');
  if (raw === null || raw === '') return 0;
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : badRequest("'page' must be a non-negative integer");
}

/** A boolean query flag written `true` / `false`; absent means `fallback`. */
export function boolParam(ctx: RouteContext, name: string, fallback: boolean): boolean | RouteResult {
  const raw = ctx.query.get(name);
  if (raw === null || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return badRequest(`'${name}' must be true or false`);
}

/** `sort_direction`: `asc` (default, oldest first) or `desc`. */
export function sortParam(ctx: RouteContext): 'asc' | 'desc' | RouteResult {
  const raw = ctx.query.get('sort_direction');
  if (raw === null || raw === '' || raw === 'asc') return 'asc';
  if (raw === 'desc') return 'desc';
  return badRequest("'sort_direction' must be 'asc' or 'desc'");
}

/** The routed endpoint's page size (brazeRules.ts `ENDPOINT_RULES`). */
export function pageSizeOf(ctx: RouteContext): number {
  const size = ctx.rule.pageSize;
  if (size === undefined) throw new TypeError(`${ctx.rule.path} has no pageSize in ENDPOINT_RULES`);
  return size;
}

/**
 * The most identifiers, entries or recipients one request to the routed endpoint may carry
 * (brazeRules.ts `ENDPOINT_RULES`, docs/braze-facts.md §2.1).
 */
export function maxPerRequest(ctx: RouteContext): number {
  const max = ctx.rule.maxPerRequest;
  if (max === undefined) throw new TypeError(`${ctx.rule.path} has no maxPerRequest in ENDPOINT_RULES`);
  return max;
}

/** One 0-based page of `items`. */
export function pageOf<T>(items: readonly T[], page: number, size: number): T[] {
  return items.slice(page * size, (page + 1) * size);
}

/** Sorted by creation time, oldest first for `asc`; ties keep insertion order. */
export function byCreation<T extends { createdAt: string }>(items: readonly T[], dir: 'asc' | 'desc'): T[] {
  const sign = dir === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => sign * (Date.parse(a.createdAt) - Date.parse(b.createdAt)));
}

/** A Braze-like `dispatch_id`: 32 hex digits (docs/braze-facts.md §3.11). */
export function newDispatchId(): string {
  return randomBytes(16).toString('hex');
}

// Simulator-made wording, for /messages/send and both trigger endpoints.
export const MSG_BROADCAST_WITH_RECIPIENTS = "Recipients cannot be given when 'broadcast' is true";
/** Braze's messages (docs/braze-facts.md §3.11). */
export const MSG_NO_RECIPIENTS = 'No Recipients';
export const MSG_INVALID_CAMPAIGN_ID = 'Invalid Campaign ID';
