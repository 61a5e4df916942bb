import { isResult, ok, pageOf, pageParam, pageSizeOf } from './common.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * GET /events/list?page=N (docs/braze-facts.md §3.17): custom event names, sorted, 250 a page, 0-based. Every
 * name tracked so far (users deleted since included) plus the catalog's extra names.
 */
export function eventsList(ctx: RouteContext): RouteResult {
  const page = pageParam(ctx);
  if (isResult(page)) return page;
  const names = [...new Set([...ctx.catalog.eventNames, ...ctx.store.eventNames])].sort();
  return ok({ events: pageOf(names, page, pageSizeOf(ctx)) });
}
