import { parseBrazeTime } from '../validate.js';
import { boolParam, byCreation, isResult, ok, pageOf, pageParam, pageSizeOf, sortParam } from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * GET /campaigns/list (docs/braze-facts.md §3.17): `page` (0-based, 100 a page), `include_archived` (default
 * false), `sort_direction` (by creation time, `asc` default), `last_edit.time[gt]`.
 */
export function campaignsList(ctx: RouteContext): RouteResult {
  const entries = listedPage(ctx, ctx.catalog.campaigns);
  if (isResult(entries)) return entries;
  const campaigns = entries.map((c) => ({
    id: c.id,
    last_edited: c.lastEdited,
    name: c.name,
    is_api_campaign: c.isApiCampaign,
    tags: [...c.tags],
  }));
  return ok({ campaigns });
}

/**
 * The page a list request asks for, shared with /canvas/list: `page`, `include_archived`,
 * `sort_direction` and `last_edit.time[gt]` read and checked, entries filtered, sorted by
 * creation and cut to the endpoint's page size.
 */
export function listedPage<T extends { archived: boolean; lastEdited: string; createdAt: string }>(
  ctx: RouteContext,
  all: readonly T[],
): T[] | RouteResult {
  const page = pageParam(ctx);
  if (isResult(page)) return page;
  const archived = boolParam(ctx, 'include_archived', false);
  if (isResult(archived)) return archived;
  const dir = sortParam(ctx);
  if (isResult(dir)) return dir;
  const since = editedAfter(ctx);
  if (isResult(since)) return since;
  const list = all.filter(
    (c) => (archived || !c.archived) && (since === undefined || Date.parse(c.lastEdited) > since),
  );
  return pageOf(byCreation(list, dir), page, pageSizeOf(ctx));
}

/** `last_edit.time[gt]`, shared with /canvas/list: only entries edited after it. */
export function editedAfter(ctx: RouteContext): number | undefined | RouteResult {
  const raw = ctx.query.get('last_edit.time[gt]');
  if (raw === null || raw === '') return undefined;
  return parseBrazeTime(raw) ?? badRequest("'last_edit.time[gt]' must be an ISO-8601 time");
}
