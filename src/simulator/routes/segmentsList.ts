import { byCreation, isResult, pageOf, pageParam, pageSizeOf, sortParam } from './common.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * GET /segments/list (docs/braze-facts.md §3.17): `page` (0-based, 100 a page), `sort_direction`.
 * Archived segments are left out; Braze documents no other filter here.
 */
export function segmentsList(ctx: RouteContext): RouteResult {
  const page = pageParam(ctx);
  if (isResult(page)) return page;
  const dir = sortParam(ctx);
  if (isResult(dir)) return dir;
  const listed = ctx.catalog.segments.filter((s) => !s.archived);
  const segments = pageOf(byCreation(listed, dir), page, pageSizeOf(ctx)).map((s) => ({
    id: s.id,
    name: s.name,
    analytics_tracking_enabled: s.analyticsTrackingEnabled,
    tags: [...s.tags],
  }));
  return { status: 200, body: { segments, message: 'success' } };
}
