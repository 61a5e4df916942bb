import { MSG_INVALID_CAMPAIGN_ID } from './common.js';
import { campaignSeries } from './campaignStats.js';
import { badRequest, type RouteContext, type RouteResult } from './types.js';

/**
 * GET /sends/data_series (docs/braze-facts.md §3.20): `campaign_id`, `send_id`, `length`
 * (1–100 days), `ending_at`: the campaign's statistics for the sends tagged with that send id.
 */

// Simulator-made wording: Braze documents `send_id` as required but not its message.
export const MSG_SEND_ID_REQUIRED = "'send_id' is required";

export function sendsDataSeries(ctx: RouteContext): RouteResult {
  const campaign = ctx.catalog.campaign(ctx.query.get('campaign_id') ?? '');
  if (campaign === undefined) return badRequest(MSG_INVALID_CAMPAIGN_ID);
  const sendId = ctx.query.get('send_id');
  if (sendId === null || sendId === '') return badRequest(MSG_SEND_ID_REQUIRED);
  return campaignSeries(ctx, campaign, (d) => d.sendId === sendId);
}
