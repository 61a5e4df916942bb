import { ok } from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/** GET /segments/details?segment_id= (docs/braze-facts.md §3.17). */

// Simulator-made, after "Invalid Campaign ID": Braze's message for an unknown segment was not captured.
export const MSG_INVALID_SEGMENT = 'Invalid Segment ID';

export function segmentsDetails(ctx: RouteContext): RouteResult {
  const id = ctx.query.get('segment_id');
  const s = id === null ? undefined : ctx.catalog.segment(id);
  if (s === undefined) return badRequest(MSG_INVALID_SEGMENT);
  return ok({
    created_at: s.createdAt,
    updated_at: s.lastEdited,
    name: s.name,
    description: s.description,
    text_description: s.textDescription,
    tags: [...s.tags],
    teams: [...s.teams],
  });
}
