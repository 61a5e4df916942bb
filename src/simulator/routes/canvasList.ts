import { editedAfter } from './campaignsList.js';
import { boolParam, byCreation, isResult, pageOf, pageParam, pageSizeOf, sortParam } from './common.js';
import type { RouteContext, RouteResult } from './types.js';

/** GET /canvas/list (docs/braze-facts.md §3.17): same parameters and paging as /campaigns/list. */
export function canvasList(ctx: RouteContext): RouteResult {
  const page = pageParam(ctx);
  if (isResult(page)) return page;
  const archived = boolParam(ctx, 'include_archived', false);
  if (isResult(archived)) return archived;
  const dir = sortParam(ctx);
  if (isResult(dir)) return dir;
  const since = editedAfter(ctx);
  if (isResult(since)) return since;
  const list = ctx.catalog.canvases.filter(
    (c) => (archived || !c.archived) && (since === undefined || Date.parse(c.lastEdited) > since),
  );
  const canvases = pageOf(byCreation(list, dir), page, pageSizeOf('canvas.list')).map((c) => ({
    id: c.id,
    last_edited: c.lastEdited,
    name: c.name,
    tags: [...c.tags],
  }));
  return { status: 200, body: { canvases, message: 'success' } };
}
