import { MSG_INVALID_CAMPAIGN_ID, ok } from './common.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/** GET /campaigns/details?campaign_id= (docs/braze-facts.md §3.17); an unknown id is Braze's 400. */

export function campaignsDetails(ctx: RouteContext): RouteResult {
  const id = ctx.query.get('campaign_id');
  const c = id === null ? undefined : ctx.catalog.campaign(id);
  if (c === undefined) return badRequest(MSG_INVALID_CAMPAIGN_ID);
  return ok({
    created_at: c.createdAt,
    updated_at: c.lastEdited,
    archived: c.archived,
    draft: c.draft,
    name: c.name,
    description: c.description,
    schedule_type: c.scheduleType,
    channels: [...c.channels],
    first_sent: c.firstSent,
    last_sent: c.lastSent,
    tags: [...c.tags],
    teams: [...c.teams],
    messages: structuredClone(c.messages),
    conversion_behaviors: structuredClone(c.conversionBehaviors),
  });
}
