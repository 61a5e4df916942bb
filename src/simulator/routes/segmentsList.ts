import { byCreation, isResult, pageOf, pageParam, pageSizeOf, sortParam } from './common.js';
import type { RouteContext, RouteResult } from './types.js';

/** GET /segments/list (docs/braze-facts.md §3.17): `page` (0-based, 100 a page), `sort_direction`. */
export function segmentsList(ctx: RouteContext): RouteResult {
  const page = pageParam(ctx);
  if (isResult(page)) return page;
  const dir = sortParam(ctx);
  if (isResult(dir)) return dir;
  const segments = pageOf(byCreation(ctx.catalog.segments, dir), page, pageSizeOf(ctx)).map((s) => ({
    id: s.id,
    name: s.name,
    analytics_tracking_enabled: s.analyticsTrackingEnabled,
    tags: [...s.tags],
  }));
  return { status: 200, body: { segments, message: 'success' } };
}
