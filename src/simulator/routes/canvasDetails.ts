import { ok } from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/** GET /canvas/details?canvas_id= (docs/braze-facts.md §3.17); an unknown id is Braze's recorded 400. */

export const MSG_INVALID_CANVAS_DETAILS = 'canvas_id must be a string of the Canvas api identifier';

export function canvasDetails(ctx: RouteContext): RouteResult {
  const id = ctx.query.get('canvas_id');
  const c = id === null ? undefined : ctx.catalog.canvas(id);
  if (c === undefined) return badRequest(MSG_INVALID_CANVAS_DETAILS);
  return ok({
    created_at: c.createdAt,
    updated_at: c.lastEdited,
    name: c.name,
    description: c.description,
    archived: c.archived,
    draft: c.draft,
    enabled: c.enabled,
    schedule_type: c.scheduleType,
    first_entry: c.firstEntry,
    last_entry: c.lastEntry,
    channels: [...c.channels],
    variants: structuredClone(c.variants),
    tags: [...c.tags],
    teams: [...c.teams],
    steps: structuredClone(c.steps),
  });
}
