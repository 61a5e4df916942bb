import { MSG_INVALID_CAMPAIGN_ID } from './common.js';
import { campaignSeries } from './campaignStats.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * GET /campaigns/data_series (docs/braze-facts.md §3.20, §2 row 10: a rate-limit bucket of its
 * own): `campaign_id`, `length` (1–100 days), `ending_at`.
 */
export function campaignsDataSeries(ctx: RouteContext): RouteResult {
  const campaign = ctx.catalog.campaign(ctx.query.get('campaign_id') ?? '');
  if (campaign === undefined) return badRequest(MSG_INVALID_CAMPAIGN_ID);
  return campaignSeries(ctx, campaign, () => true);
}
