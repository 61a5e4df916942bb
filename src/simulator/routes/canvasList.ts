import { listedPage } from './campaignsList.js';
import { isResult } from './common.js';
import type { RouteContext, RouteResult } from './types.js';

/** GET /canvas/list (docs/braze-facts.md §3.17): same parameters and paging as /campaigns/list. */
export function canvasList(ctx: RouteContext): RouteResult {
  const entries = listedPage(ctx, ctx.catalog.canvases);
  if (isResult(entries)) return entries;
  const canvases = entries.map((c) => ({
    id: c.id,
    last_edited: c.lastEdited,
    name: c.name,
    tags: [...c.tags],
  }));
  return { status: 200, body: { canvases, message: 'success' } };
}
