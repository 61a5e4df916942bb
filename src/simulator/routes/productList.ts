import { isResult, pageOf, pageParam, pageSizeOf } from './common.js';
import type { RouteContext, RouteResult } from './types.js';

/**
 * GET /purchases/product_list?page=N (docs/braze-facts.md §3.17): product ids, sorted, 0-based pages. Braze
 * documents no page size here; the simulator's rules use /events/list's 250, so a client must
 * stop on a short page rather than rely on a size.
 */

export function productList(ctx: RouteContext): RouteResult {
  const page = pageParam(ctx);
  if (isResult(page)) return page;
  const ids = [...new Set([...ctx.catalog.productIds, ...ctx.store.productIds])].sort();
  // Braze's key order for this endpoint: products first (docs/braze-facts.md §3.17).
  return { status: 200, body: { products: pageOf(ids, page, pageSizeOf(ctx)), message: 'success' } };
}
